// Tests of ConsoleConnection on loopback: addresses, hello, resume without duplicates, gaps,
// chunked input, and how failed attempts are classified.

#include "consoleconnection.h"
#include "testconsoleserver.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace CloudConsole::Viewer;
using State = ConsoleConnection::State;
using Failure = ConsoleConnection::Failure;

namespace {

QByteArray joinedOutput(const QSignalSpy &spy)
{
    QByteArray bytes;
    for (const QList<QVariant> &arguments : spy)
        bytes += arguments.at(0).toByteArray();
    return bytes;
}

// A TCP server that answers every request with one fixed HTTP response, to see how the
// connection explains a refused upgrade.
class HttpStatusServer : public QTcpServer
{
public:
    explicit HttpStatusServer(QByteArray response) : m_response(std::move(response))
    {
        connect(this, &QTcpServer::newConnection, this, &HttpStatusServer::onNewConnection);
    }

private:
    void onNewConnection()
    {
        QTcpSocket *socket = nextPendingConnection();
        connect(socket, &QTcpSocket::readyRead, socket, [socket, this]() {
            if (socket->readAll().contains("\r\n\r\n")) {
                socket->write(m_response);
                socket->disconnectFromHost();
            }
        });
    }
    QByteArray m_response;
};

} // namespace

class tst_ConsoleConnection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void addressesAreNormalized_data();
    void addressesAreNormalized();
    void outputFollowsTheHelloAndHistoryIsMarkedAsReplay();
    void aReconnectResumesWithoutDuplicates();
    void bytesLostWhileAwayAreReportedAsSkipped();
    void largeInputIsSentInMessagesTheServerAccepts();
    void failedAttemptsAreClassified_data();
    void failedAttemptsAreClassified();
    void aNewEpochIsReportedAsARestart();
};

void tst_ConsoleConnection::addressesAreNormalized_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expected"); // empty: refused
    QTest::newRow("a full websocket url") << "ws://h:8080/c/vm1/ws"
                                          << "ws://h:8080/c/vm1/ws";
    QTest::newRow("the console page") << "http://h:8080/c/vm1/"
                                      << "ws://h:8080/c/vm1/ws";
    QTest::newRow("https becomes wss") << "https://h/c/vm1"
                                       << "wss://h/c/vm1/ws";
    QTest::newRow("host and port") << "h:8080"
                                   << "ws://h:8080/ws";
    QTest::newRow("an offset is dropped") << "ws://h:1/ws?offset=5"
                                          << "ws://h:1/ws";
    QTest::newRow("surrounding blanks") << "  ws://h:1/ws \n"
                                        << "ws://h:1/ws";
    QTest::newRow("ftp is refused") << "ftp://h/x"
                                    << "";
    QTest::newRow("nothing is refused") << ""
                                        << "";
    QTest::newRow("no host is refused") << "ws:///ws"
                                        << "";
}

void tst_ConsoleConnection::addressesAreNormalized()
{
    QFETCH(QString, input);
    QFETCH(QString, expected);
    QString error;
    const std::optional<QUrl> url = ConsoleConnection::normalizeUrl(input, &error);
    if (expected.isEmpty()) {
        QVERIFY2(!url, qPrintable(url ? url->toString() : QString()));
        QVERIFY(!error.isEmpty());
    } else {
        QVERIFY2(url, qPrintable(error));
        QCOMPARE(url->toString(), expected);
    }
}

void tst_ConsoleConnection::outputFollowsTheHelloAndHistoryIsMarkedAsReplay()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    server.output("old history\r\n");
    ConsoleConnection connection;
    QSignalSpy output(&connection, &ConsoleConnection::outputReceived);
    QSignalSpy hello(&connection, &ConsoleConnection::helloReceived);
    connection.open(server.url());
    QTRY_COMPARE(output.count(), 1);
    QCOMPARE(hello.count(), 1);
    QCOMPARE(connection.state(), State::Connected);
    QCOMPARE(connection.hello()->console, QStringLiteral("test"));
    QCOMPARE(output.at(0).at(0).toByteArray(), QByteArray("old history\r\n"));
    QCOMPARE(output.at(0).at(1).toBool(), true);
    server.output("live");
    QTRY_COMPARE(output.count(), 2);
    QCOMPARE(output.at(1).at(1).toBool(), false);
    QCOMPARE(connection.bytesReceived(), 17);
    QCOMPARE(server.requestedOffsets, QList<qint64> {0});
}

void tst_ConsoleConnection::aReconnectResumesWithoutDuplicates()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleConnection connection;
    connection.setRetryDelays(50, 200);
    QSignalSpy output(&connection, &ConsoleConnection::outputReceived);
    connection.open(server.url());
    QTRY_COMPARE(connection.state(), State::Connected);
    server.output("one ");
    server.output("two ");
    QTRY_COMPARE(joinedOutput(output), QByteArray("one two "));

    server.disconnectClients();
    QTRY_COMPARE(connection.state(), State::WaitingToRetry);
    server.output("three "); // written while the viewer is away
    QTRY_COMPARE(connection.state(), State::Connected);
    server.output("four");
    QTRY_COMPARE(joinedOutput(output), QByteArray("one two three four"));
    QCOMPARE(server.requestedOffsets, (QList<qint64> {0, 8}));
    QCOMPARE(connection.bytesSkipped(), 0);
}

void tst_ConsoleConnection::bytesLostWhileAwayAreReportedAsSkipped()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleConnection connection;
    connection.setRetryDelays(50, 200);
    QSignalSpy output(&connection, &ConsoleConnection::outputReceived);
    QSignalSpy skipped(&connection, &ConsoleConnection::outputSkipped);
    connection.open(server.url());
    server.output("0123456789");
    QTRY_COMPARE(joinedOutput(output), QByteArray("0123456789"));
    server.disconnectClients();
    QTRY_COMPARE(connection.state(), State::WaitingToRetry);
    server.output("abcdefghij");
    server.dropHistoryBefore(15); // the ring moved past "abcde"
    QTRY_COMPARE(skipped.count(), 1);
    QCOMPARE(skipped.at(0).at(0).toLongLong(), 5);
    QTRY_COMPARE(joinedOutput(output), QByteArray("0123456789fghij"));
    QCOMPARE(connection.bytesSkipped(), 5);
}

void tst_ConsoleConnection::largeInputIsSentInMessagesTheServerAccepts()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleConnection connection;
    connection.open(server.url());
    QTRY_COMPARE(connection.state(), State::Connected);
    QByteArray paste(150'000, 'p');
    paste[0] = 'A';
    paste[paste.size() - 1] = 'Z';
    QVERIFY(connection.sendInput(paste));
    QTRY_COMPARE(server.input.size(), paste.size());
    QCOMPARE(server.input, paste);
    QVERIFY2(server.largestInputMessage <= CloudConsole::Protocol::MaxClientMessage,
             qPrintable(QString::number(server.largestInputMessage)));
}

void tst_ConsoleConnection::failedAttemptsAreClassified_data()
{
    QTest::addColumn<QByteArray>("response"); // empty: nothing listens
    QTest::addColumn<Failure>("failure");
    QTest::newRow("nothing listens") << QByteArray() << Failure::Refused;
    QTest::newRow("401") << QByteArray("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
                         << Failure::Unauthorized;
    QTest::newRow("403") << QByteArray("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                         << Failure::Unauthorized;
    QTest::newRow("404") << QByteArray("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                         << Failure::NotFound;
    QTest::newRow("503") << QByteArray("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n")
                         << Failure::Busy;
    QTest::newRow("400") << QByteArray("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                         << Failure::Rejected;
}

void tst_ConsoleConnection::failedAttemptsAreClassified()
{
    QFETCH(QByteArray, response);
    QFETCH(Failure, failure);
    HttpStatusServer server(response);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const quint16 port = server.serverPort();
    if (response.isEmpty())
        server.close(); // the port is now known to be free
    ConsoleConnection connection;
    QSignalSpy failed(&connection, &ConsoleConnection::attemptFailed);
    connection.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(port)));
    QTRY_COMPARE(failed.count(), 1);
    QVERIFY2(failed.at(0).at(0).value<Failure>() == failure,
             qPrintable(QStringLiteral("classified as %1: %2")
                            .arg(int(failed.at(0).at(0).value<Failure>()))
                            .arg(failed.at(0).at(1).toString())));
    QCOMPARE(failed.at(0).at(2).toBool(), false); // never reached: the user decides
    QCOMPARE(connection.state(), State::Idle);
}

void tst_ConsoleConnection::aNewEpochIsReportedAsARestart()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleConnection connection;
    connection.setRetryDelays(50, 200);
    QSignalSpy restarted(&connection, &ConsoleConnection::consoleRestarted);
    QSignalSpy output(&connection, &ConsoleConnection::outputReceived);
    connection.open(server.url());
    server.output("before");
    QTRY_COMPARE(joinedOutput(output), QByteArray("before"));
    server.disconnectClients();
    server.epoch = QStringLiteral("epoch-2");
    QTRY_COMPARE(restarted.count(), 1);
    QCOMPARE(restarted.count(), 1);
}

QTEST_GUILESS_MAIN(tst_ConsoleConnection)
#include "tst_consoleconnection.moc"
