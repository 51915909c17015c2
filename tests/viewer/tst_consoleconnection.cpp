// Tests of ConsoleConnection on loopback: addresses, hello, resume without duplicates, gaps,
// chunked input, pastes in pieces, how failed attempts are classified, restarts (epochs), close
// code 1008 and alerts.

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

// The data of every paste message the server got, joined.
QByteArray pastedData(const TestConsoleServer &server)
{
    QByteArray all;
    for (const auto &piece : server.messagesOf<CloudConsole::Protocol::Paste>())
        all += piece.data;
    return all;
}

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
    void pastePiecesEndBetweenCharacters();
    void aPasteGoesAsPasteMessagesThatAddUpToIt();
    void controlAndPasteCancelMessagesAreSent();
    void failedAttemptsAreClassified_data();
    void failedAttemptsAreClassified();
    void aNewEpochIsReportedAsARestart();
    void aResumeNamesTheEpochOfItsOffset();
    void aServerRestartReplaysTheNewRunFromItsFirstByte();
    void anIdleTimeoutCloseIsNotRetried();
    void aServerGoingAwayIsRetried();
    void anAlertIsPassedOnAsItCameBetweenOutput();
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
    QTest::newRow("an epoch is dropped") << "ws://h:1/ws?offset=5&epoch=abc"
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

void tst_ConsoleConnection::aResumeNamesTheEpochOfItsOffset()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    server.epoch = QStringLiteral("6f1c2a9e03b4d7c1");
    ConsoleConnection connection;
    connection.setRetryDelays(50, 200);
    QSignalSpy output(&connection, &ConsoleConnection::outputReceived);
    connection.open(server.url());
    QTRY_COMPARE(connection.state(), State::Connected);
    server.output("abc");
    QTRY_COMPARE(joinedOutput(output), QByteArray("abc"));
    QCOMPARE(connection.attemptUrl().query(),
             QStringLiteral("offset=3&epoch=6f1c2a9e03b4d7c1&client=viewer"));
    server.disconnectClients();
    QTRY_COMPARE(server.connections, 2);
    QCOMPARE(server.requestedOffsets, (QList<qint64> {0, 3}));
    QCOMPARE(server.requestedEpochs, (QStringList {QString(), QStringLiteral("6f1c2a9e03b4d7c1")}));
    QCOMPARE(server.requestedClients,
             (QStringList {QStringLiteral("viewer"), QStringLiteral("viewer")}));
}

void tst_ConsoleConnection::pastePiecesEndBetweenCharacters()
{
    // Two-, three- and four-byte characters at every alignment against the piece size.
    const QByteArray text = QStringLiteral("a\u00e9\u2713\U0001F642").repeated(40).toUtf8();
    for (qsizetype piece = 4; piece <= 23; ++piece) {
        const QList<qsizetype> ends = ConsoleConnection::pastePieceEnds(text, piece);
        QVERIFY(!ends.isEmpty());
        QCOMPARE(ends.last(), text.size());
        qsizetype start = 0;
        for (const qsizetype end : ends) {
            QVERIFY2(end > start && end - start <= piece,
                     qPrintable(QStringLiteral("piece %1: %2..%3").arg(piece).arg(start).arg(end)));
            const QByteArray part = text.mid(start, end - start);
            QVERIFY2(QString::fromUtf8(part).toUtf8() == part, "a piece holds whole characters");
            start = end;
        }
    }
    QVERIFY(ConsoleConnection::pastePieceEnds(QByteArray()).isEmpty());
}

void tst_ConsoleConnection::aPasteGoesAsPasteMessagesThatAddUpToIt()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleConnection connection;
    QVERIFY(!connection.sendPaste(1, "early"));
    connection.open(server.url());
    QTRY_COMPARE(connection.state(), State::Connected);
    // Escapes (six bytes each in JSON) and text beyond ASCII, over several pieces.
    QByteArray paste;
    for (int i = 0; i < 3000; ++i)
        paste += QStringLiteral("\x1b[1m%1 h\u00e9llo \u2713\r").arg(i).toUtf8();
    QVERIFY(connection.sendPaste(7, paste));
    QTRY_COMPARE(pastedData(server).size(), paste.size());
    const QByteArray joined = pastedData(server);
    QCOMPARE(joined, paste);
    const auto pieces = server.messagesOf<CloudConsole::Protocol::Paste>();
    QVERIFY2(pieces.size() >= paste.size() / ConsoleConnection::PastePiece, "in pieces");
    for (const auto &piece : pieces) {
        QCOMPARE(piece.id, 7);
        QCOMPARE(piece.total, paste.size());
        QVERIFY(piece.data.size() <= ConsoleConnection::PastePiece);
        const QByteArray json
            = CloudConsole::Protocol::encode(CloudConsole::Protocol::ClientMessage(piece));
        QVERIFY2(json.size() < CloudConsole::Protocol::MaxClientMessage,
                 qPrintable(QString::number(json.size())));
    }
    QVERIFY2(server.input.isEmpty(), "a paste is never sent as keystrokes");
}

void tst_ConsoleConnection::controlAndPasteCancelMessagesAreSent()
{
    using Action = CloudConsole::Protocol::Control::Action;
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleConnection connection;
    connection.open(server.url());
    QTRY_COMPARE(connection.state(), State::Connected);
    QVERIFY(connection.sendControl(Action::Take));
    QVERIFY(connection.sendControl(Action::Give, 4));
    QVERIFY(connection.sendControl(Action::Release));
    QVERIFY(connection.sendPasteCancel());
    QTRY_COMPARE(server.messagesOf<CloudConsole::Protocol::Control>().size(), 3);
    const auto controls = server.messagesOf<CloudConsole::Protocol::Control>();
    QVERIFY(controls.at(0).action == Action::Take);
    QVERIFY(controls.at(1).action == Action::Give);
    QCOMPARE(controls.at(1).to, 4);
    QVERIFY(controls.at(2).action == Action::Release);
    QTRY_COMPARE(server.messagesOf<CloudConsole::Protocol::PasteCancel>().size(), 1);
}

void tst_ConsoleConnection::aServerRestartReplaysTheNewRunFromItsFirstByte()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleConnection connection;
    connection.setRetryDelays(50, 200);
    QSignalSpy restarted(&connection, &ConsoleConnection::consoleRestarted);
    QSignalSpy output(&connection, &ConsoleConnection::outputReceived);
    connection.open(server.url());
    server.output("the first run\r\n");
    QTRY_COMPARE(joinedOutput(output), QByteArray("the first run\r\n"));
    output.clear();

    // The new run has written more than the viewer had seen of the old one before the viewer
    // comes back: an offset without its epoch would land inside the new run's bytes.
    server.restart(QStringLiteral("epoch-2"));
    server.output("the second run starts here\r\n");
    QTRY_COMPARE(restarted.count(), 1);
    QTRY_COMPARE(joinedOutput(output), QByteArray("the second run starts here\r\n"));
    QCOMPARE(connection.bytesSkipped(), 0);
    QCOMPARE(connection.cursor().epoch(), QStringLiteral("epoch-2"));
}

void tst_ConsoleConnection::anIdleTimeoutCloseIsNotRetried()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleConnection connection;
    connection.setRetryDelays(20, 20);
    QSignalSpy failed(&connection, &ConsoleConnection::attemptFailed);
    connection.open(server.url());
    QTRY_COMPARE(connection.state(), State::Connected);
    server.closeClients(QWebSocketProtocol::CloseCodePolicyViolated,
                        QStringLiteral("idle: nothing sent for 60 s"));
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).value<Failure>(), Failure::PolicyClosed);
    QCOMPARE(failed.at(0).at(1).toString(), QStringLiteral("idle: nothing sent for 60 s"));
    QCOMPARE(failed.at(0).at(2).toBool(), false);
    QCOMPARE(connection.state(), State::Idle);
    QTest::qWait(300); // fifteen retry delays
    QCOMPARE(server.connections, 1);
    // The user may still ask.
    connection.reconnect();
    QTRY_COMPARE(connection.state(), State::Connected);
    QCOMPARE(server.connections, 2);
}

void tst_ConsoleConnection::aServerGoingAwayIsRetried()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleConnection connection;
    connection.setRetryDelays(20, 20);
    QSignalSpy failed(&connection, &ConsoleConnection::attemptFailed);
    connection.open(server.url());
    QTRY_COMPARE(connection.state(), State::Connected);
    server.closeClients(QWebSocketProtocol::CloseCodeGoingAway,
                        QStringLiteral("no answer to pings for 60 s"));
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).value<Failure>(), Failure::Closed);
    QCOMPARE(failed.at(0).at(2).toBool(), true);
    QTRY_COMPARE(server.connections, 2);
    QTRY_COMPARE(connection.state(), State::Connected);
}

void tst_ConsoleConnection::anAlertIsPassedOnAsItCameBetweenOutput()
{
    TestConsoleServer server;
    QVERIFY(server.listen());
    ConsoleConnection connection;
    QSignalSpy alerts(&connection, &ConsoleConnection::alertReceived);
    QSignalSpy output(&connection, &ConsoleConnection::outputReceived);
    connection.open(server.url());
    QTRY_COMPARE(connection.state(), State::Connected);

    const QByteArray line("[   31.004503] Kernel panic - not syncing: sysrq triggered crash");
    server.output("boot\r\n" + line + "\r\n");
    const CloudConsole::Protocol::AlertEvent sent {
        QStringLiteral("kernel-panic"), QStringLiteral("critical"), QString::fromLatin1(line),
        QStringLiteral("2026-12-05T03:07:02.123Z"), 6};
    server.sendAlert(sent);
    server.output("after\r\n");
    QTRY_COMPARE(output.count(), 2);
    QCOMPARE(alerts.count(), 1);
    const auto alert = alerts.at(0).at(0).value<CloudConsole::Protocol::AlertEvent>();
    QCOMPARE(alert.rule, sent.rule);
    QCOMPARE(alert.severity, sent.severity);
    QCOMPARE(alert.line, sent.line);
    QCOMPARE(alert.time, sent.time);
    QCOMPARE(alert.offset, 6);
    QCOMPARE(connection.state(), State::Connected);
}

QTEST_GUILESS_MAIN(tst_ConsoleConnection)
#include "tst_consoleconnection.moc"
