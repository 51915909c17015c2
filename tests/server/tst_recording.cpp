// Time travel on the whole server, on real ptys with real WebSocket clients: recordings with
// two operators typing (each input event attributed), that Debian's asciinema plays; rotation
// and retention; a recording cut off in the middle of an event; what a viewer may fetch; and a
// search that finds, with its time, a line long gone from the history.

#include "authenticator.h"
#include "castformat.h"
#include "castrecorder.h"
#include "secrethash.h"
#include "testclient.h"
#include "testpty.h"
#include "testserver.h"
#include "timeindex.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace CloudConsole;
using namespace CloudConsole::Test;

class tst_Recording : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void twoOperatorsTypeAndTheRecordingSaysWhoTypedWhat();
    void filesRotateBySizeAndAgeAndTheOldestGoFirst();
    void anEventTooLargeForTheFileGoesOnInTheNextAndNamesKeepTheirOrder();
    void aRecordingCutOffMidEventPlaysUpToItsLastEvent();
    void searchFindsALineLongGoneFromTheHistoryWithItsTime();
    void searchReadsTheFilesLogrotateMovedAside();
    void badSearchesGetTheirReason();

private:
    QString m_operatorToken;
    QString m_secondToken;
    QString m_viewerToken;
    AccessSettings m_access;
};

namespace {

QByteArray bearer(const QString &token)
{
    return "Bearer " + token.toLatin1();
}

QByteArray get(const TestServer &server, const QByteArray &path, const QString &token = {})
{
    QByteArray request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!token.isEmpty())
        request += "Authorization: " + bearer(token) + "\r\n";
    return exchange(server.port(), request + "\r\n", QHostAddress(QHostAddress::LocalHost), 20000);
}

QByteArray bodyOf(const QByteArray &answer)
{
    return answer.mid(answer.indexOf("\r\n\r\n") + 4);
}

struct Played
{
    int exitCode = -1;
    QByteArray output;
};

// `asciinema cat FILE`, under `script`, since it opens /dev/tty.
Played asciinemaCat(const QString &file)
{
    QProcess process;
    process.start(QStringLiteral("script"),
                  {QStringLiteral("-qec"), QStringLiteral("asciinema cat '%1'").arg(file),
                   QStringLiteral("/dev/null")});
    process.closeWriteChannel();
    if (!process.waitForFinished(30000))
        return {};
    return {process.exitCode(), process.readAllStandardOutput()};
}

bool haveAsciinema()
{
    return !QStandardPaths::findExecutable(QStringLiteral("asciinema")).isEmpty()
        && !QStandardPaths::findExecutable(QStringLiteral("script")).isEmpty();
}

std::vector<CastReader::Event> eventsOf(const QString &path, CastReader *reader = nullptr)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    CastReader own;
    CastReader &r = reader ? *reader : own;
    std::vector<CastReader::Event> events;
    r.feed(file.readAll(), [&events](const CastReader::Event &e) { events.push_back(e); });
    r.finish();
    return events;
}

ConsoleSettings recorded(const QString &dir, const QString &name = QStringLiteral("vm1"))
{
    ConsoleSettings settings = plainConsoleSettings(name);
    settings.logPath = QDir(dir).filePath(name + QStringLiteral(".log"));
    settings.recording.enabled = true;
    settings.recording.input = true;
    return settings;
}

} // namespace

void tst_Recording::initTestCase()
{
    m_operatorToken = SecretHash::newToken();
    m_secondToken = SecretHash::newToken();
    m_viewerToken = SecretHash::newToken();
    m_access.credentials = {
        {Credential::Kind::Token,
         QStringLiteral("ci"),
         SecretHash::hashToken(m_operatorToken),
         Role::Operator,
         {}},
        {Credential::Kind::Token,
         QStringLiteral("deploy"),
         SecretHash::hashToken(m_secondToken),
         Role::Operator,
         {}},
        {Credential::Kind::Token,
         QStringLiteral("monitor"),
         SecretHash::hashToken(m_viewerToken),
         Role::Viewer,
         {}},
    };
}

void tst_Recording::twoOperatorsTypeAndTheRecordingSaysWhoTypedWhat()
{
    QTemporaryDir dir;
    TestPty pty;
    FrontendSettings frontend;
    frontend.access = m_access;
    TestServer server(pty.path(), recorded(dir.path()), frontend);
    QVERIFY(server.listening);
    TestClient first(server.request(QStringLiteral("/c/vm1/ws"), bearer(m_operatorToken)));
    TestClient second(server.request(QStringLiteral("/c/vm1/ws"), bearer(m_secondToken)));
    QTRY_VERIFY(first.hello.has_value() && second.hello.has_value());

    QVERIFY(pty.write("login: "));
    QTRY_COMPARE(first.received, QByteArray("login: "));
    first.socket.sendBinaryMessage("root\r");
    QByteArray typed;
    QTRY_COMPARE((typed += pty.readAvailable()), QByteArray("root\r"));
    second.socket.sendBinaryMessage("uptime\r");
    QTRY_COMPARE((typed += pty.readAvailable()), QByteArray("root\ruptime\r"));
    // Not UTF-8 (CP437 from firmware), and a character split across two reads.
    QVERIFY(pty.write("\xB0\xB1\xB2 box\r\n\xE2\x82"));
    QTest::qWait(50);
    QVERIFY(pty.write("\xAC euro\r\n"));
    QTRY_VERIFY(first.received.endsWith("euro\r\n"));
    QVERIFY(server.console->recorder().cast()->flush());
    const QString path = server.console->recorder().cast()->currentFile();
    QVERIFY(!path.isEmpty());

    CastReader reader;
    const std::vector<CastReader::Event> events = eventsOf(path, &reader);
    QVERIFY(reader.header().has_value());
    QCOMPARE(reader.header()->title, QStringLiteral("vm1"));
    QCOMPARE(reader.header()->width, 80);
    QCOMPARE(reader.header()->height, 24);
    QCOMPARE(reader.malformed(), 0);
    QStringList shown;
    QString output;
    for (const CastReader::Event &e : events) {
        if (e.code == QLatin1String("o"))
            output += e.data;
        else
            shown.append(e.code + QLatin1Char(' ') + e.data);
    }
    // Who joined, then each input with its author just before it.
    const QString a
        = QStringLiteral("ci (operator) from 127.0.0.1:%1").arg(first.socket.localPort());
    const QString b
        = QStringLiteral("deploy (operator) from 127.0.0.1:%1").arg(second.socket.localPort());
    const QStringList expected {
        QStringLiteral("m source up: ") + pty.path(),
        QStringLiteral("m client joined: ") + a,
        QStringLiteral("m client joined: ") + b,
        QStringLiteral("m input by ") + a,
        QStringLiteral("i root\r"),
        QStringLiteral("m input by ") + b,
        QStringLiteral("i uptime\r"),
    };
    QVERIFY2(shown == expected, qPrintable(shown.join(QLatin1Char('\n'))));
    QCOMPARE(output, QStringLiteral("login: \uFFFD\uFFFD\uFFFD box\r\n\u20AC euro\r\n"));

    if (haveAsciinema()) {
        const Played played = asciinemaCat(path);
        QCOMPARE(played.exitCode, 0);
        QVERIFY2(played.output.contains("euro"), played.output.constData());
    } else {
        qWarning("asciinema or script not installed: scripts/install-deps.sh --test");
    }

    // Over HTTP: the list, an operator's copy with the input, a viewer's without.
    const QString name = QFileInfo(path).fileName();
    const QJsonObject list
        = QJsonDocument::fromJson(bodyOf(get(server, "/c/vm1/recordings", m_viewerToken))).object();
    QCOMPARE(list.value(QLatin1String("files")).toArray().size(), 1);
    QCOMPARE(list.value(QLatin1String("files")).toArray().at(0).toObject().value("name").toString(),
             name);
    QCOMPARE(list.value(QLatin1String("input")).toBool(), false);
    const QByteArray asOperator
        = get(server, "/c/vm1/recordings/" + name.toLatin1(), m_operatorToken);
    QVERIFY2(statusLine(asOperator).contains("200"), asOperator.constData());
    QVERIFY(bodyOf(asOperator).contains("\"i\", \"root\\r\""));
    const QByteArray asViewer = get(server, "/c/vm1/recordings/" + name.toLatin1(), m_viewerToken);
    QVERIFY2(statusLine(asViewer).contains("200"), asViewer.constData());
    QVERIFY(!bodyOf(asViewer).contains("\"i\""));
    QVERIFY(!bodyOf(asViewer).contains("input by"));
    QVERIFY(bodyOf(asViewer).contains("euro"));
    // record-input-viewers = on: viewers see the input too.
    RecordingSettings viewersToo = server.console->settings().recording;
    viewersToo.inputForViewers = true;
    server.console->setRecording(viewersToo);
    const QByteArray asViewerNow
        = get(server, "/c/vm1/recordings/" + name.toLatin1(), m_viewerToken);
    QVERIFY2(bodyOf(asViewerNow).contains("\"i\", \"root\\r\""), asViewerNow.constData());
    QVERIFY(bodyOf(asViewerNow).contains("input by"));
    QVERIFY(statusLine(get(server, "/c/vm1/recordings/" + name.toLatin1())).contains("401"));
    QVERIFY(
        statusLine(get(server, "/c/vm1/recordings/other.cast", m_operatorToken)).contains("404"));
}

void tst_Recording::filesRotateBySizeAndAgeAndTheOldestGoFirst()
{
    QTemporaryDir dir;
    const QString recordings = dir.filePath(QStringLiteral("casts"));
    QDir().mkpath(recordings);
    // A file of an earlier run, older than record-keep-age.
    const QString ancient
        = QDir(recordings).filePath(QStringLiteral("vm1-20000101-000000-000.cast"));
    {
        QFile old(ancient);
        QVERIFY(old.open(QIODevice::WriteOnly));
        old.write(Cast::header(80, 24, 1, QStringLiteral("vm1")));
        old.setFileTime(QDateTime::currentDateTimeUtc().addDays(-40),
                        QFileDevice::FileModificationTime);
    }
    // Another console's file stays, whatever its age.
    const QString other
        = QDir(recordings).filePath(QStringLiteral("vm10-20000101-000000-000.cast"));
    QFile(other).open(QIODevice::WriteOnly);

    TestPty pty;
    ConsoleSettings settings = recorded(dir.path());
    settings.logPath.clear(); // record-dir alone
    settings.recording.dir = recordings;
    settings.recording.rotateSize = 4096;
    settings.recording.keepSize = 16 * 1024;
    settings.recording.keepAge = std::chrono::hours(24 * 30);
    TestServer server(pty.path(), settings);
    QVERIFY(server.listening);
    TestClient client(server.consoleUrl());
    QTRY_VERIFY(client.hello.has_value());
    const QByteArray line = QByteArray(70, 'x') + "\r\n";
    qsizetype sent = 0;
    // 57 KB in batches; the recorder may join a batch's reads, or several batches, into one
    // event: whatever the joins, no file passes rotate-size.
    for (int i = 0; i < 800; ++i) {
        QVERIFY(pty.write(QByteArray::number(i) + line));
        sent += line.size();
        if (i % 50 == 0)
            QTRY_COMPARE(client.received.size() >= sent, true);
    }
    QTRY_VERIFY(client.received.endsWith("799" + line));
    QVERIFY(server.console->recorder().cast()->flush());
    QTRY_VERIFY(!QFile::exists(ancient));
    QVERIFY(QFile::exists(other));
    std::vector<QFileInfo> files = CastRecorder::files(recordings, QStringLiteral("vm1"));
    QVERIFY2(files.size() >= 3, qPrintable(QString::number(files.size())));
    qint64 total = 0;
    for (const QFileInfo &file : files) {
        total += file.size();
        CastReader reader;
        eventsOf(file.absoluteFilePath(), &reader);
        QVERIFY(reader.header().has_value());
        QCOMPARE(reader.malformed(), 0);
        QVERIFY2(file.size() <= 4096, qPrintable(QString::number(file.size())));
    }
    // Over keep-size, the oldest went; the newest holds the last line.
    QVERIFY2(total <= 16 * 1024 + 4096, qPrintable(QString::number(total)));
    QFile newest(files.back().absoluteFilePath());
    QVERIFY(newest.open(QIODevice::ReadOnly));
    QVERIFY(newest.readAll().contains("799xxx"));
    QVERIFY(
        !QFile::exists(QDir(recordings).filePath(QStringLiteral("vm1-20000101-000000-000.cast"))));

    // By age: a file older than record-rotate-age ends, and the next event starts another.
    RecordingSettings byAge = settings.recording;
    byAge.rotateSize = 0;
    byAge.keepSize = 0;
    byAge.rotateAge = std::chrono::seconds(1);
    server.console->setRecording(byAge);
    const size_t before = CastRecorder::files(recordings, QStringLiteral("vm1")).size();
    QVERIFY(pty.write("first\r\n"));
    QTRY_VERIFY(client.received.endsWith("first\r\n"));
    QVERIFY(server.console->recorder().cast()->flush());
    QTest::qWait(2200);
    QVERIFY(pty.write("second\r\n"));
    QTRY_VERIFY(client.received.endsWith("second\r\n"));
    QVERIFY(server.console->recorder().cast()->flush());
    QCOMPARE(CastRecorder::files(recordings, QStringLiteral("vm1")).size(), before + 2);
}

void tst_Recording::anEventTooLargeForTheFileGoesOnInTheNextAndNamesKeepTheirOrder()
{
    QTemporaryDir dir;
    RecordingSettings settings;
    settings.enabled = true;
    settings.dir = dir.path();
    settings.rotateSize = 4096;
    settings.keepSize = 0;
    // 40 KB in one read, as a join of many makes it: 2-byte characters, one cut between reads,
    // quotes and controls that take more room escaped than raw.
    QByteArray output;
    for (int i = 0; output.size() < 40 * 1024; ++i)
        output += QByteArray::number(i) + " \"\xC3\xA9t\xC3\xA9\" \x01\r\n";
    const qsizetype cut = output.indexOf('\xC3', 20000) + 1;
    {
        CastRecorder recorder(QStringLiteral("vm1"), settings, QSize(80, 24));
        recorder.output(QByteArrayView(output).first(cut));
        recorder.output(QByteArrayView(output).sliced(cut));
        recorder.marker(QStringLiteral("the end"));
        QVERIFY(recorder.flush());
    }
    const std::vector<QFileInfo> files = CastRecorder::files(dir.path(), QStringLiteral("vm1"));
    QVERIFY2(files.size() >= 10, qPrintable(QString::number(files.size())));
    QString played;
    QStringList markers;
    for (const QFileInfo &file : files) {
        QVERIFY2(file.size() <= 4096, qPrintable(QString::number(file.size())));
        CastReader reader;
        for (const CastReader::Event &event : eventsOf(file.absoluteFilePath(), &reader)) {
            if (event.code == QLatin1String("o"))
                played += event.data;
            else
                markers += event.data;
        }
        QVERIFY(reader.header().has_value());
        QCOMPARE(reader.malformed(), 0);
        QVERIFY(!reader.cutOff());
    }
    // In the order of the names, the files play the output whole and in order.
    QCOMPARE(played, QString::fromUtf8(output));
    QCOMPARE(markers, QStringList {QStringLiteral("the end")});
}

void tst_Recording::aRecordingCutOffMidEventPlaysUpToItsLastEvent()
{
    QTemporaryDir dir;
    TestPty pty;
    TestServer server(pty.path(), recorded(dir.path()));
    QVERIFY(server.listening);
    TestClient client(server.consoleUrl());
    QTRY_VERIFY(client.hello.has_value());
    QVERIFY(pty.write("one\r\n"));
    QTRY_VERIFY(client.received.endsWith("one\r\n"));
    QTest::qWait(20);
    QVERIFY(pty.write("two\r\n"));
    QTRY_VERIFY(client.received.endsWith("two\r\n"));
    QVERIFY(server.console->recorder().cast()->flush());
    const QString path = server.console->recorder().cast()->currentFile();
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QByteArray whole = file.readAll();
    file.close();
    // The crash came in the middle of the last event's line.
    const QString cut = dir.filePath(QStringLiteral("cut.cast"));
    QFile out(cut);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(whole.left(whole.size() - 6));
    out.close();
    CastReader reader;
    const std::vector<CastReader::Event> events = eventsOf(cut, &reader);
    QVERIFY(reader.cutOff());
    QCOMPARE(reader.malformed(), 0);
    QString played;
    for (const CastReader::Event &e : events)
        played += e.data;
    QVERIFY(played.contains(QStringLiteral("one")));
    QVERIFY(!played.contains(QStringLiteral("two")));
    if (haveAsciinema()) {
        // asciinema plays it up to the cut, then says the last line is not JSON.
        const Played cat = asciinemaCat(cut);
        QVERIFY2(cat.output.contains("one\r\n"), cat.output.constData());
        QVERIFY(!cat.output.contains("two"));
    }
}

void tst_Recording::searchFindsALineLongGoneFromTheHistoryWithItsTime()
{
    QTemporaryDir dir;
    TestPty pty;
    ConsoleSettings settings = recorded(dir.path());
    settings.recording.enabled = false; // the time index comes with the log
    settings.historySize = 4096;
    FrontendSettings frontend;
    frontend.access = m_access;
    TestServer server(pty.path(), settings, frontend);
    QVERIFY(server.listening);
    TestClient client(server.request(QStringLiteral("/c/vm1/ws"), bearer(m_viewerToken)));
    QTRY_VERIFY(client.hello.has_value());
    QVERIFY(pty.write("[    1.0] booting\r\n"));
    QTRY_VERIFY(client.received.endsWith("booting\r\n"));
    QTest::qWait(1100);
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    // The line to find, coloured in the middle of a word.
    QVERIFY(pty.write("[    2.0] Kernel pa\x1b[1mnic\x1b[0m - not syncing: VFS\r\n"));
    QTRY_VERIFY(client.received.endsWith("VFS\r\n"));
    const qint64 after = QDateTime::currentMSecsSinceEpoch();
    const qint64 offset = server.console->history().endOffset() - 40;
    QTest::qWait(1100);
    for (int i = 0; i < 200; ++i) // far more than the history holds
        QVERIFY(pty.write("filler line " + QByteArray::number(i) + " ................\r\n"));
    const qint64 end
        = offset + 40 + 200 * 30 + 10 * 1 + 90 * 2 + 100 * 3 - 200 * 0; // the filler lines' bytes
    Q_UNUSED(end);
    QTRY_VERIFY(server.console->history().copy(server.console->history().endOffset() - 22, 22)
                == "199 ................\r\n");
    QVERIFY(server.console->history().startOffset() > offset);
    server.console->flushLog();

    const QByteArray answer
        = get(server, "/c/vm1/search?q=panic%20-%20not&context=1", m_viewerToken);
    QVERIFY2(statusLine(answer).contains("200"), answer.constData());
    const QJsonObject document = QJsonDocument::fromJson(bodyOf(answer)).object();
    const QJsonArray results = document.value(QLatin1String("results")).toArray();
    QCOMPARE(results.size(), 1);
    const QJsonObject result = results.at(0).toObject();
    QCOMPARE(result.value("line").toString(),
             QStringLiteral("[    2.0] Kernel panic - not syncing: VFS"));
    QCOMPARE(result.value("before").toArray().at(0).toString(),
             QStringLiteral("[    1.0] booting"));
    QCOMPARE(result.value("file").toString(), QStringLiteral("vm1.log"));
    QCOMPARE(result.value("epoch").toString(), server.console->epoch());
    QCOMPARE(qint64(result.value("offset").toDouble()), qint64(19));
    QCOMPARE(qint64(result.value("position").toDouble()), qint64(19));
    const qint64 time = QDateTime::fromString(result.value("time").toString(), Qt::ISODateWithMs)
                            .toMSecsSinceEpoch();
    QVERIFY2(time >= before - 1000 && time <= after, qPrintable(result.value("time").toString()));

    // Bounded by time: before the line, nothing; from it on, the line.
    const QByteArray earlier
        = "/c/vm1/search?q=panic&to=" + QByteArray::number((before - 1500) / 1000.0, 'f', 3);
    QCOMPARE(QJsonDocument::fromJson(bodyOf(get(server, earlier, m_viewerToken)))
                 .object()
                 .value("results")
                 .toArray()
                 .size(),
             0);
    const QByteArray later
        = "/c/vm1/search?q=panic&from=" + QByteArray::number(before / 1000.0, 'f', 3);
    QCOMPARE(QJsonDocument::fromJson(bodyOf(get(server, later, m_viewerToken)))
                 .object()
                 .value("results")
                 .toArray()
                 .size(),
             1);
    // A regular expression finds it too; another console's credential would not (403).
    const QByteArray regex
        = get(server, "/c/vm1/search?q=K.rnel%5Cs%2Bpanic&regex=1", m_viewerToken);
    QCOMPARE(QJsonDocument::fromJson(bodyOf(regex)).object().value("results").toArray().size(), 1);
    QVERIFY(statusLine(get(server, "/c/vm1/search?q=panic")).contains("401"));
}

void tst_Recording::searchReadsTheFilesLogrotateMovedAside()
{
    QTemporaryDir dir;
    TestPty pty;
    ConsoleSettings settings = recorded(dir.path());
    settings.recording.enabled = false;
    TestServer server(pty.path(), settings);
    QVERIFY(server.listening);
    TestClient client(server.consoleUrl());
    QTRY_VERIFY(client.hello.has_value());
    QVERIFY(pty.write("before rotation: needle one\r\n"));
    QTRY_VERIFY(client.received.endsWith("one\r\n"));
    server.console->flushLog();
    // logrotate: the file moves aside, SIGHUP reopens the path.
    QVERIFY(QFile::rename(settings.logPath, settings.logPath + QStringLiteral(".1")));
    server.console->reopenLog();
    QVERIFY(pty.write("after rotation: needle two\r\n"));
    QTRY_VERIFY(client.received.endsWith("two\r\n"));
    server.console->flushLog();
    // A file of the same name that the index does not name is not this log's.
    QFile stranger(settings.logPath + QStringLiteral(".old"));
    QVERIFY(stranger.open(QIODevice::WriteOnly));
    stranger.write("needle three\n");
    stranger.close();

    const QJsonObject document
        = QJsonDocument::fromJson(bodyOf(get(server, "/c/vm1/search?q=needle"))).object();
    const QJsonArray results = document.value("results").toArray();
    QCOMPARE(results.size(), 2);
    QCOMPARE(results.at(0).toObject().value("file").toString(), QStringLiteral("vm1.log.1"));
    QCOMPARE(results.at(1).toObject().value("file").toString(), QStringLiteral("vm1.log"));
    QCOMPARE(qint64(results.at(1).toObject().value("offset").toDouble()), qint64(29));
    QCOMPARE(qint64(results.at(1).toObject().value("position").toDouble()), qint64(0));
    QVERIFY(results.at(1).toObject().value("time").isString());
}

void tst_Recording::badSearchesGetTheirReason()
{
    QTemporaryDir dir;
    TestPty pty;
    TestServer server(pty.path(), recorded(dir.path()));
    QVERIFY(server.listening);
    for (const auto &[path, reason] :
         {std::pair {QByteArray("/c/vm1/search"), QByteArray("q must")},
          std::pair {QByteArray("/c/vm1/search?q=(a&regex=1"), QByteArray("not valid")},
          std::pair {QByteArray("/c/vm1/search?q=a&limit=x"), QByteArray("limit must")},
          std::pair {QByteArray("/c/vm1/search?q=a&from=soon"), QByteArray("from must")}}) {
        const QByteArray answer = get(server, path);
        QVERIFY2(statusLine(answer).contains("400"), answer.constData());
        QVERIFY2(bodyOf(answer).contains(reason), answer.constData());
    }
    QVERIFY(statusLine(get(server, "/c/nosuch/search?q=a")).contains("404"));
    // A pattern that backtracks without end is bounded by PCRE2's match limit and the time
    // limit: the answer comes.
    QVERIFY(pty.write(QByteArray(3000, 'a') + "!\r\n"));
    QTest::qWait(200);
    server.console->flushLog();
    const QByteArray slow = get(server, "/c/vm1/search?q=(a%2B)%2B%24&regex=1");
    QVERIFY2(statusLine(slow).contains("200"), slow.constData());
}

QTEST_MAIN(tst_Recording)
#include "tst_recording.moc"
