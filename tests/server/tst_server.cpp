// The server on 127.0.0.1 with real QWebSocket clients and a real pty as the VM console:
// replay, fan-out, slow clients, resume, source loss, log completeness, input, bad input.

#include "rawframe.h"
#include "testclient.h"
#include "testpty.h"
#include "testserver.h"

#include <QCryptographicHash>
#include <QFile>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <thread>

using namespace CloudConsole;
using namespace CloudConsole::Test;
using namespace CloudConsole::Protocol;

namespace {

constexpr int FloodTimeoutMs = 60000;

// Writes a pattern into the pty from another thread, as a guest flooding its console would.
class Flood
{
public:
    // bytesPerSecond 0 writes as fast as the pty takes it.
    Flood(TestPty &pty, qint64 start, qint64 bytes, qint64 bytesPerSecond = 0)
        : m_thread([&pty, start, bytes, bytesPerSecond, this] {
            constexpr qsizetype Chunk = 16 * 1024;
            for (qint64 at = start; at < start + bytes; at += Chunk) {
                const qsizetype n = qsizetype(std::min<qint64>(Chunk, start + bytes - at));
                if (!pty.write(pattern(at, n), 30000)) {
                    m_failed = true;
                    break;
                }
                // Paced without catching up: a late writer never bursts.
                if (bytesPerSecond > 0)
                    std::this_thread::sleep_for(
                        std::chrono::microseconds(qint64(n) * 1'000'000 / bytesPerSecond));
            }
            m_done = true;
        })
    { }
    ~Flood() { m_thread.join(); }
    bool done() const { return m_done; }
    bool failed() const { return m_failed; }

private:
    std::atomic<bool> m_done {false};
    std::atomic<bool> m_failed {false};
    std::thread m_thread;
};

// A client that stops reading: it shrinks its receive window, does the WebSocket handshake by
// hand, and leaves everything after that unread until resume().
class StalledClient
{
public:
    explicit StalledClient(quint16 port)
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int small = 4096;
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        socket.setSocketDescriptor(fd, QAbstractSocket::UnconnectedState);
        socket.setReadBufferSize(4096);
        socket.connectToHost(QHostAddress::LocalHost, port);
        socket.write(upgradeRequest("/ws", v1Subprotocol()));
    }

    // Reads everything, parsing the server's (unmasked, unfragmented) frames.
    void resume()
    {
        socket.setReadBufferSize(0);
        QObject::connect(&socket, &QTcpSocket::readyRead, &socket, [this] { drain(); });
        drain();
    }

    QTcpSocket socket;
    QByteArray buffer;
    bool handshakeDone = false;
    std::vector<ServerMessage> messages;
    // Where the next output byte belongs, from the hello and the gaps; every output byte is
    // checked against the pattern at its offset.
    qint64 position = -1;
    qint64 skipped = 0;
    int gaps = 0;
    qint64 wrongBytes = 0;

private:
    void drain()
    {
        buffer += socket.readAll();
        if (!handshakeDone)
            handshakeDone = takeHandshake(buffer);
        if (!handshakeDone)
            return;
        while (const std::optional<RawFrame> frame = takeServerFrame(buffer)) {
            const int opcode = frame->opcode;
            const QByteArray &payload = frame->payload;
            if (opcode == 0x2) {
                if (position < 0 || payload != pattern(position, payload.size()))
                    wrongBytes += payload.size();
                position += payload.size();
            } else if (opcode == 0x1) {
                const auto decoded = decodeServerMessage(payload);
                if (!std::holds_alternative<ServerMessage>(decoded))
                    continue;
                const ServerMessage &message = std::get<ServerMessage>(decoded);
                messages.push_back(message);
                if (const auto *hello = std::get_if<Hello>(&message)) {
                    position = hello->offset;
                } else if (const auto *gap = std::get_if<Gap>(&message)) {
                    if (gap->from != position)
                        wrongBytes += 1; // a gap must start exactly where the client is
                    skipped += gap->to - gap->from;
                    position = gap->to;
                    ++gaps;
                }
            }
        }
    }
};

QByteArray sha256(const QByteArray &data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex();
}

} // namespace

class tst_Server : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void clientsThatLeaveLeaveNothingBehind();
    void historyIsReplayedOnConnectWithoutPadding();
    void rawModeClientsGetBytesOnlyAndTypeWithTextOrBinary();
    void aClientJoiningDuringAFloodGetsEveryByteOnce();
    void everyByteReachesFiftyClientsInOrder();
    void aStalledClientHoldsBackNobodyAndGetsAGap();
    void resumingInsideTheHistoryRepeatsNothing();
    void resumingBeforeTheHistoryReportsTheGap();
    void anOffsetFromAnotherEpochReplaysTheHistory();
    void theSourceGoingAwayAndComingBackKeepsClients();
    void markersShowTheSourceComingAndGoingOnLinesOfTheirOwn();
    void theLogHoldsEveryByteRead_data();
    void theLogHoldsEveryByteRead();
    void inputFromEveryClientArrivesInOrder();
    void inputIsHeldBackNotRefusedWhenTheGuestStopsReading();
    void framesSentWithTheHandshakeAreNotLost_data();
    void framesSentWithTheHandshakeAreNotLost();
    void inputSentWhileTheGuestCatchesUpArrivesOnce();
    void answersToAClientThatDoesNotReadAreBounded();
    void badControlMessagesGetErrorsAndTheSessionGoesOn();
    void anOversizedMessageClosesOnlyThatClient();
    void refusedUpgradesNeverBecomeClients_data();
    void refusedUpgradesNeverBecomeClients();
    void theClientLimitRefusesWith503();
    void aFloodOfSilentConnectionsIsBounded();
    void namedConsolesAreServedUnderTheirPath();
};

void tst_Server::historyIsReplayedOnConnectWithoutPadding()
{
    TestPty pty;
    TestServer server(pty.path());
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    const QByteArray boot = "[    0.000000] Linux version 6.1.0\r\n[    0.1] Command line: "
                            "console=ttyS0\r\nlogin: ";
    QVERIFY(pty.write(boot));
    QTRY_COMPARE(server.console->history().endOffset(), boot.size());

    TestClient client(server.url());
    QTRY_VERIFY(client.connected);
    QTRY_COMPARE(client.received, boot);
    QVERIFY(client.hello);
    QCOMPARE(client.hello->offset, 0);
    QCOMPARE(client.hello->console, QStringLiteral("default"));
    QCOMPARE(client.hello->historyEnd, boot.size());
    QVERIFY(client.hello->source == SourceState::Up);
    QVERIFY(client.hello->writable);
    QVERIFY(!client.hello->epoch.isEmpty());
    QCOMPARE(client.socket.subprotocol(), QString::fromLatin1(Subprotocol));
    QVERIFY2(!client.received.contains('\0'), "history must not be padded");

    // Live output follows the history.
    QVERIFY(pty.write("root\r\n"));
    QTRY_COMPARE(client.received, boot + "root\r\n");
    QVERIFY(client.badTexts.isEmpty());
}

void tst_Server::rawModeClientsGetBytesOnlyAndTypeWithTextOrBinary()
{
    TestPty pty;
    TestServer server(pty.path());
    QTRY_VERIFY(server.console->source().isUp());
    QVERIFY(pty.write("history\r\n"));
    QTRY_COMPARE(server.console->history().endOffset(), 9);

    TestClient raw(server.url(), TestClient::Mode::Raw);
    QTRY_VERIFY(raw.connected);
    QTRY_COMPARE(raw.received, QByteArray("history\r\n"));
    QVERIFY(raw.socket.subprotocol().isEmpty());
    raw.socket.sendTextMessage(QStringLiteral("ls\r"));
    raw.socket.sendBinaryMessage("\x03");
    QByteArray input;
    QTRY_COMPARE((input += pty.readAvailable()), QByteArray("ls\r\x03"));
    QVERIFY(pty.write("more"));
    QTRY_COMPARE(raw.received, QByteArray("history\r\nmore"));
    QTest::qWait(50);
    QVERIFY2(raw.texts.isEmpty(), "raw mode has no control messages");
}

void tst_Server::aClientJoiningDuringAFloodGetsEveryByteOnce()
{
    TestPty pty;
    ConsoleSettings settings = plainConsoleSettings();
    settings.historySize = 16 * 1024 * 1024; // larger than the flood: no gap is possible
    TestServer server(pty.path(), settings);
    QTRY_VERIFY(server.console->source().isUp());

    const qint64 total = 8 * 1024 * 1024;
    Flood flood(pty, 0, total);
    QTRY_VERIFY(server.console->history().endOffset() > 512 * 1024);
    TestClient client(server.url());
    QTRY_VERIFY_WITH_TIMEOUT(flood.done(), FloodTimeoutMs);
    QVERIFY(!flood.failed());
    QTRY_COMPARE_WITH_TIMEOUT(qint64(client.received.size()), total, FloodTimeoutMs);
    QVERIFY(client.hello);
    QCOMPARE(client.hello->offset, 0);
    QVERIFY2(client.received == pattern(0, total), "history then live output, seamless");
    QCOMPARE(client.skipped, 0);
}

void tst_Server::everyByteReachesFiftyClientsInOrder()
{
    TestPty pty;
    TestServer server(pty.path());
    QTRY_VERIFY(server.console->source().isUp());
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < 50; ++i)
        clients.push_back(std::make_unique<TestClient>(server.url()));
    QTRY_COMPARE(server.console->clientCount(), 50);

    const qint64 total = 512 * 1024;
    Flood flood(pty, 0, total);
    QTRY_VERIFY_WITH_TIMEOUT(flood.done(), FloodTimeoutMs);
    const QByteArray expected = pattern(0, total);
    for (const auto &client : clients) {
        QTRY_COMPARE_WITH_TIMEOUT(qint64(client->received.size()), total, FloodTimeoutMs);
        QVERIFY(client->received == expected);
        QCOMPARE(client->skipped, 0);
    }
}

void tst_Server::aStalledClientHoldsBackNobodyAndGetsAGap()
{
    TestPty pty;
    ConsoleSettings settings = plainConsoleSettings();
    settings.historySize = 4 * 1024 * 1024;
    TestServer server(pty.path(), settings);
    QTRY_VERIFY(server.console->source().isUp());

    TestClient live(server.url());
    StalledClient stalled(server.frontend->port());
    QTRY_COMPARE(server.console->clientCount(), 2);

    // Far more than the history plus every buffer between the server and the stalled client,
    // at a pace the live client (in this same thread) keeps up with, with a quarter of a second
    // of history to spare: a gap for it could only come from the stalled one holding it back.
    const qint64 total = 24 * 1024 * 1024;
    Flood flood(pty, 0, total, 16 * 1024 * 1024);
    qint64 mostBuffered = 0;
    QElapsedTimer timer;
    timer.start();
    while (!flood.done() && timer.elapsed() < FloodTimeoutMs) {
        QTest::qWait(5);
        for (ClientSession *session : server.console->clients())
            mostBuffered = std::max(mostBuffered, session->bufferedBytes());
    }
    QVERIFY2(flood.done() && !flood.failed(), "the pty reader must never stall");
    QVERIFY2(mostBuffered <= ClientSession::SendHighWater + MaxOutputFrame + 4096,
             qPrintable(QStringLiteral("%1 bytes buffered for one client").arg(mostBuffered)));

    // The live client got everything, with nothing skipped.
    QTRY_COMPARE_WITH_TIMEOUT(qint64(live.received.size()), total, FloodTimeoutMs);
    QCOMPARE(live.skipped, 0);
    QVERIFY(live.received == pattern(0, total));

    // The stalled client catches up: every byte it gets is the right one, every byte it does
    // not get is inside a gap, and it reaches the end.
    stalled.resume();
    QTRY_COMPARE_WITH_TIMEOUT(stalled.position, total, FloodTimeoutMs);
    QVERIFY(!stalled.messages.empty() && std::holds_alternative<Hello>(stalled.messages.front()));
    QVERIFY2(stalled.gaps >= 1, "a client that fell behind the history must be told");
    QVERIFY2(stalled.skipped > total / 2, qPrintable(QString::number(stalled.skipped)));
    QCOMPARE(stalled.wrongBytes, 0);
}

void tst_Server::resumingInsideTheHistoryRepeatsNothing()
{
    TestPty pty;
    TestServer server(pty.path());
    QTRY_VERIFY(server.console->source().isUp());
    QVERIFY(pty.write("first part "));
    QTRY_COMPARE(server.console->history().endOffset(), 11);

    qint64 resumeAt = 0;
    QString epoch;
    {
        TestClient client(server.url());
        QTRY_COMPARE(client.received, QByteArray("first part "));
        resumeAt = *client.cursor.resumeOffset();
        epoch = client.cursor.epoch();
    }
    QVERIFY(pty.write("second part"));
    QTRY_COMPARE(server.console->history().endOffset(), 22);

    TestClient again(server.url(QStringLiteral("/ws"),
                                QStringLiteral("offset=%1&epoch=%2").arg(resumeAt).arg(epoch)));
    QTRY_COMPARE(again.received, QByteArray("second part"));
    QCOMPARE(again.hello->offset, 11);
    QVERIFY(again.gaps.empty());
    QCOMPARE(again.skipped, 0);
}

void tst_Server::resumingBeforeTheHistoryReportsTheGap()
{
    TestPty pty;
    ConsoleSettings settings = plainConsoleSettings();
    settings.historySize = 4096;
    TestServer server(pty.path(), settings);
    QTRY_VERIFY(server.console->source().isUp());
    QVERIFY(pty.write(pattern(0, 10000)));
    QTRY_COMPARE(server.console->history().endOffset(), 10000);

    QTRY_COMPARE(server.console->screen().offset(), 10000);

    // A v1 client gets the gap, then the screen in place of the bytes that no longer draw it;
    // the gap runs to where the screen stands.
    TestClient client(server.url(QStringLiteral("/ws"), QStringLiteral("offset=100")));
    QTRY_COMPARE(client.screens.size(), size_t(1));
    QCOMPARE(client.hello->offset, 10000 - 4096);
    QCOMPARE(client.gaps.size(), size_t(1));
    QCOMPARE(client.gaps[0].from, 100);
    QCOMPARE(client.gaps[0].to, 10000);
    QCOMPARE(client.screens[0].offset, 10000);
    QCOMPARE(client.skipped, 4096); // from the hello on: this cursor never had offset 100
    QVERIFY(client.texts.size() >= 3);
    QVERIFY(client.texts.at(1).contains(QLatin1String("\"gap\"")));
    QVERIFY(client.texts.at(2).contains(QLatin1String("\"screen\"")));
    QVERIFY(pty.write("next"));
    QTRY_COMPARE(client.received, QByteArray("next"));

    // A raw client has no screen: it gets the history, from its first line start.
    TestClient raw(server.url(QStringLiteral("/ws"), QStringLiteral("offset=100")),
                   TestClient::Mode::Raw);
    QTRY_VERIFY(raw.received.endsWith("next"));
    QVERIFY(pattern(0, 10000).endsWith(raw.received.chopped(4)));
}

void tst_Server::anOffsetFromAnotherEpochReplaysTheHistory()
{
    TestPty pty;
    TestServer server(pty.path());
    QTRY_VERIFY(server.console->source().isUp());
    QVERIFY(pty.write("abcdef"));
    QTRY_COMPARE(server.console->history().endOffset(), 6);
    TestClient client(server.url(QStringLiteral("/ws"), QStringLiteral("offset=3&epoch=0000")));
    QTRY_COMPARE(client.received, QByteArray("abcdef"));
    QCOMPARE(client.hello->offset, 0);
    TestClient beyond(server.url(QStringLiteral("/ws"), QStringLiteral("offset=99999")));
    QTRY_COMPARE(beyond.received, QByteArray("abcdef"));
}

void tst_Server::theSourceGoingAwayAndComingBackKeepsClients()
{
    QTemporaryDir dir;
    const QString link = dir.filePath(QStringLiteral("vm1.console"));
    auto first = std::make_unique<TestPty>();
    QVERIFY(QFile::link(first->path(), link));
    TestServer server(link);
    QTRY_VERIFY(server.console->source().isUp());
    TestClient client(server.url());
    QTRY_VERIFY(client.hello.has_value());
    QVERIFY(first->write("before\r\n"));
    QTRY_COMPARE(client.received, QByteArray("before\r\n"));

    first->hangup();
    QTRY_COMPARE(client.sourceEvents.size(), size_t(1));
    QVERIFY(client.sourceEvents[0].state == SourceState::Down);
    QVERIFY(!client.sourceEvents[0].reason.isEmpty());
    // Typing while the console is down is refused visibly.
    client.socket.sendBinaryMessage("ls\r");
    QTRY_COMPARE(client.errors.size(), size_t(1));
    QCOMPARE(client.errors[0].code, QString::fromLatin1(ErrorCode::SourceDown));

    TestPty second;
    QVERIFY(QFile::remove(link));
    QVERIFY(QFile::link(second.path(), link));
    QTRY_COMPARE_WITH_TIMEOUT(client.sourceEvents.size(), size_t(2), 10000);
    QVERIFY(client.sourceEvents[1].state == SourceState::Up);
    QCOMPARE(client.sourceEvents[1].reason, second.path());
    QVERIFY(second.write("after\r\n"));
    QTRY_COMPARE(client.received, QByteArray("before\r\nafter\r\n"));
    QVERIFY(client.connected && !client.closed);
    QCOMPARE(server.console->history().endOffset(), 15);
    client.socket.sendBinaryMessage("x");
    QByteArray input;
    QTRY_COMPARE((input += second.readAvailable()), QByteArray("x"));
}

void tst_Server::markersShowTheSourceComingAndGoingOnLinesOfTheirOwn()
{
    QTemporaryDir dir;
    const QString link = dir.filePath(QStringLiteral("vm1.console"));
    auto first = std::make_unique<TestPty>();
    QVERIFY(QFile::link(first->path(), link));
    ConsoleSettings settings; // markers on, as by default
    settings.logPath = dir.filePath(QStringLiteral("console.log"));
    TestServer server(link, settings);
    QTRY_VERIFY(server.console->source().isUp());
    TestClient client(server.url());
    // The guest stops in the middle of a line (a prompt), then its pty goes away.
    QVERIFY(first->write("login: "));
    QTRY_VERIFY(client.received.endsWith("login: "));
    first->hangup();
    QTRY_COMPARE(client.sourceEvents.size(), size_t(1));
    TestPty second;
    QVERIFY(QFile::remove(link));
    QVERIFY(QFile::link(second.path(), link));
    QTRY_COMPARE_WITH_TIMEOUT(client.sourceEvents.size(), size_t(2), 10000);
    QVERIFY(second.write("booted\r\n"));

    // The first marker starts the stream (nothing to break), the down marker breaks the
    // prompt's line, and the up marker follows a line end without adding an empty line.
    const QString time = QStringLiteral("\\d\\d:\\d\\d:\\d\\d");
    const QRegularExpression expected(
        QStringLiteral("\\A-- console up %1: %2 --\r\nlogin: \r\n-- console down %1: "
                       "%3 --\r\n-- console up %1: %4 --\r\nbooted\r\n\\z")
            .arg(time, QRegularExpression::escape(first->path()),
                 QRegularExpression::escape(client.sourceEvents[0].reason),
                 QRegularExpression::escape(second.path())));
    QTRY_VERIFY2(expected.match(QString::fromUtf8(client.received)).hasMatch(),
                 client.received.constData());
    // The log holds the same bytes: a reader of either sees when the console was away.
    server.console->flushLog();
    QFile log(settings.logPath);
    QVERIFY(log.open(QIODevice::ReadOnly));
    QCOMPARE(log.readAll(), client.received);
}

void tst_Server::theLogHoldsEveryByteRead_data()
{
    // Much smaller than the output: the log must not need it. Reads come in bursts of up to
    // 64 KiB, so the smaller ones hold less than one read.
    QTest::addColumn<qsizetype>("historySize");
    for (const qsizetype size : {4 * 1024, 16 * 1024, 32 * 1024, 64 * 1024})
        QTest::addRow("history of %lld KiB", qlonglong(size / 1024)) << size;
}

void tst_Server::theLogHoldsEveryByteRead()
{
    QFETCH(qsizetype, historySize);
    TestPty pty;
    QTemporaryDir dir;
    ConsoleSettings settings = plainConsoleSettings();
    settings.historySize = historySize;
    settings.logPath = dir.filePath(QStringLiteral("console.log"));
    TestServer server(pty.path(), settings);
    QTRY_VERIFY(server.console->source().isUp());

    // With no client connected at all.
    const qint64 total = 3 * 1024 * 1024 + 17;
    Flood flood(pty, 0, total);
    QTRY_VERIFY_WITH_TIMEOUT(flood.done(), FloodTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(server.console->history().endOffset(), total, FloodTimeoutMs);
    server.console->flushLog(); // the log is written on its own thread
    QFile log(settings.logPath);
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QByteArray logged = log.readAll();
    QCOMPARE(qint64(logged.size()), total);
    QCOMPARE(sha256(logged), sha256(pattern(0, total)));
}

void tst_Server::inputFromEveryClientArrivesInOrder()
{
    TestPty pty;
    TestServer server(pty.path());
    QTRY_VERIFY(server.console->source().isUp());
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < 3; ++i)
        clients.push_back(std::make_unique<TestClient>(server.url()));
    QTRY_COMPARE(server.console->clientCount(), 3);
    for (const auto &client : clients)
        QTRY_VERIFY(client->hello.has_value());

    QByteArray expectedLength;
    qsizetype total = 0;
    for (int n = 0; n < 200; ++n) {
        for (int c = 0; c < 3; ++c) {
            const QByteArray message = QByteArray::number(c) + ':' + QByteArray::number(n) + ';';
            clients[size_t(c)]->socket.sendBinaryMessage(message);
            total += message.size();
        }
    }
    QByteArray seen;
    QTRY_VERIFY_WITH_TIMEOUT((seen += pty.readAvailable()).size() >= total, 20000);
    QCOMPARE(seen.size(), total);
    // Each client's messages arrive whole and in the order it sent them.
    int next[3] = {0, 0, 0};
    for (const QByteArray &item : seen.split(';')) {
        if (item.isEmpty())
            continue;
        const QList<QByteArray> parts = item.split(':');
        QCOMPARE(parts.size(), 2);
        const int c = parts[0].toInt();
        QCOMPARE(parts[1].toInt(), next[c]);
        ++next[c];
    }
    QCOMPARE(next[0], 200);
    QCOMPARE(next[2], 200);
}

void tst_Server::inputIsHeldBackNotRefusedWhenTheGuestStopsReading()
{
    TestPty pty;
    TestServer server(pty.path());
    QTRY_VERIFY(server.console->source().isUp());
    TestClient client(server.url());
    QTRY_VERIFY(client.hello.has_value());

    // The guest reads nothing while 300 numbered 4 KiB messages arrive: more than the pty, the
    // console and the client's input queue hold together.
    constexpr int Messages = 300;
    for (int n = 0; n < Messages; ++n) {
        QByteArray message = QByteArray::number(n).rightJustified(8, '0');
        message += QByteArray(4096 - 8, 'x');
        client.socket.sendBinaryMessage(message);
    }
    // The server stops reading this client instead of refusing its input.
    ClientSession *session = server.console->clients().front();
    QTRY_VERIFY_WITH_TIMEOUT(session->isInputPaused(), 20000);
    QTest::qWait(500);
    QVERIFY2(client.errors.empty(),
             qPrintable(client.errors.empty() ? QString() : client.errors.front().message));
    QVERIFY(session->pendingInput().size() <= ClientSession::InputQueueLimit);
    // The event loop is not blocked: another client is answered meanwhile.
    TestClient other(server.url());
    QTRY_VERIFY(other.hello.has_value());
    other.send(Ping {QJsonValue(7)});
    QTRY_VERIFY(
        std::any_of(other.messages.begin(), other.messages.end(),
                    [](const ServerMessage &m) { return std::holds_alternative<Pong>(m); }));

    // The guest reads: every message arrives, whole and in order, and nothing was refused.
    QByteArray seen;
    const qsizetype expected = qsizetype(Messages) * 4096;
    QTRY_VERIFY2_WITH_TIMEOUT((seen += pty.readAvailable()).size() >= expected,
                              qPrintable(QStringLiteral("%1 bytes seen; paused %2, %3 waiting")
                                             .arg(seen.size())
                                             .arg(session->isInputPaused())
                                             .arg(session->pendingInput().size())),
                              30000);
    QTest::qWait(100);
    seen += pty.readAvailable();
    QCOMPARE(seen.size(), expected);
    for (int n = 0; n < Messages; ++n) {
        QCOMPARE(seen.mid(qsizetype(n) * 4096, 8).toInt(), n);
        QVERIFY(seen.mid(qsizetype(n) * 4096 + 8, 4096 - 8) == QByteArray(4096 - 8, 'x'));
    }
    QVERIFY(client.errors.empty());
    QTRY_VERIFY(!session->isInputPaused());
}

void tst_Server::framesSentWithTheHandshakeAreNotLost_data()
{
    // The head as clients send it. RFC 9112 lets a server take bare LF line ends and empty lines
    // before the request; this one does, so it must also finish such a handshake, not hold the
    // connection (counted against the client limits) for ever.
    QTest::addColumn<QByteArray>("head");
    const QByteArray head = upgradeRequest("/ws", v1Subprotocol());
    QTest::newRow("CRLF") << head;
    QTest::newRow("bare LF") << QByteArray(head).replace("\r\n", "\n");
    QTest::newRow("after an empty line") << "\r\n" + head;
}

void tst_Server::framesSentWithTheHandshakeAreNotLost()
{
    QFETCH(QByteArray, head);
    TestPty pty;
    TestServer server(pty.path());
    QTRY_VERIFY(server.console->source().isUp());
    // A script that does not wait for the 101 answer: handshake, input and a ping in one write.
    RawConnection raw(server.frontend->port());
    QTRY_COMPARE(raw.socket.state(), QAbstractSocket::ConnectedState);
    raw.socket.write(head + clientFrame(0x2, "typed early\r")
                     + clientFrame(0x1, "{\"type\":\"ping\"}") + clientFrame(0x2, "and more"));
    QTRY_VERIFY2(raw.answer.startsWith("HTTP/1.1 101"), raw.answer.constData());
    QByteArray input;
    QTRY_COMPARE((input += pty.readAvailable()), QByteArray("typed early\rand more"));
    QTRY_VERIFY2(raw.answer.contains("\"pong\""), raw.answer.constData());
    QCOMPARE(server.console->clientCount(), 1);
}

void tst_Server::inputSentWhileTheGuestCatchesUpArrivesOnce()
{
    TestPty pty;
    TestServer server(pty.path());
    QTRY_VERIFY(server.console->source().isUp());
    TestClient client(server.url());
    QTRY_VERIFY(client.hello.has_value());

    // Numbered 1 KiB messages, sent while the guest reads in small bites: the source's queue
    // fills and drains over and over while more input arrives.
    constexpr int Messages = 600;
    QByteArray seen;
    int sent = 0;
    QElapsedTimer timer;
    timer.start();
    while ((sent < Messages || seen.size() < (sent - int(client.errors.size())) * 1024)
           && timer.elapsed() < 30000) {
        for (int burst = 0; burst < 8 && sent < Messages; ++burst, ++sent) {
            QByteArray message = QByteArray::number(sent).rightJustified(8, '0');
            message += QByteArray(1024 - 8, char('a' + sent % 26));
            client.socket.sendBinaryMessage(message);
        }
        QTest::qWait(2);
        char bite[1500];
        const ssize_t n = ::read(pty.master(), bite, sizeof bite);
        if (n > 0)
            seen.append(bite, n);
    }
    QTest::qWait(100);
    seen += pty.readAvailable();
    const int refused = int(client.errors.size());
    QCOMPARE(seen.size(), (Messages - refused) * 1024);
    int previous = -1;
    for (qsizetype at = 0; at < seen.size(); at += 1024) {
        const int n = seen.mid(at, 8).toInt();
        QVERIFY2(n > previous,
                 qPrintable(QStringLiteral("message %1 after %2").arg(n).arg(previous)));
        QVERIFY2(seen.mid(at + 8, 1024 - 8) == QByteArray(1024 - 8, char('a' + n % 26)),
                 qPrintable(QStringLiteral("message %1 is not whole").arg(n)));
        previous = n;
    }
}

void tst_Server::answersToAClientThatDoesNotReadAreBounded()
{
    TestPty pty;
    TestServer server(pty.path());
    QTRY_VERIFY(server.console->source().isUp());
    StalledClient stalled(server.frontend->port());
    QTRY_COMPARE(server.console->clientCount(), 1);

    // 200 pings that each ask for 30 KiB back, from a client that reads none of it.
    const QByteArray ping = "{\"type\":\"ping\",\"data\":\"" + QByteArray(30 * 1024, 'p') + "\"}";
    for (int i = 0; i < 200; ++i)
        stalled.socket.write(clientFrame(0x1, ping));
    qint64 mostBuffered = 0;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < 2000) {
        QTest::qWait(5);
        mostBuffered = std::max(mostBuffered, server.console->clients().front()->bufferedBytes());
    }
    QVERIFY2(mostBuffered <= ClientSession::SendHighWater + 2 * ping.size(),
             qPrintable(QStringLiteral("%1 bytes buffered for one client").arg(mostBuffered)));

    // Once it reads again, the next answer that goes out is preceded by a count of those it
    // missed (it pings now and then, as clients do), and the session goes on.
    stalled.resume();
    const auto toldOfDroppedAnswers = [&stalled] {
        return std::any_of(stalled.messages.begin(), stalled.messages.end(),
                           [](const ServerMessage &m) {
                               const auto *error = std::get_if<Error>(&m);
                               return error && error->message.contains(QLatin1String("answers"));
                           });
    };
    timer.restart();
    while (!toldOfDroppedAnswers() && timer.elapsed() < 10000) {
        stalled.socket.write(clientFrame(0x1, "{\"type\":\"ping\"}"));
        QTest::qWait(200);
    }
    QVERIFY2(toldOfDroppedAnswers(), "the client was never told that answers were dropped");
    QCOMPARE(server.console->clientCount(), 1);
}

void tst_Server::badControlMessagesGetErrorsAndTheSessionGoesOn()
{
    TestPty pty;
    TestServer server(pty.path());
    QTRY_VERIFY(server.console->source().isUp());
    TestClient client(server.url());
    QTRY_VERIFY(client.hello.has_value());

    client.sendText("not json at all");
    client.sendText("[1,2,3]");
    client.sendText("{\"type\":\"reboot\"}");
    client.sendText("{\"type\":\"resize\",\"cols\":0,\"rows\":24}");
    client.sendText(QByteArray(60000, '{'));
    client.send(Break {});
    QTRY_COMPARE(client.errors.size(), size_t(6));
    QCOMPARE(client.errors[0].code, QStringLiteral("bad-json"));
    QCOMPARE(client.errors[1].code, QStringLiteral("bad-json"));
    QCOMPARE(client.errors[2].code, QStringLiteral("unknown-type"));
    QCOMPARE(client.errors[3].code, QStringLiteral("bad-message"));
    QCOMPARE(client.errors[4].code, QStringLiteral("bad-json"));
    QCOMPARE(client.errors[5].code, QStringLiteral("unsupported"));
    for (const Error &error : client.errors)
        QVERIFY(!error.message.isEmpty());

    // Binary garbage is input like any other, and the session still works.
    client.socket.sendBinaryMessage(QByteArray("\x00\xff\xfe\x1b[999999999m", 16));
    QByteArray input;
    QTRY_COMPARE((input += pty.readAvailable()), QByteArray("\x00\xff\xfe\x1b[999999999m", 16));
    QVERIFY(pty.write("still here"));
    QTRY_COMPARE(client.received, QByteArray("still here"));
    QVERIFY(!client.closed);
}

void tst_Server::anOversizedMessageClosesOnlyThatClient()
{
    TestPty pty;
    TestServer server(pty.path());
    QTRY_VERIFY(server.console->source().isUp());
    TestClient big(server.url());
    TestClient other(server.url());
    QTRY_VERIFY(big.hello && other.hello);

    big.socket.sendBinaryMessage(QByteArray(MaxClientMessage + 1, 'a'));
    QTRY_VERIFY(big.closed);
    QCOMPARE(big.closeCode, QWebSocketProtocol::CloseCodeTooMuchData);
    QTRY_COMPARE(server.console->clientCount(), 1);
    QTest::qWait(50);
    QCOMPARE(pty.readAvailable(), QByteArray());

    QVERIFY(pty.write("output goes on"));
    QTRY_COMPARE(other.received, QByteArray("output goes on"));
    // Exactly at the limit is still fine.
    other.socket.sendBinaryMessage(QByteArray(MaxClientMessage, 'b'));
    QByteArray input;
    QTRY_COMPARE_WITH_TIMEOUT((input += pty.readAvailable()).size(), MaxClientMessage, 10000);
}

void tst_Server::refusedUpgradesNeverBecomeClients_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QByteArray>("status");
    QTest::newRow("unknown console") << upgradeRequest("/c/nope/ws") << QByteArray("404");
    QTest::newRow("not a WebSocket path") << upgradeRequest("/elsewhere") << QByteArray("404");
    QTest::newRow("offset not a number") << upgradeRequest("/ws?offset=12abc") << QByteArray("400");
    QTest::newRow("negative offset") << upgradeRequest("/ws?offset=-5") << QByteArray("400");
    QTest::newRow("offset beyond 2^53")
        << upgradeRequest("/ws?offset=9999999999999999") << QByteArray("400");
    QTest::newRow("unsupported subprotocol")
        << upgradeRequest("/ws", "Sec-WebSocket-Protocol: chat\r\n") << QByteArray("400");
    QTest::newRow("upgrade by POST") << upgradeRequest("/ws", {}, "POST") << QByteArray("405");
    QTest::newRow("malformed head") << QByteArray("GET /ws\r\n\r\n") << QByteArray("400");
    QTest::newRow("folded header")
        << QByteArray("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n continued\r\n\r\n")
        << QByteArray("400");
    QTest::newRow("huge head") << upgradeRequest("/ws", "X-Pad: " + QByteArray(20000, 'p') + "\r\n")
                               << QByteArray("431");
    QTest::newRow("no key") << QByteArray(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n")
                            << QByteArray("400");
    QTest::newRow("bad key") << QByteArray(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: abc\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n")
                             << QByteArray("400");
    QTest::newRow("old WebSocket version") << QByteArray(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
                                           << QByteArray("426");
    QTest::newRow("a request with a body")
        << QByteArray("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello")
        << QByteArray("413");
    QTest::newRow("a chunked request") << QByteArray(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                                       << QByteArray("413");
    QTest::newRow("plain GET of the endpoint")
        << QByteArray("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") << QByteArray("426");
    // Empty lines before a request are allowed (RFC 9112 2.2), but count against the limit: a
    // head too large behind them is refused at once, not left to time out.
    QTest::newRow("a head too large behind empty lines") << QByteArray(100, '\n')
            + "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + QByteArray(17 * 1024, 'x')
            + "\r\n\r\n" << QByteArray("431");
}

void tst_Server::refusedUpgradesNeverBecomeClients()
{
    QFETCH(QByteArray, request);
    QFETCH(QByteArray, status);
    TestPty pty;
    TestServer server(pty.path());
    QTRY_VERIFY(server.console->source().isUp());
    const QByteArray line = statusLine(exchange(server.frontend->port(), request));
    QVERIFY2(line.startsWith("HTTP/1.1 " + status), line.constData());
    QTest::qWait(50);
    QCOMPARE(server.console->clientCount(), 0);
    // The server still serves a good client afterwards.
    TestClient good(server.url());
    QTRY_VERIFY(good.hello.has_value());
}

void tst_Server::theClientLimitRefusesWith503()
{
    TestPty pty;
    FrontendSettings limits;
    limits.maxClients = 2;
    TestServer server(pty.path(), {}, limits);
    QTRY_VERIFY(server.console->source().isUp());
    TestClient a(server.url());
    TestClient b(server.url());
    QTRY_COMPARE(server.console->clientCount(), 2);
    const QByteArray line = statusLine(exchange(server.frontend->port(), upgradeRequest("/ws")));
    QVERIFY2(line.startsWith("HTTP/1.1 503"), line.constData());
    QCOMPARE(server.console->clientCount(), 2);
    b.socket.close();
    QTRY_COMPARE(server.console->clientCount(), 1);
    TestClient c(server.url());
    QTRY_VERIFY(c.hello.has_value());
}

void tst_Server::aFloodOfSilentConnectionsIsBounded()
{
    TestPty pty;
    TestServer server(pty.path());
    QTRY_VERIFY(server.console->source().isUp());
    std::vector<std::unique_ptr<QTcpSocket>> silent;
    const int count = HttpFrontend::MaxPendingRequests + 50;
    for (int i = 0; i < count; ++i) {
        silent.push_back(std::make_unique<QTcpSocket>());
        silent.back()->connectToHost(QHostAddress::LocalHost, server.frontend->port());
    }
    // They take at most one address's places and wait for the rest; the server is not stuck
    // (tst_frontend tests who gets a place).
    QTest::qWait(500);
    QVERIFY(server.frontend->pendingRequests() <= HttpFrontend::MaxPendingPerAddress);
    QVERIFY(server.frontend->pendingRequests() + server.frontend->waitingConnections() <= count);
    silent.clear();
    QTRY_COMPARE(server.frontend->pendingRequests(), 0);
    QTRY_COMPARE(server.frontend->waitingConnections(), 0);
    TestClient client(server.url());
    QTRY_VERIFY_WITH_TIMEOUT(client.hello.has_value(), 10000);
}

void tst_Server::namedConsolesAreServedUnderTheirPath()
{
    TestPty pty;
    ConsoleSettings settings = plainConsoleSettings();
    settings.name = QStringLiteral("vm1");
    TestServer server(pty.path(), settings);
    QTRY_VERIFY(server.console->source().isUp());
    QVERIFY(pty.write("vm1 says hi"));
    TestClient named(server.url(QStringLiteral("/c/vm1/ws")));
    TestClient byDefault(server.url(QStringLiteral("/ws")));
    QTRY_COMPARE(named.received, QByteArray("vm1 says hi"));
    QTRY_COMPARE(byDefault.received, QByteArray("vm1 says hi"));
    QCOMPARE(named.hello->console, QStringLiteral("vm1"));
    const QByteArray page = statusLine(
        exchange(server.frontend->port(), "GET /c/vm1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    QVERIFY2(page.startsWith("HTTP/1.1 200"), page.constData());
    const QByteArray missing = statusLine(
        exchange(server.frontend->port(), "GET /c/vm2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    QVERIFY2(missing.startsWith("HTTP/1.1 404"), missing.constData());
}

void tst_Server::clientsThatLeaveLeaveNothingBehind()
{
    // A server runs for months: what a client had (its session, its WebSocket, the TCP socket
    // under it) goes when it does, raw and v1 alike, whether it closes or drops.
    TestPty pty;
    TestServer server(pty.path());
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    const auto objects = [&server] {
        return server.frontend->openConnections()
            + server.console->findChildren<QObject *>().size();
    };
    const qsizetype before = objects();
    for (int round = 0; round < 3; ++round) {
        std::vector<std::unique_ptr<TestClient>> clients;
        for (int i = 0; i < 10; ++i)
            clients.push_back(std::make_unique<TestClient>(
                server.url(), i % 2 ? TestClient::Mode::Raw : TestClient::Mode::V1));
        QTRY_COMPARE(server.clients(), 10);
        for (size_t i = 0; i < clients.size(); ++i) {
            if (i % 3 == 0)
                clients[i]->socket.abort(); // dropped, no close frame
            else
                clients[i]->socket.close();
        }
        clients.clear();
        QTRY_COMPARE(server.clients(), 0);
    }
    QTRY_COMPARE(objects(), before);
}

QTEST_GUILESS_MAIN(tst_Server)
#include "tst_server.moc"
