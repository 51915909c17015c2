// The per-client and per-console limits on 127.0.0.1 with real WebSocket clients and real ptys:
// clients per console, the input rate, WebSocket pings and the idle timeout. Intervals are a
// second or two here (the defaults are 30 s and never); waits are generous, bounds are loose.

#include "rawframe.h"
#include "testclient.h"
#include "testpty.h"
#include "testserver.h"

#include <QNetworkInterface>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <sys/socket.h>

#include <memory>

using namespace CloudConsole;
using namespace CloudConsole::Test;
using namespace CloudConsole::Protocol;
using namespace std::chrono_literals;

namespace {

// Settings whose stream holds the guest's bytes alone, and no limit but the ones a test sets.
ConsoleSettings quietSettings(const QString &name = QStringLiteral("vm1"))
{
    ConsoleSettings settings = plainConsoleSettings(name);
    settings.limits.pingInterval = 0s;
    settings.limits.idleTimeout = 0s;
    return settings;
}

// A WebSocket client done by hand on a QTcpSocket, so a test sees the server's pings and close
// frame, and decides whether to answer the pings (QWebSocket always does, and says nothing).
// Made with Reading::No it never reads, like a peer whose network went away: it shrinks its
// receive window and leaves everything after the handshake unread.
class RawClient
{
public:
    enum class Reading { Yes, No };

    RawClient(quint16 port, const QByteArray &target, Reading reading = Reading::Yes)
    {
        if (reading == Reading::No) {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            const int small = 4096;
            ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
            socket.setSocketDescriptor(fd, QAbstractSocket::UnconnectedState);
            socket.setReadBufferSize(4096);
        } else {
            QObject::connect(&socket, &QTcpSocket::readyRead, &socket, [this] { drain(); });
        }
        QObject::connect(&socket, &QTcpSocket::disconnected, &socket,
                         [this] { disconnected = true; });
        socket.connectToHost(QHostAddress::LocalHost, port);
        socket.write(upgradeRequest(target, v1Subprotocol()));
        clock.start();
    }

    QTcpSocket socket;
    QElapsedTimer clock; // since the connection was opened
    bool answerPings = true;
    bool handshakeDone = false;
    std::optional<Hello> hello;
    std::vector<qint64> pingTimes; // ms on clock
    std::optional<int> closeCode;
    QString closeReason;
    qint64 closeTime = -1;
    bool disconnected = false;

private:
    void drain()
    {
        m_buffer += socket.readAll();
        if (!handshakeDone)
            handshakeDone = takeHandshake(m_buffer);
        if (!handshakeDone)
            return;
        while (const std::optional<RawFrame> frame = takeServerFrame(m_buffer)) {
            const int opcode = frame->opcode;
            const QByteArray &payload = frame->payload;
            if (opcode == 0x9) {
                pingTimes.push_back(clock.elapsed());
                if (answerPings)
                    socket.write(clientFrame(0xA, payload));
            } else if (opcode == 0x8 && !closeCode) {
                closeCode = frame->closeCode().value_or(int(QWebSocketProtocol::CloseCodeNormal));
                closeReason = QString::fromUtf8(payload.mid(2));
                closeTime = clock.elapsed();
            } else if (opcode == 0x1) {
                const auto decoded = decodeServerMessage(payload);
                if (const auto *message = std::get_if<ServerMessage>(&decoded)) {
                    if (const auto *h = std::get_if<Hello>(message))
                        hello = *h;
                }
            }
        }
    }

    QByteArray m_buffer;
};

// A numbered input record of exactly `size` bytes: "<tag><number>:" padded with its tag.
QByteArray record(char tag, int number, qsizetype size)
{
    QByteArray out = tag + QByteArray::number(number).rightJustified(6, '0') + ':';
    out += QByteArray(size - out.size(), tag);
    return out;
}

// How many bytes an input-rate error says it refused.
qint64 refusedBytes(const Error &error)
{
    static const QRegularExpression pattern(QStringLiteral("^(\\d+) bytes of input refused"));
    const auto match = pattern.match(error.message);
    return match.hasMatch() ? match.captured(1).toLongLong() : -1;
}

} // namespace

class tst_Limits : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aConsoleFullOfClientsRefusesTheNextWith503();
    void aBurstOfUpgradesCannotSlipPastTheConsoleLimit();
    void oneAddressCannotTakeEveryClientPlace();
    void inputBeyondTheRateIsRefusedVisiblyAndTheRestArrivesInOrder();
    void aMessageLargerThanTheBurstPassesWhenTheBucketIsFull();
    void pingsArriveAtTheIntervalAndAnsweringClientsStay();
    void aClientThatStopsAnsweringPingsIsClosed();
    void aClientThatReadsNothingIsCutOffAfterTheCloseGrace();
    void aClientThatPingsWithoutReadingIsClosedAndItsAnswersStayBounded();
    void theIdleTimeoutClosesASilentClientButNotOneThatTypes();
};

void tst_Limits::aConsoleFullOfClientsRefusesTheNextWith503()
{
    TestPty pty1;
    TestPty pty2;
    ConsoleSettings vm1 = quietSettings(QStringLiteral("vm1"));
    vm1.maxClients = 2;
    ConsoleSettings vm2 = quietSettings(QStringLiteral("vm2"));
    vm2.maxClients = 2;
    TestServer server({{vm1, pty1.path()}, {vm2, pty2.path()}});
    QVERIFY(server.listening);
    TestClient a(server.consoleUrl());
    TestClient b(server.consoleUrl());
    QTRY_VERIFY(a.hello && b.hello);
    QCOMPARE(server.console->clientCount(), 2);

    // The third is refused before it becomes a WebSocket, and told why.
    const QByteArray answer = exchange(server.port(), upgradeRequest("/c/vm1/ws", v1Subprotocol()));
    QVERIFY2(answer.startsWith("HTTP/1.1 503"), answer.constData());
    QVERIFY2(answer.contains("console \"vm1\" already has 2 clients, its limit"),
             answer.constData());
    QCOMPARE(server.console->clientCount(), 2);
    // So is a QWebSocket: it never connects.
    TestClient refused(server.consoleUrl());
    QTest::qWait(300);
    QVERIFY(!refused.connected);
    QVERIFY(!refused.hello);
    QCOMPARE(server.console->clientCount(), 2);

    // Another console has its own limit.
    TestClient other(server.consoleUrl(QStringLiteral("vm2")));
    QTRY_VERIFY(other.hello.has_value());
    QCOMPARE(other.hello->console, QStringLiteral("vm2"));
    QCOMPARE(server.consoles.find(QStringLiteral("vm2"))->clientCount(), 1);

    // A place freed is a place taken.
    b.socket.close();
    QTRY_COMPARE(server.console->clientCount(), 1);
    TestClient c(server.consoleUrl());
    QTRY_VERIFY(c.hello.has_value());
    QCOMPARE(server.console->clientCount(), 2);
}

void tst_Limits::aBurstOfUpgradesCannotSlipPastTheConsoleLimit()
{
    TestPty pty;
    ConsoleSettings settings = quietSettings();
    settings.maxClients = 3;
    TestServer server(pty.path(), settings);
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());

    // Ten clients at once: their handshakes are in flight together.
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < 10; ++i)
        clients.push_back(std::make_unique<TestClient>(server.consoleUrl()));
    const auto settled = [&clients] {
        return int(std::count_if(clients.begin(), clients.end(), [](const auto &c) {
            return c->hello.has_value() || c->socket.state() == QAbstractSocket::UnconnectedState;
        }));
    };
    QTRY_COMPARE_WITH_TIMEOUT(settled(), 10, 10000);
    QTest::qWait(200);
    const int served = int(std::count_if(clients.begin(), clients.end(),
                                         [](const auto &c) { return c->hello.has_value(); }));
    QCOMPARE(served, 3);
    QCOMPARE(server.console->clientCount(), 3);
}

void tst_Limits::oneAddressCannotTakeEveryClientPlace()
{
    // Loopback addresses are not limited (a reverse proxy on the host brings everyone from one):
    // the server listens on this machine's own other address, and its clients come from there.
    QHostAddress own;
    for (const QHostAddress &address : QNetworkInterface::allAddresses()) {
        if (address.protocol() == QAbstractSocket::IPv4Protocol && !address.isLoopback()
            && !address.isLinkLocal()) {
            own = address;
            break;
        }
    }
    if (own.isNull())
        QSKIP("this machine has no IPv4 address besides loopback to connect from");
    TestPty pty;
    TestServer server;
    server.add(pty.path(), quietSettings());
    QVERIFY(server.start({}, own));
    QTRY_VERIFY(server.console->source().isUp());

    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < HttpFrontend::MaxClientsPerAddress; ++i)
        clients.push_back(std::make_unique<TestClient>(server.url()));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(clients.begin(), clients.end(),
                                         [](const auto &c) { return c->hello.has_value(); }),
                             20000);
    QCOMPARE(server.consoles.clientsFrom(own), HttpFrontend::MaxClientsPerAddress);

    // The next from that address is refused, and told why; the console has room for more.
    const QByteArray answer = exchange(server.port(), upgradeRequest("/ws", v1Subprotocol()),
                                       QHostAddress(QHostAddress::LocalHost), 5000, own);
    QVERIFY2(answer.startsWith("HTTP/1.1 429"), answer.constData());
    QVERIFY2(answer.contains(own.toString().toLatin1() + " already has "
                             + QByteArray::number(HttpFrontend::MaxClientsPerAddress)
                             + " clients on this server, the limit for one address"),
             answer.constData());
    QCOMPARE(server.clients(), HttpFrontend::MaxClientsPerAddress);

    // One goes: its place is free again.
    clients.pop_back();
    QTRY_COMPARE(server.clients(), HttpFrontend::MaxClientsPerAddress - 1);
    TestClient again(server.url());
    QTRY_VERIFY(again.hello.has_value());
}

void tst_Limits::inputBeyondTheRateIsRefusedVisiblyAndTheRestArrivesInOrder()
{
    constexpr qsizetype Rate = 8 * 1024;
    constexpr qsizetype Record = 1024;
    constexpr int Records = 64; // eight times the burst
    TestPty pty;
    ConsoleSettings settings = quietSettings();
    settings.limits.inputBytesPerSecond = Rate;
    TestServer server(pty.path(), settings);
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    TestClient fast(server.consoleUrl());
    QTRY_VERIFY(fast.hello.has_value());

    for (int n = 0; n < Records; ++n)
        fast.socket.sendBinaryMessage(record('a', n, Record));
    // Every byte sent either arrives or is reported refused.
    QByteArray seen;
    const auto refusedSoFar = [&fast] {
        qint64 total = 0;
        for (const Error &error : fast.errors)
            total += refusedBytes(error);
        return total;
    };
    QTRY_VERIFY_WITH_TIMEOUT(
        (seen += pty.readAvailable()).size() + refusedSoFar() >= Records * Record, 20000);
    QTest::qWait(200);
    seen += pty.readAvailable();
    QCOMPARE(seen.size() + refusedSoFar(), Records * Record);

    // The bucket starts full: at least a burst's worth passed; most of the rest did not.
    QVERIFY2(seen.size() >= Rate, qPrintable(QString::number(seen.size())));
    QVERIFY2(seen.size() < Records * Record / 2, qPrintable(QString::number(seen.size())));
    for (const Error &error : fast.errors) {
        QCOMPARE(error.code, QString::fromLatin1(ErrorCode::InputRate));
        QCOMPARE(refusedBytes(error), qint64(Record)); // whole messages, never a part of one
        QVERIFY2(error.message.contains(QLatin1String("8192 bytes per second")),
                 qPrintable(error.message));
    }
    // What passed arrives whole and in order, starting with the first.
    int previous = -1;
    for (qsizetype at = 0; at < seen.size(); at += Record) {
        const QByteArray item = seen.mid(at, Record);
        const int n = item.mid(1, 6).toInt();
        QCOMPARE(item, record('a', n, Record));
        QVERIFY2(n > previous,
                 qPrintable(QStringLiteral("record %1 after %2").arg(n).arg(previous)));
        if (at < Rate)
            QCOMPARE(n, int(at / Record));
        previous = n;
    }

    // The rate is per client: another one has its own burst.
    TestClient other(server.consoleUrl());
    QTRY_VERIFY(other.hello.has_value());
    for (int n = 0; n < int(Rate / Record); ++n)
        other.socket.sendBinaryMessage(record('b', n, Record));
    QByteArray fromOther;
    QTRY_COMPARE_WITH_TIMEOUT((fromOther += pty.readAvailable()).size(), Rate, 10000);
    QVERIFY(other.errors.empty());

    // The bucket fills again at the rate: a second later a burst's worth passes again.
    QTest::qWait(1200);
    const size_t errorsBefore = fast.errors.size();
    for (int n = 0; n < int(Rate / Record); ++n)
        fast.socket.sendBinaryMessage(record('c', n, Record));
    QByteArray again;
    QTRY_COMPARE_WITH_TIMEOUT((again += pty.readAvailable()).size(), Rate, 10000);
    QTest::qWait(100);
    QCOMPARE(fast.errors.size(), errorsBefore);
    QVERIFY(!fast.closed);
}

void tst_Limits::aMessageLargerThanTheBurstPassesWhenTheBucketIsFull()
{
    constexpr qsizetype Rate = 2048;
    TestPty pty;
    ConsoleSettings settings = quietSettings();
    settings.limits.inputBytesPerSecond = Rate;
    TestServer server(pty.path(), settings);
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    TestClient client(server.consoleUrl());
    QTRY_VERIFY(client.hello.has_value());

    // Four times the burst, in one message: it passes whole, and the bucket owes 6 KiB.
    QElapsedTimer sinceBig;
    sinceBig.start();
    client.socket.sendBinaryMessage(record('p', 0, 4 * Rate));
    QByteArray seen;
    QTRY_COMPARE_WITH_TIMEOUT((seen += pty.readAvailable()).size(), 4 * Rate, 10000);
    QCOMPARE(seen, record('p', 0, 4 * Rate));
    QVERIFY(client.errors.empty());

    // Keystrokes are refused until the debt is paid at the rate (three seconds), then pass.
    qint64 acceptedAfter = -1;
    int sent = 0;
    while (sinceBig.elapsed() < 15000) {
        client.socket.sendBinaryMessage(QByteArray(1, 'k'));
        ++sent;
        QTest::qWait(200);
        seen = pty.readAvailable();
        if (!seen.isEmpty()) {
            acceptedAfter = sinceBig.elapsed();
            break;
        }
    }
    QVERIFY2(acceptedAfter >= 2500, qPrintable(QString::number(acceptedAfter)));
    QCOMPARE(seen, QByteArray("k"));
    QTRY_COMPARE(int(client.errors.size()), sent - 1);
    for (const Error &error : client.errors)
        QCOMPARE(error.code, QString::fromLatin1(ErrorCode::InputRate));
}

void tst_Limits::pingsArriveAtTheIntervalAndAnsweringClientsStay()
{
    TestPty pty;
    ConsoleSettings settings = quietSettings();
    settings.limits.pingInterval = 1s;
    TestServer server(pty.path(), settings);
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    RawClient watcher(server.port(), "/c/vm1/ws");
    TestClient client(server.consoleUrl()); // QWebSocket answers pings by itself
    QTRY_VERIFY(watcher.hello && client.hello);

    QTRY_VERIFY_WITH_TIMEOUT(watcher.pingTimes.size() >= 5, 15000);
    for (size_t i = 1; i < watcher.pingTimes.size(); ++i) {
        const qint64 gap = watcher.pingTimes[i] - watcher.pingTimes[i - 1];
        QVERIFY2(
            gap >= 700 && gap <= 2500,
            qPrintable(QStringLiteral("%1 ms between pings %2 and %3").arg(gap).arg(i - 1).arg(i)));
    }
    // Five intervals on, both are still there: their pongs count.
    QVERIFY(!watcher.closeCode && !watcher.disconnected);
    QVERIFY(!client.closed);
    QCOMPARE(server.console->clientCount(), 2);
}

void tst_Limits::aClientThatStopsAnsweringPingsIsClosed()
{
    TestPty pty;
    ConsoleSettings settings = quietSettings();
    settings.limits.pingInterval = 1s;
    TestServer server(pty.path(), settings);
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    RawClient mute(server.port(), "/c/vm1/ws");
    TestClient alive(server.consoleUrl());
    QTRY_VERIFY(mute.hello && alive.hello);

    // It answers two pings, then falls silent (it still reads).
    QTRY_VERIFY_WITH_TIMEOUT(mute.pingTimes.size() >= 2, 10000);
    mute.answerPings = false;
    const qint64 lastAnswer = mute.pingTimes.back();
    QTRY_VERIFY_WITH_TIMEOUT(mute.closeCode.has_value(), 15000);
    QCOMPARE(*mute.closeCode, int(QWebSocketProtocol::CloseCodeGoingAway));
    QVERIFY2(mute.closeReason.contains(QLatin1String("no answer to pings for 2 s")),
             qPrintable(mute.closeReason));
    // Closed once two pings in a row went unanswered, and not before.
    QVERIFY2(
        mute.closeTime - lastAnswer >= 1500,
        qPrintable(
            QStringLiteral("closed %1 ms after the last answer").arg(mute.closeTime - lastAnswer)));
    QVERIFY(mute.pingTimes.size() >= 4);
    QTRY_VERIFY(mute.disconnected);
    QTRY_COMPARE(server.console->clientCount(), 1);
    // The answering client is left alone.
    QTest::qWait(1500);
    QVERIFY(!alive.closed);
    QCOMPARE(server.console->clientCount(), 1);
}

void tst_Limits::aClientThatReadsNothingIsCutOffAfterTheCloseGrace()
{
    TestPty pty;
    ConsoleSettings settings = quietSettings();
    settings.limits.pingInterval = 1s;
    TestServer server(pty.path(), settings);
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    RawClient gone(server.port(), "/c/vm1/ws", RawClient::Reading::No);
    TestClient alive(server.consoleUrl());
    QTRY_VERIFY(alive.hello.has_value());
    QTRY_COMPARE(server.console->clientCount(), 2);

    // Output fills everything between the server and the client that does not read, so the
    // close frame can never leave: the server has to cut the connection itself.
    QVERIFY(feedWhileServing(pty, pattern(0, 1024 * 1024)));
    QTRY_COMPARE_WITH_TIMEOUT(alive.received.size(), qsizetype(1024 * 1024), 30000);
    QElapsedTimer timer;
    timer.start();
    QTRY_COMPARE_WITH_TIMEOUT(server.console->clientCount(), 1, 30000);
    QVERIFY(!alive.closed);
    QCOMPARE(server.console->clients().front()->offset(), qint64(1024 * 1024));
}

void tst_Limits::aClientThatPingsWithoutReadingIsClosedAndItsAnswersStayBounded()
{
    TestPty pty;
    TestServer server(pty.path(), quietSettings());
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    RawClient flooder(server.port(), "/c/vm1/ws", RawClient::Reading::No);
    TestClient alive(server.consoleUrl());
    QTRY_VERIFY(alive.hello.has_value());
    QTRY_COMPARE(server.console->clientCount(), 2);
    const auto flooderSession = [&]() -> ClientSession * {
        const QString peer = QStringLiteral(":%1").arg(flooder.socket.localPort());
        for (ClientSession *client : server.console->clients()) {
            if (client->peer().endsWith(peer))
                return client;
        }
        return nullptr;
    };
    QVERIFY(flooderSession());

    // Every ping asks for a pong of the same size, which the flooder never reads.
    const QByteArray batch = clientFrame(0x9, QByteArray(125, 'p')).repeated(1000);
    const qint64 limit = 64 * 1024 * 1024;
    qint64 sent = 0;
    qint64 peak = 0;
    QElapsedTimer timer;
    timer.start();
    while (flooderSession() && sent < limit && timer.elapsed() < 30000) {
        if (flooder.socket.bytesToWrite() < 512 * 1024) {
            flooder.socket.write(batch);
            sent += batch.size();
        }
        QTest::qWait(1); // the server runs in this thread
        if (const ClientSession *session = flooderSession())
            peak = std::max(peak, session->bufferedBytes());
    }
    QTRY_VERIFY2_WITH_TIMEOUT(
        !flooderSession(),
        qPrintable(QStringLiteral("still a client after %1 MiB of pings; %2 bytes of answers "
                                  "waiting for it at most")
                       .arg(sent / (1024 * 1024))
                       .arg(peak)),
        10000);
    QVERIFY2(peak <= 1024 * 1024,
             qPrintable(QStringLiteral("%1 bytes of answers waited for the flooder").arg(peak)));
    // The client that reads is left alone.
    QVERIFY(!alive.closed);
    QCOMPARE(server.console->clientCount(), 1);
    QVERIFY(pty.write("still here"));
    QTRY_COMPARE(alive.received, QByteArray("still here"));
}

void tst_Limits::theIdleTimeoutClosesASilentClientButNotOneThatTypes()
{
    TestPty pty;
    ConsoleSettings settings = quietSettings();
    settings.limits.idleTimeout = 2s;
    // Pings go out and are answered all along: pongs are not activity.
    settings.limits.pingInterval = 1s;
    TestServer server(pty.path(), settings);
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    TestClient silent(server.consoleUrl());
    TestClient pinging(server.consoleUrl()); // keepalive pings only, as an idle page sends
    TestClient typing(server.consoleUrl());
    QTRY_VERIFY(silent.hello && pinging.hello && typing.hello);
    QElapsedTimer clock;
    clock.start();

    QTimer keys;
    int typed = 0;
    QObject::connect(&keys, &QTimer::timeout, &keys, [&] {
        if (typing.socket.state() == QAbstractSocket::ConnectedState) {
            typing.socket.sendBinaryMessage("x");
            ++typed;
        }
        if (pinging.socket.state() == QAbstractSocket::ConnectedState)
            pinging.send(Ping {QJsonValue(typed)});
    });
    keys.start(300);

    QTRY_VERIFY_WITH_TIMEOUT(silent.closed, 15000);
    const qint64 silentFor = clock.elapsed();
    QVERIFY2(silentFor >= 1500, qPrintable(QString::number(silentFor)));
    QCOMPARE(int(silent.closeCode), int(QWebSocketProtocol::CloseCodePolicyViolated));
    QVERIFY2(silent.socket.closeReason().contains(QLatin1String("idle")),
             qPrintable(silent.socket.closeReason()));
    QTRY_VERIFY_WITH_TIMEOUT(pinging.closed, 15000);
    QCOMPARE(int(pinging.closeCode), int(QWebSocketProtocol::CloseCodePolicyViolated));

    // The one that types stays, well past the timeout.
    while (clock.elapsed() < 5000)
        QTest::qWait(100);
    keys.stop();
    QVERIFY(!typing.closed);
    QTRY_COMPARE(server.console->clientCount(), 1);
    QByteArray input;
    QTRY_COMPARE(int((input += pty.readAvailable()).size()), typed);

    // Once it stops typing, it too is closed.
    QTRY_VERIFY_WITH_TIMEOUT(typing.closed, 15000);
    QCOMPARE(int(typing.closeCode), int(QWebSocketProtocol::CloseCodePolicyViolated));
    QTRY_COMPARE(server.console->clientCount(), 0);
}

QTEST_GUILESS_MAIN(tst_Limits)
#include "tst_limits.moc"
