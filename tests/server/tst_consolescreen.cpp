// The console's screen on the server, end to end on real ptys and real WebSocket clients: a
// client that attaches after the history wrapped sees the full-screen program as it is, and so
// does one that reconnects across a gap or asks; raw clients start on a line; the guest's
// queries get exactly one answer whatever the number of clients, none included; resizing
// follows the rules and everyone is told; no byte sequence stops the screen.

#include "consoleregistry.h"
#include "execsource.h"
#include "httpfrontend.h"
#include "ptysource.h"
#include "terminaldiff.h"
#include "testclient.h"
#include "testpty.h"
#include "workloads.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTest>

using namespace CloudConsole;
using namespace CloudConsole::Test;
using namespace CloudConsole::Protocol;

namespace {

ConsoleSettings smallHistory()
{
    ConsoleSettings settings;
    settings.name = QStringLiteral("vm1");
    settings.markers = false;
    settings.historySize = 64 * 1024;
    settings.limits.inputBytesPerSecond = 0;
    return settings;
}

// One console served on an ephemeral loopback port.
struct ScreenServer
{
    ScreenServer(std::unique_ptr<ConsoleSource> source, ConsoleSettings settings = smallHistory())
    {
        auto owned = std::make_unique<Console>(settings, std::move(source));
        console = owned.get();
        registry.add(std::move(owned));
        frontend = std::make_unique<HttpFrontend>(registry, FrontendSettings {});
        QString error;
        listening = frontend->listen(QHostAddress::LocalHost, 0, &error) && console->start(&error);
        if (!listening)
            qWarning() << "server did not start:" << error;
    }
    ~ScreenServer()
    {
        frontend.reset();
        registry.clear();
    }
    QUrl url(const QString &query = QString()) const
    {
        QUrl u(QStringLiteral("ws://127.0.0.1:%1/c/vm1/ws").arg(frontend->port()));
        if (!query.isEmpty())
            u.setQuery(query);
        return u;
    }

    ConsoleRegistry registry;
    Console *console = nullptr;
    std::unique_ptr<HttpFrontend> frontend;
    bool listening = false;
};

QByteArray workload(const QByteArray &name, qsizetype size)
{
    if (name == "editor")
        return Workloads::editorSession(size);
    if (name == "installer")
        return Workloads::installerDialog(size);
    if (name == "top")
        return Workloads::topScreen(size);
    return Workloads::kernelBootLog(size);
}

// What a terminal fed `bytes` from the start shows.
std::unique_ptr<TerminalModel> terminalOf(const QByteArray &bytes)
{
    auto model = std::make_unique<TerminalModel>(QSize(80, 24));
    model->setScrollbackCapacity(1000);
    model->write(bytes);
    return model;
}

// Everything the guest's terminal reads back, for `ms` milliseconds of the event loop.
QByteArray guestInputFor(TestPty &pty, int ms)
{
    QByteArray input;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < ms) {
        QTest::qWait(20);
        input += pty.readAvailable();
    }
    return input;
}

// A line's characters, blanks trimmed (ASCII is enough here).
QByteArray cellText(const Line &line)
{
    QByteArray text;
    for (const Cell &cell : line)
        text += cell.ch == 0 ? ' ' : char(cell.ch);
    return text.trimmed();
}

} // namespace

class tst_ConsoleScreen : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aLateClientSeesTheProgramAsItIs_data();
    void aLateClientSeesTheProgramAsItIs();
    void aReconnectAcrossAGapGetsTheScreen();
    void aClientThatAsksGetsTheScreenAndGoesOnFromIt();
    void aClientThatStartsFromTheScreenGetsNoHistory();
    void rawClientsOfAWrappedHistoryStartOnALine();
    void everyQueryGetsOneAnswerWhateverTheClients_data();
    void everyQueryGetsOneAnswerWhateverTheClients();
    void aResizeChangesAConsoleWithASizeAndEveryoneIsTold();
    void aSerialConsoleKeepsItsSize();
    void noByteSequenceStopsTheScreen();
    void theScreenPageShowsWhatTheProgramDrew();
    void withoutAScreenLateClientsGetBytesAndNobodyAnswers();
    void withoutAScreenAResumeAcrossAGapIsToldEverythingItMisses();
    void aSnapshotComesLaterAndStandsForEverythingFedBefore();
    void aResizeTakesEffectAfterTheBytesWrittenBeforeIt();
};

void tst_ConsoleScreen::aLateClientSeesTheProgramAsItIs_data()
{
    QTest::addColumn<QByteArray>("name");
    for (const char *name : {"editor", "installer", "top", "boot log"})
        QTest::newRow(name) << QByteArray(name);
}

void tst_ConsoleScreen::aLateClientSeesTheProgramAsItIs()
{
    QFETCH(QByteArray, name);
    TestPty pty;
    ScreenServer server(std::make_unique<PtySource>(pty.path()));
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());

    // The program drew its frame long ago; the 64 KiB history holds only its latest updates.
    const QByteArray stream = workload(name, 600 * 1024);
    const qsizetype early = 500 * 1024;
    QVERIFY(feedWhileServing(pty, stream.first(early)));
    QTRY_COMPARE(server.console->history().endOffset(), qint64(early));
    QVERIFY(server.console->history().startOffset() > 0);
    // The screen catches up on its own thread (slowly under the sanitizers); a client that came
    // while it was still behind the history would get the bytes instead.
    QTRY_COMPARE_WITH_TIMEOUT(server.console->screen().offset(), qint64(early), 60000);

    TestClient late(server.url());
    QTRY_COMPARE(late.screens.size(), size_t(1));
    QCOMPARE(late.screens[0].cols, 80);
    QCOMPARE(late.screens[0].rows, 24);
    QVERIFY(late.screens[0].complete);
    // The program goes on; the client follows from where its screen stood.
    QVERIFY(feedWhileServing(pty, stream.sliced(early)));
    QTRY_COMPARE(late.cursor.position(), qint64(stream.size()));

    const auto everything = terminalOf(stream);
    const auto client = terminalOf(late.display);
    const QString why = difference(*everything, *client);
    QVERIFY2(why.isEmpty(), qPrintable(why));
    // Byte replay alone would not have done: the history no longer draws it.
    const auto replay = terminalOf(server.console->history().copy(
        server.console->history().startOffset(), qsizetype(server.console->history().size())));
    // (top and a boot log redraw or scroll everything they show; they are here for the rest.)
    if (name == "editor" || name == "installer")
        QVERIFY(!difference(*everything, *replay).isEmpty());
}

void tst_ConsoleScreen::aReconnectAcrossAGapGetsTheScreen()
{
    TestPty pty;
    ScreenServer server(std::make_unique<PtySource>(pty.path()));
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    const QByteArray stream = Workloads::editorSession(400 * 1024);
    QVERIFY(feedWhileServing(pty, stream.first(10'000)));
    QTRY_COMPARE(server.console->history().endOffset(), qint64(10'000));

    std::optional<TestClient> first(std::in_place, server.url());
    QTRY_COMPARE(first->cursor.position(), qint64(10'000));
    QVERIFY(first->screens.empty()); // the history had not wrapped: bytes were enough
    const QString epoch = first->hello->epoch;
    first.reset();

    QVERIFY(feedWhileServing(pty, stream.sliced(10'000)));
    QTRY_COMPARE(server.console->history().endOffset(), qint64(stream.size()));
    QTRY_COMPARE_WITH_TIMEOUT(server.console->screen().offset(), qint64(stream.size()), 60000);
    TestClient again(server.url(QStringLiteral("offset=10000&epoch=%1").arg(epoch)));
    QTRY_COMPARE(again.screens.size(), size_t(1));
    QCOMPARE(again.gaps.size(), size_t(1));
    QCOMPARE(again.gaps[0].from, qint64(10'000));
    QTRY_COMPARE(again.cursor.position(), qint64(stream.size()));
    const QString why = difference(*terminalOf(stream), *terminalOf(again.display));
    QVERIFY2(why.isEmpty(), qPrintable(why));
}

void tst_ConsoleScreen::aClientThatAsksGetsTheScreenAndGoesOnFromIt()
{
    TestPty pty;
    ScreenServer server(std::make_unique<PtySource>(pty.path()));
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    const QByteArray stream = Workloads::installerDialog(30'000);
    QVERIFY(feedWhileServing(pty, stream.first(20'000)));
    TestClient client(server.url());
    QTRY_COMPARE(client.cursor.position(), qint64(20'000));
    QTRY_COMPARE(server.console->screen().offset(), qint64(20'000));
    client.send(ScreenRequest {});
    QTRY_COMPARE(client.screens.size(), size_t(1));
    QCOMPARE(client.screens[0].offset, qint64(20'000));
    // Asking again at once is refused, with a reason: a screen costs the server's thread.
    client.send(ScreenRequest {});
    QTRY_COMPARE(client.errors.size(), size_t(1));
    QCOMPARE(client.errors[0].code, QString::fromLatin1(ErrorCode::InputRate));
    QCOMPARE(client.screens.size(), size_t(1));
    QVERIFY(feedWhileServing(pty, stream.sliced(20'000)));
    QTRY_COMPARE(client.cursor.position(), qint64(stream.size()));
    const QString why = difference(*terminalOf(stream), *terminalOf(client.display));
    QVERIFY2(why.isEmpty(), qPrintable(why));
}

void tst_ConsoleScreen::aClientThatStartsFromTheScreenGetsNoHistory()
{
    TestPty pty;
    ScreenServer server(std::make_unique<PtySource>(pty.path()));
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    const QByteArray stream = Workloads::installerDialog(30'000);
    QVERIFY(feedWhileServing(pty, stream.first(20'000)));
    QTRY_COMPARE(server.console->history().endOffset(), qint64(20'000));
    // The history has not wrapped, so a client would replay it; start=screen gets the screen of
    // now instead, and the output after it.
    TestClient client(server.url(QStringLiteral("start=screen")));
    QTRY_COMPARE(client.screens.size(), size_t(1));
    QCOMPARE(client.screens[0].offset, qint64(20'000));
    QCOMPARE(client.cursor.position(), qint64(20'000));
    QVERIFY(feedWhileServing(pty, stream.sliced(20'000)));
    QTRY_COMPARE(client.cursor.position(), qint64(stream.size()));
    const QString why = difference(*terminalOf(stream), *terminalOf(client.display));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    // A resume goes on from its offset as ever; a start that is neither is refused.
    TestClient resumed(
        server.url(QStringLiteral("start=screen&offset=25000&epoch=%1").arg(client.hello->epoch)));
    QTRY_COMPARE(resumed.cursor.position(), qint64(stream.size()));
    QVERIFY(resumed.screens.empty());
    QTcpSocket raw;
    raw.connectToHost(QHostAddress::LocalHost, server.frontend->port());
    QVERIFY(raw.waitForConnected());
    raw.write("GET /c/vm1/ws?start=middle HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    QTRY_VERIFY(raw.bytesAvailable() > 0 || raw.waitForReadyRead(100));
    const QByteArray answer = raw.readAll();
    QVERIFY2(answer.startsWith("HTTP/1.1 400"), answer.constData());
    QVERIFY2(answer.contains("start must be screen or history"), answer.constData());
}

void tst_ConsoleScreen::rawClientsOfAWrappedHistoryStartOnALine()
{
    TestPty pty;
    ScreenServer server(std::make_unique<PtySource>(pty.path()));
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    // Lines of multi-byte characters and colours: the ring's oldest byte falls inside one.
    QByteArray line = "\x1b[38;5;208mhéllo wörld 日本語\x1b[m";
    QByteArray stream;
    for (int i = 0; stream.size() < 200'000; ++i)
        stream += line + QByteArray::number(i) + "\r\n";
    QVERIFY(feedWhileServing(pty, stream));
    QTRY_COMPARE(server.console->history().endOffset(), qint64(stream.size()));
    const qint64 start = server.console->history().startOffset();
    QVERIFY(start > 0);
    QVERIFY2(stream.at(start - 1) != '\n', "the test needs the ring to start inside a line");

    TestClient raw(server.url(), TestClient::Mode::Raw);
    QTRY_VERIFY(!raw.received.isEmpty() && raw.received.endsWith("\r\n"));
    QTRY_VERIFY(stream.endsWith(raw.received));
    QCOMPARE(stream.at(stream.size() - raw.received.size() - 1), '\n');
    QVERIFY(raw.received.startsWith(line));
}

void tst_ConsoleScreen::everyQueryGetsOneAnswerWhateverTheClients_data()
{
    QTest::addColumn<int>("clients");
    QTest::newRow("no client") << 0;
    QTest::newRow("one client") << 1;
    QTest::newRow("three clients") << 3;
}

void tst_ConsoleScreen::everyQueryGetsOneAnswerWhateverTheClients()
{
    QFETCH(int, clients);
    TestPty pty;
    ScreenServer server(std::make_unique<PtySource>(pty.path()));
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    std::vector<std::unique_ptr<TestClient>> watching;
    for (int i = 0; i < clients; ++i) {
        watching.push_back(std::make_unique<TestClient>(server.url()));
        QTRY_VERIFY(watching.back()->hello.has_value());
    }
    // What systemd, resize(1) and vim ask on a serial line: cursor position, size, attributes.
    QVERIFY(feedWhileServing(pty, "login: \x1b[6n\x1b[18t\x1b[c"));
    const QByteArray answers = guestInputFor(pty, 1000);
    QCOMPARE(answers, QByteArray("\x1b[1;8R\x1b[8;24;80t\x1b[?1;2c"));
    QCOMPARE(server.console->screen().answeredQueries(), qint64(1));
}

void tst_ConsoleScreen::aResizeChangesAConsoleWithASizeAndEveryoneIsTold()
{
    ConsoleSettings settings = smallHistory();
    settings.size = QSize(100, 30);
    ScreenServer server(std::make_unique<ExecSource>(QStringLiteral("stty size; exec cat")),
                        settings);
    QVERIFY(server.listening);
    TestClient a(server.url());
    TestClient b(server.url());
    QTRY_VERIFY(a.hello && b.hello);
    QCOMPARE(a.hello->cols, 100);
    QCOMPARE(a.hello->rows, 30);
    QVERIFY(a.hello->canResize);
    QTRY_VERIFY(a.shown.contains("30 100")); // the program started at the console's size

    // Two operators resize; the last one wins, and both hear of each.
    a.send(Resize {120, 40});
    QTRY_COMPARE(b.sizes.size(), size_t(1));
    b.send(Resize {90, 25});
    QTRY_COMPARE(a.sizes.size(), size_t(2));
    QTRY_COMPARE(b.sizes.size(), size_t(2));
    QCOMPARE(a.sizes.back().cols, 90);
    QCOMPARE(a.sizes.back().rows, 25);
    QCOMPARE(server.console->screen().size(), QSize(90, 25));
    // A client that connects now is told the size in its hello.
    TestClient c(server.url());
    QTRY_VERIFY(c.hello.has_value());
    QCOMPARE(c.hello->cols, 90);
    // The same size again changes nothing and tells nobody.
    a.send(Resize {90, 25});
    QTest::qWait(300);
    QCOMPARE(b.sizes.size(), size_t(2));
}

void tst_ConsoleScreen::aSerialConsoleKeepsItsSize()
{
    TestPty pty;
    ScreenServer server(std::make_unique<PtySource>(pty.path()));
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    TestClient a(server.url());
    TestClient b(server.url());
    QTRY_VERIFY(a.hello && b.hello);
    QVERIFY(!a.hello->canResize);
    a.send(Resize {132, 50});
    QTest::qWait(300);
    QVERIFY(b.sizes.empty());
    QVERIFY(a.sizes.empty());
    QCOMPARE(server.console->screen().size(), QSize(80, 24));
    // What the guest asks is answered with the size it really has.
    QVERIFY(feedWhileServing(pty, "\x1b[18t"));
    QCOMPARE(guestInputFor(pty, 500), QByteArray("\x1b[8;24;80t"));
}

void tst_ConsoleScreen::noByteSequenceStopsTheScreen()
{
    TestPty pty;
    ScreenServer server(std::make_unique<PtySource>(pty.path()));
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    TestClient client(server.url());
    QTRY_VERIFY(client.hello.has_value());

    QRandomGenerator random(20261204);
    QByteArray hostile;
    // Random bytes.
    for (int i = 0; i < 64 * 1024; ++i)
        hostile += char(random.bounded(256));
    // CSI with hundreds of parameters (libvterm 0.1.4 crashes on 17 or more).
    hostile += "\x1b[";
    for (int i = 0; i < 500; ++i)
        hostile += QByteArray::number(random.bounded(100000)) + ';';
    hostile += "m\x1b[38:2:59:66:97;48:2:36:40:59;58:2:224:175:104;4:3m";
    // A huge OSC, never ended, then ended.
    hostile += "\x1b]0;" + QByteArray(256 * 1024, 'T') + "\x07";
    hostile += "\x1b]2;" + QByteArray(100'000, 'x');
    // Endless wide characters, and truncated sequences of every kind.
    for (int i = 0; i < 20'000; ++i)
        hostile += "日";
    for (const char *cut : {"\x1b", "\x1b[", "\x1b[?", "\x1b]", "\x1bP", "\xe6", "\xe6\x97"})
        hostile += QByteArray(cut) + "x";
    // Whatever modes the random bytes left, a reset and a line must come through.
    hostile += "\x18\x1b"
               "cstill alive\r\n";
    QVERIFY(feedWhileServing(pty, hostile));
    QTRY_COMPARE(server.console->history().endOffset(), qint64(hostile.size()));
    const qint64 end = hostile.size();
    QTRY_COMPARE_WITH_TIMEOUT(server.console->screen().offset(), end, 20000);
    QCOMPARE(server.console->screen().lastLine(), QStringLiteral("still alive"));
    QTRY_COMPARE(client.cursor.position(), end);
    // A snapshot of that screen still draws it.
    client.send(ScreenRequest {});
    QTRY_COMPARE(client.screens.size(), size_t(1));
    QVERIFY(client.screens[0].data.size() > 0);
}

void tst_ConsoleScreen::theScreenPageShowsWhatTheProgramDrew()
{
    TestPty pty;
    ScreenServer server(std::make_unique<PtySource>(pty.path()));
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    const QByteArray stream = Workloads::installerDialog(200 * 1024);
    QVERIFY(feedWhileServing(pty, stream));
    QTRY_COMPARE(server.console->screen().offset(), qint64(stream.size()));
    const auto reference = terminalOf(stream);

    const auto get = [&server](const QByteArray &target) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, server.frontend->port());
        if (!socket.waitForConnected(5000))
            return QByteArray();
        socket.write("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QByteArray answer;
        QElapsedTimer timer;
        timer.start();
        while (socket.state() == QAbstractSocket::ConnectedState && timer.elapsed() < 5000) {
            QTest::qWait(5);
            answer += socket.readAll();
        }
        return answer + socket.readAll();
    };
    const auto bodyOf
        = [](const QByteArray &answer) { return answer.mid(answer.indexOf("\r\n\r\n") + 4); };

    // Text: every row the program drew, its blank tail trimmed, nothing after the last one.
    QByteArray answer = get("/c/vm1/screen");
    QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.left(200).constData());
    QString expected;
    for (int row = 0; row < 24; ++row)
        expected += reference->lineText(reference->scrollbackLines() + row) + u'\n';
    while (expected.endsWith(QLatin1String("\n\n")))
        expected.chop(1);
    QCOMPARE(QString::fromUtf8(bodyOf(answer)), expected);
    QVERIFY(expected.contains(QLatin1String("Installing the base system")));

    // JSON: size, offset, cursor, title and the lines with their colours.
    answer = get("/c/vm1/screen?format=json");
    const QJsonObject json = QJsonDocument::fromJson(bodyOf(answer)).object();
    QCOMPARE(json.value(QLatin1String("cols")).toInt(), 80);
    QCOMPARE(json.value(QLatin1String("rows")).toInt(), 24);
    QCOMPARE(qint64(json.value(QLatin1String("offset")).toDouble()), qint64(stream.size()));
    QCOMPARE(json.value(QLatin1String("title")).toString(),
             QStringLiteral("Debian GNU/Linux installer"));
    QCOMPARE(json.value(QLatin1String("cursor")).toObject().value(QLatin1String("row")).toInt(),
             reference->cursor().position.y());
    const QJsonArray lines = json.value(QLatin1String("lines")).toArray();
    QCOMPARE(lines.size(), 24);
    const QJsonObject titleLine = lines.at(5).toObject();
    QVERIFY(titleLine.value(QLatin1String("text")).toString().contains(QLatin1String("[!!]")));
    bool red = false;
    for (const QJsonValue &run : titleLine.value(QLatin1String("runs")).toArray())
        red = red
            || run.toObject().value(QLatin1String("fg")).toString() == QLatin1String("#cc0000");
    QVERIFY2(red, "the dialog's title is red on the screen");

    // HTML for people: a coloured <pre>, with the text escaped.
    answer = get("/c/vm1/screen?format=html");
    QVERIFY(answer.contains("Content-Type: text/html"));
    QVERIFY(bodyOf(answer).contains("<pre>"));
    QVERIFY(bodyOf(answer).contains("Installing the base system"));
    QVERIFY(get("/c/vm1/screen?format=xml").startsWith("HTTP/1.1 400"));
    QVERIFY(get("/c/vm2/screen").startsWith("HTTP/1.1 404"));

    // The index data has the screen's last line.
    answer = get("/consoles.json");
    QVERIFY2(bodyOf(answer).contains("\"lastLine\""), answer.constData());
}

void tst_ConsoleScreen::withoutAScreenLateClientsGetBytesAndNobodyAnswers()
{
    TestPty pty;
    ConsoleSettings settings = smallHistory();
    settings.screen = false;
    ScreenServer server(std::make_unique<PtySource>(pty.path()), settings);
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    QVERIFY(!server.console->screen().isEnabled());
    QVERIFY(feedWhileServing(pty, "\x1b[6n"));
    QCOMPARE(guestInputFor(pty, 500), QByteArray());
    const QByteArray stream = Workloads::editorSession(200 * 1024);
    QVERIFY(feedWhileServing(pty, stream));
    QTRY_COMPARE(server.console->history().endOffset(), qint64(stream.size() + 4));
    TestClient late(server.url());
    QTRY_VERIFY(late.received.size() > 60 * 1024);
    QTest::qWait(200);
    QVERIFY(late.screens.empty());
    QTRY_COMPARE(late.cursor.position(), qint64(stream.size() + 4));
}

void tst_ConsoleScreen::withoutAScreenAResumeAcrossAGapIsToldEverythingItMisses()
{
    // Byte replay starts on a line of the history as it is: the gap must run up to there, not
    // stop at the history's first byte, or the client takes the first line's tail for the bytes
    // it was told come next.
    TestPty pty;
    ConsoleSettings settings = smallHistory();
    settings.screen = false;
    ScreenServer server(std::make_unique<PtySource>(pty.path()), settings);
    QVERIFY(server.listening);
    QTRY_VERIFY(server.console->source().isUp());
    const QByteArray stream = Workloads::kernelBootLog(300 * 1024);
    QVERIFY(feedWhileServing(pty, stream.first(1000)));
    QTRY_COMPARE(server.console->history().endOffset(), qint64(1000));
    std::optional<TestClient> first(std::in_place, server.url());
    QTRY_VERIFY(first->hello.has_value());
    const QString epoch = first->hello->epoch;
    first.reset();

    QVERIFY(feedWhileServing(pty, stream.sliced(1000)));
    QTRY_COMPARE(server.console->history().endOffset(), qint64(stream.size()));
    QVERIFY(server.console->history().startOffset() > 1000);
    TestClient again(server.url(QStringLiteral("offset=1000&epoch=%1").arg(epoch)));
    QTRY_COMPARE(again.gaps.size(), size_t(1));
    QCOMPARE(again.gaps[0].from, qint64(1000));
    QTRY_COMPARE(again.cursor.position(), qint64(stream.size()));
    // What arrived is the stream from where the gap said it goes on.
    QCOMPARE(again.received, stream.sliced(again.gaps[0].to));
    QVERIFY(again.screens.empty());
}

void tst_ConsoleScreen::aSnapshotComesLaterAndStandsForEverythingFedBefore()
{
    // The console's thread asks and goes on: the answer comes through its event loop, after
    // the screen's thread has taken every byte fed before the request.
    ConsoleScreen screen(QSize(80, 24), 1000);
    const QByteArray stream = Workloads::topScreen(256 * 1024);
    screen.feed(0, stream);
    std::vector<ConsoleScreen::Snapshot> got;
    QObject receiver;
    screen.requestSnapshot(&receiver, stream.size(),
                           [&got](ConsoleScreen::Snapshot snapshot) { got.push_back(snapshot); });
    QVERIFY(got.empty()); // never inside the call
    // A receiver that is gone gets nothing.
    auto gone = std::make_unique<QObject>();
    bool calledGone = false;
    screen.requestSnapshot(gone.get(), 0,
                           [&calledGone](ConsoleScreen::Snapshot) { calledGone = true; });
    // One that takes any screen is served as soon as the model can; the one above still gets
    // a snapshot that stands for everything it asked for.
    std::optional<qint64> anyOffset;
    screen.requestSnapshot(&receiver, 0, [&anyOffset](ConsoleScreen::Snapshot snapshot) {
        anyOffset = snapshot.offset;
    });
    gone.reset();
    QTRY_COMPARE_WITH_TIMEOUT(got.size(), size_t(1), 20000);
    QCOMPARE(got.front().offset, qint64(stream.size()));
    QVERIFY(anyOffset.has_value());
    QVERIFY(*anyOffset >= 0 && *anyOffset <= stream.size());
    QVERIFY(got.front().complete);
    QTest::qWait(100);
    QVERIFY(!calledGone);
    QCOMPARE(got.size(), size_t(1));

    // The snapshot draws what a terminal that saw every byte shows.
    QCOMPARE(difference(*terminalOf(stream), *terminalOf(got.front().data)), QString());

    // The text published for /screen stands for the same bytes once the offset has moved.
    QTRY_COMPARE(screen.offset(), qint64(stream.size()));
    QCOMPARE(screen.text().offset, qint64(stream.size()));

    // A screen that is off answers too, with an offset no client can go on from.
    ConsoleScreen off(QSize(80, 24), 1000, false);
    std::optional<qint64> offOffset;
    off.requestSnapshot(&receiver, 0, [&offOffset](ConsoleScreen::Snapshot snapshot) {
        offOffset = snapshot.offset;
    });
    QTRY_VERIFY(offOffset.has_value());
    QCOMPARE(*offOffset, qint64(-1));
}

void tst_ConsoleScreen::aResizeTakesEffectAfterTheBytesWrittenBeforeIt()
{
    // 60 columns of text written at 80 columns fill one line; libvterm does not reflow, so at
    // 40 columns that line is cut. Written after the resize, they would wrap onto a second.
    ConsoleScreen screen(QSize(80, 24), 1000);
    const QByteArray line = QByteArray(60, 'x');
    screen.feed(0, line);
    screen.resize(QSize(40, 24));
    QCOMPARE(screen.size(), QSize(40, 24)); // told at once
    screen.feed(line.size(), "\r\nend");
    QTRY_COMPARE(screen.offset(), qint64(line.size() + 5));
    const ConsoleScreen::Text text = screen.text();
    QCOMPARE(text.size, QSize(40, 24));
    QCOMPARE(cellText(text.lines.at(0)), QByteArray(40, 'x'));
    QCOMPARE(cellText(text.lines.at(1)), QByteArray("end"));
}

QTEST_GUILESS_MAIN(tst_ConsoleScreen)
#include "tst_consolescreen.moc"
