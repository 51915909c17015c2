// The replay page's server side: time ranges read from a console's recordings (and, without
// recordings, from its log and time index), the screens that let a player seek without playing
// everything before, recorded input for operators only, the .cast and text downloads, and
// malformed, reversed and huge ranges refused with their reason. Recordings are written here
// by hand (Cast::header, Cast::event) at known times; the HTTP tests run the whole server on a
// real pty.

#include "authenticator.h"
#include "castformat.h"
#include "recordinghttp.h"
#include "replayrange.h"
#include "screenserializer.h"
#include "secrethash.h"
#include "terminalmodel.h"
#include "testclient.h"
#include "testpty.h"
#include "testserver.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

using namespace CloudConsole;
using namespace CloudConsole::Test;

class tst_ReplayHttp : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void rangesAreReadOrRefusedWithTheirReason_data();
    void rangesAreReadOrRefusedWithTheirReason();
    void aRangeHasItsEventsInOrderAndTheScreenAtItsStart();
    void aViewerIsGivenNoRecordedInput();
    void aRangeThatStartsInALaterFileDrawsItsScreenFromTheFileBefore();
    void screensAlongTheWayDrawWhatPlayingTheEventsDraws();
    void tooMuchOutputIsCutAndSaysWhere();
    void downloadsAreAsciicastAndTextWithTheTimeOfEachLine();
    void aDamagedRecordingIsReadAroundTheDamageAndSaysSo();
    void theServerReplaysWithTheConsolesRulesFromTheLogWithoutRecordings();

private:
    QString m_operatorToken;
    QString m_viewerToken;
    QString m_otherToken; // an operator of another console only
    AccessSettings m_access;
};

namespace {

// 2024-05-01T03:00:00Z
const qint64 T0 = QDateTime(QDate(2024, 5, 1), QTime(3, 0), QTimeZone::utc()).toMSecsSinceEpoch();

struct Line
{
    double seconds;
    char code;
    QByteArray data;
};

// A recording named for its start, T0 + startMs, with a header of that size.
QString writeCast(const QString &dir, qint64 startMs, QSize size, const std::vector<Line> &lines,
                  const QByteArray &tail = {})
{
    const QString name = QStringLiteral("vm1")
        + QDateTime::fromMSecsSinceEpoch(T0 + startMs, QTimeZone::utc())
              .toString(QStringLiteral("-yyyyMMdd-HHmmss-zzz"))
        + QStringLiteral(".cast");
    QFile file(QDir(dir).filePath(name));
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(
        Cast::header(size.width(), size.height(), (T0 + startMs) / 1000, QStringLiteral("vm1")));
    for (const Line &line : lines)
        file.write(Cast::event(line.seconds, line.code, line.data));
    file.write(tail);
    return name;
}

// The session most tests read: ALPHA, a client joining, input, a resize, BRAVO; then, in a
// second file from T0 + 10 s, CHARLIE and a last line cut off by a crash.
void writeSession(const QString &dir)
{
    writeCast(dir, 0, {80, 24},
              {{0.5, 'o', "hello ALPHA\r\n"},
               {1.0, 'm', "client joined: alice (operator) from 10.0.0.5:4000"},
               {1.2, 'm', "input by alice (operator) from 10.0.0.5:4000"},
               {1.2, 'i', "ls\r"},
               {2.0, 'r', "100x30"},
               {2.5, 'o', "\x1b[2J\x1b[HBRAVO\r\n"}});
    writeCast(dir, 10000, {100, 30}, {{0.0, 'o', "CHARLIE\r\n"}}, "[1.0, \"o\", \"cut o");
}

ReplayRange::Sources sourcesIn(const QString &dir)
{
    return {QStringLiteral("vm1"), dir, {}, {80, 24}};
}

// What a terminal shows after these bytes.
QString drawn(const QByteArray &bytes, QSize size = {80, 24})
{
    Terminal::TerminalModel model(size);
    model.setRepliesEnabled(false);
    model.write(bytes);
    return model.allText().trimmed();
}

QString codes(const ReplayRangeData &range)
{
    QString out;
    for (const ReplayEvent &event : range.events)
        out += QLatin1Char(event.code);
    return out;
}

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

QByteArray iso(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs).toLatin1();
}

} // namespace

void tst_ReplayHttp::initTestCase()
{
    m_operatorToken = SecretHash::newToken();
    m_viewerToken = SecretHash::newToken();
    m_otherToken = SecretHash::newToken();
    m_access.credentials = {
        {Credential::Kind::Token,
         QStringLiteral("ci"),
         SecretHash::hashToken(m_operatorToken),
         Role::Operator,
         {}},
        {Credential::Kind::Token,
         QStringLiteral("monitor"),
         SecretHash::hashToken(m_viewerToken),
         Role::Viewer,
         {}},
        {Credential::Kind::Token,
         QStringLiteral("elsewhere"),
         SecretHash::hashToken(m_otherToken),
         Role::Operator,
         {QStringLiteral("vm2")}},
    };
}

void tst_ReplayHttp::rangesAreReadOrRefusedWithTheirReason_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<bool>("download");
    QTest::addColumn<qint64>("from"); // with no error
    QTest::addColumn<qint64>("to");
    QTest::addColumn<QString>("error"); // a part of it

    const qint64 now = T0 + 7200 * 1000;
    QTest::newRow("nothing: the hour before now")
        << QString() << false << now - 3600000 << now << "";
    QTest::newRow("ISO 8601 both") << "from=2024-05-01T03:00:00Z&to=2024-05-01T03:10:00.500Z"
                                   << false << T0 << T0 + 600500 << "";
    QTest::newRow("seconds since the epoch, no zone is UTC")
        << QStringLiteral("from=%1&to=2024-05-01T03:00:01").arg(T0 / 1000) << false << T0
        << T0 + 1000 << "";
    QTest::newRow("from alone: to now")
        << "from=2024-05-01T04:00:00Z" << false << T0 + 3600000 << now << "";
    QTest::newRow("a download as text") << "from=2024-05-01T03:00:00Z&to=2024-05-01T03:00:01Z"
                                           "&format=text"
                                        << true << T0 << T0 + 1000 << "";
    QTest::newRow("not a time") << "from=yesterday" << false << 0LL << 0LL << "from must be a time";
    QTest::newRow("an empty time") << "to=" << false << 0LL << 0LL << "to must be a time";
    QTest::newRow("reversed") << "from=2024-05-01T03:00:01Z&to=2024-05-01T03:00:00Z" << false << 0LL
                              << 0LL << "is after to";
    QTest::newRow("longer than a week") << "from=2024-05-01T00:00:00Z&to=2024-05-09T00:00:00Z"
                                        << false << 0LL << 0LL << "the range spans 192 hours";
    QTest::newRow("an unknown key") << "from=2024-05-01T03:00:00Z&speed=2" << false << 0LL << 0LL
                                    << "unknown parameter \"speed\"";
    QTest::newRow("format on the events")
        << "format=cast" << false << 0LL << 0LL << "unknown parameter \"format\"";
    QTest::newRow("a download without format")
        << "from=2024-05-01T03:00:00Z" << true << 0LL << 0LL << "format must be cast or text";
    QTest::newRow("an unknown format")
        << "format=pdf" << true << 0LL << 0LL << "format must be cast or text";
}

void tst_ReplayHttp::rangesAreReadOrRefusedWithTheirReason()
{
    QFETCH(QString, query);
    QFETCH(bool, download);
    QFETCH(qint64, from);
    QFETCH(qint64, to);
    QFETCH(QString, error);
    QString why;
    const std::optional<ReplayQuery> parsed
        = ReplayQuery::parse(query, download, T0 + 7200 * 1000, &why);
    if (!error.isEmpty()) {
        QVERIFY(!parsed);
        QVERIFY2(why.contains(error), qPrintable(why));
        return;
    }
    QVERIFY2(parsed, qPrintable(why));
    QCOMPARE(parsed->fromMs, from);
    QCOMPARE(parsed->toMs, to);
}

void tst_ReplayHttp::aRangeHasItsEventsInOrderAndTheScreenAtItsStart()
{
    QTemporaryDir dir;
    writeSession(dir.path());
    // From just before the join to the end: ALPHA is before the range, drawn in its screen.
    const ReplayRangeData range
        = ReplayRange::read(sourcesIn(dir.path()), T0 + 800, T0 + 60000, true);
    QCOMPARE(range.source, QStringLiteral("recording"));
    QCOMPARE(range.files.size(), 2);
    QCOMPARE(codes(range), QStringLiteral("mmiroo"));
    QCOMPARE(range.events[0].ms, T0 + 1000);
    QCOMPARE(range.events[3].data, QStringLiteral("100x30"));
    QCOMPARE(range.events[5].ms, T0 + 10000);
    QCOMPARE(range.events[5].data, QStringLiteral("CHARLIE\r\n"));
    QVERIFY(!range.truncated);
    QCOMPARE(range.startSize, QSize(80, 24));
    QCOMPARE(range.screens.size(), size_t(1));
    QCOMPARE(range.screens[0].event, 0);
    QCOMPARE(drawn(range.screens[0].data), QStringLiteral("hello ALPHA"));
    QVERIFY(range.warning.isEmpty());

    // A range that ends before the resize: neither it nor anything after.
    const ReplayRangeData early = ReplayRange::read(sourcesIn(dir.path()), T0, T0 + 1500, true);
    QCOMPARE(codes(early), QStringLiteral("ommi"));
    QCOMPARE(drawn(early.screens[0].data), QString());
    // Before any recording: nothing, and an empty screen of the first file's size.
    const ReplayRangeData before
        = ReplayRange::read(sourcesIn(dir.path()), T0 - 60000, T0 - 1000, true);
    QVERIFY(before.events.empty());
    QCOMPARE(before.source, QString()); // nothing recorded by then
}

void tst_ReplayHttp::aViewerIsGivenNoRecordedInput()
{
    QTemporaryDir dir;
    writeSession(dir.path());
    const ReplayRangeData range = ReplayRange::read(sourcesIn(dir.path()), T0, T0 + 60000, false);
    QCOMPARE(codes(range), QStringLiteral("omroo"));
    QCOMPARE(range.events[1].data,
             QStringLiteral("client joined: alice (operator) from 10.0.0.5:4000"));
    const ReplayQuery query {T0, T0 + 60000, ReplayQuery::Format::Cast};
    QVERIFY(!ReplayRange::cast(QStringLiteral("vm1"), query, range).contains("\"i\""));
    QVERIFY(!ReplayRange::json(QStringLiteral("vm1"), query, range, false).contains("input by"));
}

void tst_ReplayHttp::aRangeThatStartsInALaterFileDrawsItsScreenFromTheFileBefore()
{
    QTemporaryDir dir;
    writeSession(dir.path());
    const ReplayRangeData range
        = ReplayRange::read(sourcesIn(dir.path()), T0 + 10500, T0 + 60000, true);
    QVERIFY(range.events.empty());
    QCOMPARE(range.startSize, QSize(100, 30));
    QCOMPARE(range.screens[0].size, QSize(100, 30));
    QCOMPARE(drawn(range.screens[0].data, {100, 30}), QStringLiteral("BRAVO\nCHARLIE"));
    QCOMPARE(range.files.first(), QStringLiteral("vm1-20240501-030000-000.cast"));
}

void tst_ReplayHttp::screensAlongTheWayDrawWhatPlayingTheEventsDraws()
{
    QTemporaryDir dir;
    // 2 MiB of numbered lines, coloured, 1 ms apart: four screens at least.
    std::vector<Line> lines;
    qint64 bytes = 0;
    for (int i = 0; bytes < 2 * 1024 * 1024; ++i) {
        QByteArray line = "\x1b[3" + QByteArray::number(i % 8) + "mline " + QByteArray::number(i)
            + " of the flood " + QByteArray(40, char('a' + i % 26)) + "\x1b[0m\r\n";
        if (i == 20000)
            line += "\x1b[?1049h\x1b[Hon the alternate screen\r\n";
        bytes += line.size();
        lines.push_back({i / 1000.0, 'o', line});
    }
    writeCast(dir.path(), 0, {80, 24}, lines);
    const ReplayRangeData range = ReplayRange::read(sourcesIn(dir.path()), T0, T0 + 3600000, true);
    QCOMPARE(range.events.size(), lines.size());
    QVERIFY2(range.screens.size() >= 4, qPrintable(QString::number(range.screens.size())));
    for (size_t k = 1; k < range.screens.size(); ++k) {
        const ReplayScreen &screen = range.screens[k];
        QVERIFY(screen.event > range.screens[k - 1].event);
        QCOMPARE(screen.ms, range.events[screen.event - 1].ms);
        // Played from the start screen up to the screen's event, and drawn from the screen
        // alone: the same terminal (ScrollbackLines of scrollback, as the screens keep).
        Terminal::TerminalModel played;
        played.setRepliesEnabled(false);
        played.setScrollbackCapacity(ReplayRange::ScrollbackLines);
        played.write(range.screens[0].data);
        for (qsizetype i = 0; i < screen.event; ++i)
            played.write(range.events[i].data.toUtf8());
        Terminal::TerminalModel fromScreen;
        fromScreen.setRepliesEnabled(false);
        fromScreen.setScrollbackCapacity(ReplayRange::ScrollbackLines);
        fromScreen.write(screen.data);
        QCOMPARE(fromScreen.isAltScreen(), played.isAltScreen());
        QCOMPARE(fromScreen.allText(), played.allText());
    }
}

void tst_ReplayHttp::tooMuchOutputIsCutAndSaysWhere()
{
    QTemporaryDir dir;
    std::vector<Line> lines;
    for (int i = 0; i < 100; ++i)
        lines.push_back({double(i), 'o', QByteArray(1000, 'x')});
    writeCast(dir.path(), 0, {80, 24}, lines);
    const ReplayRangeData range
        = ReplayRange::read(sourcesIn(dir.path()), T0, T0 + 3600000, true, 10500);
    QVERIFY(range.truncated);
    QCOMPARE(range.events.size(), size_t(10));
    QCOMPARE(range.endMs, T0 + 9000);
    const ReplayQuery query {T0, T0 + 3600000, ReplayQuery::Format::Json};
    const QJsonObject json
        = QJsonDocument::fromJson(ReplayRange::json(QStringLiteral("vm1"), query, range, true))
              .object();
    QCOMPARE(json.value("truncated").toBool(), true);
    QCOMPARE(qint64(json.value("endMs").toDouble()), T0 + 9000);
    QCOMPARE(json.value("events").toArray().size(), 10);
}

void tst_ReplayHttp::downloadsAreAsciicastAndTextWithTheTimeOfEachLine()
{
    QTemporaryDir dir;
    writeSession(dir.path());
    const ReplayQuery query {T0 + 800, T0 + 60000, ReplayQuery::Format::Cast};
    const ReplayRangeData range
        = ReplayRange::read(sourcesIn(dir.path()), query.fromMs, query.toMs, true);
    const QByteArray cast = ReplayRange::cast(QStringLiteral("vm1"), query, range);
    CastReader reader;
    std::vector<CastReader::Event> events;
    reader.feed(cast, [&events](const CastReader::Event &e) { events.push_back(e); });
    reader.finish();
    QVERIFY(reader.header().has_value());
    QCOMPARE(reader.header()->version, 2);
    QCOMPARE(reader.header()->width, 80);
    QCOMPARE(reader.header()->height, 24);
    QCOMPARE(reader.header()->timestamp, T0 / 1000);
    QCOMPARE(reader.header()->title, QStringLiteral("vm1"));
    QCOMPARE(reader.malformed(), 0);
    QVERIFY(!reader.cutOff());
    // The screen at the start first, then the events at their times from the header's second.
    QCOMPARE(events.size(), size_t(7));
    QCOMPARE(events[0].code, QStringLiteral("o"));
    QCOMPARE(events[0].time, 0.8);
    QCOMPARE(drawn(events[0].data.toUtf8()), QStringLiteral("hello ALPHA"));
    QCOMPARE(events[1].time, 1.0);
    QCOMPARE(events[6].time, 10.0);
    QCOMPARE(events[6].data, QStringLiteral("CHARLIE\r\n"));

    const ReplayRangeData all = ReplayRange::read(sourcesIn(dir.path()), T0, T0 + 60000, true);
    QCOMPARE(QString::fromUtf8(ReplayRange::text(all)),
             QStringLiteral("2024-05-01T03:00:00.500Z  hello ALPHA\n"
                            "2024-05-01T03:00:01.000Z  -- client joined: alice (operator) from "
                            "10.0.0.5:4000 --\n"
                            "2024-05-01T03:00:01.200Z  -- input by alice (operator) from "
                            "10.0.0.5:4000 --\n"
                            "2024-05-01T03:00:02.000Z  -- size 100x30 --\n"
                            "2024-05-01T03:00:02.500Z  BRAVO\n"
                            "2024-05-01T03:00:10.000Z  CHARLIE\n"));
}

void tst_ReplayHttp::aDamagedRecordingIsReadAroundTheDamageAndSaysSo()
{
    QTemporaryDir dir;
    const QString name = writeCast(dir.path(), 0, {80, 24}, {{0.5, 'o', "before\r\n"}},
                                   "not json at all\n[1.0, \"o\"\n\x01\x02\xff\n");
    QFile file(QDir(dir.path()).filePath(name));
    QVERIFY(file.open(QIODevice::Append));
    file.write(Cast::event(2.0, 'o', "after\r\n"));
    file.close();
    const ReplayRangeData range = ReplayRange::read(sourcesIn(dir.path()), T0, T0 + 60000, true);
    QCOMPARE(codes(range), QStringLiteral("oo"));
    QCOMPARE(range.events[1].data, QStringLiteral("after\r\n"));
    QVERIFY2(range.warning.contains(QLatin1String("damaged lines skipped")),
             qPrintable(range.warning));
    // A file that is not a recording at all, and a folder that is gone: nothing, no crash.
    QFile junk(QDir(dir.path()).filePath(QStringLiteral("vm1-20240501-030100-000.cast")));
    QVERIFY(junk.open(QIODevice::WriteOnly));
    junk.write(QByteArray(5000, '\xff'));
    junk.close();
    const ReplayRangeData withJunk
        = ReplayRange::read(sourcesIn(dir.path()), T0, T0 + 3600000, true);
    QCOMPARE(codes(withJunk), QStringLiteral("oo"));
    QVERIFY(ReplayRange::read(sourcesIn(dir.filePath(QStringLiteral("gone"))), T0, T0 + 1000, true)
                .events.empty());
}

void tst_ReplayHttp::theServerReplaysWithTheConsolesRulesFromTheLogWithoutRecordings()
{
    QTemporaryDir dir;
    TestPty pty;
    ConsoleSettings settings = plainConsoleSettings(QStringLiteral("vm1"));
    settings.logPath = QDir(dir.path()).filePath(QStringLiteral("vm1.log"));
    settings.historySize = 4096;
    FrontendSettings frontend;
    frontend.access = m_access;
    TestServer server(pty.path(), settings, frontend);
    QVERIFY(server.listening);
    TestClient client(server.request(QStringLiteral("/c/vm1/ws"), bearer(m_viewerToken)));
    QTRY_VERIFY(client.hello.has_value());
    const qint64 start = QDateTime::currentMSecsSinceEpoch();
    QVERIFY(pty.write("first line, long gone\r\n"));
    QTRY_VERIFY(client.received.endsWith("gone\r\n"));
    QTest::qWait(1100);
    for (int i = 0; i < 200; ++i) // far more than the history holds
        QVERIFY(pty.write("filler line " + QByteArray::number(i) + " ................\r\n"));
    QTRY_VERIFY(server.console->history().copy(server.console->history().endOffset() - 22, 22)
                == "199 ................\r\n");
    server.console->flushLog();
    const QByteArray range = "from=" + iso(start - 1000) + "&to=" + iso(start + 60000);

    const QByteArray answer = get(server, "/c/vm1/replay/events?" + range, m_viewerToken);
    QVERIFY2(statusLine(answer).contains("200"), answer.constData());
    const QJsonObject document = QJsonDocument::fromJson(bodyOf(answer)).object();
    QCOMPARE(document.value("source").toString(), QStringLiteral("log"));
    QCOMPARE(document.value("input").toBool(), false);
    const QJsonArray events = document.value("events").toArray();
    QVERIFY(events.size() >= 2);
    QString output;
    qint64 last = 0;
    for (const QJsonValue &event : events) {
        QCOMPARE(event.toArray().at(1).toString(), QStringLiteral("o"));
        const qint64 t = qint64(event.toArray().at(0).toDouble());
        QVERIFY(t >= last);
        last = t;
        output += event.toArray().at(2).toString();
    }
    QVERIFY(output.startsWith(QLatin1String("first line, long gone\r\nfiller line 0 ")));
    QVERIFY(output.endsWith(QLatin1String("filler line 199 ................\r\n")));
    // The filler came a second after the first line: a later mark, a later time.
    QVERIFY2(qint64(events.last().toArray().at(0).toDouble()) >= 1000,
             qPrintable(QJsonDocument(events.last().toArray()).toJson()));

    // The console's rules, and bad ranges refused with their reason.
    QVERIFY(statusLine(get(server, "/c/vm1/replay/events?" + range)).contains("401"));
    QVERIFY(
        statusLine(get(server, "/c/vm2/replay/events?" + range, m_viewerToken)).contains("404"));
    QVERIFY(statusLine(get(server, "/c/vm1/replay/events?" + range, m_otherToken)).contains("403"));
    QVERIFY(statusLine(get(server, "/c/vm1/replay/download?format=cast", m_otherToken))
                .contains("403"));
    QVERIFY(statusLine(get(server, "/c/vm1/replay", m_otherToken)).contains("403"));
    const QByteArray reversed
        = get(server, "/c/vm1/replay/events?from=" + iso(start) + "&to=" + iso(start - 1000),
              m_viewerToken);
    QVERIFY2(statusLine(reversed).contains("400"), reversed.constData());
    QVERIFY(bodyOf(reversed).contains("is after to"));
    const QByteArray huge
        = get(server, "/c/vm1/replay/events?from=2020-01-01T00:00:00Z&to=2024-01-01T00:00:00Z",
              m_viewerToken);
    QVERIFY(statusLine(huge).contains("400"));
    QVERIFY2(bodyOf(huge).contains("at most 168"), bodyOf(huge).constData());
    QVERIFY(
        statusLine(get(server, "/c/vm1/replay/events?from=%ZZ", m_viewerToken)).contains("400"));

    const QByteArray text
        = get(server, "/c/vm1/replay/download?" + range + "&format=text", m_viewerToken);
    QVERIFY2(statusLine(text).contains("200"), text.constData());
    QVERIFY(text.contains("Content-Disposition: attachment; filename=\"vm1-"));
    QVERIFY(bodyOf(text).contains("Z  first line, long gone\n"));

    // A damaged index, then none at all: a range from the log is then empty, never a crash.
    const QString indexPath = settings.logPath + QStringLiteral(".idx");
    QVERIFY(QFile::exists(indexPath));
    QFile index(indexPath);
    QVERIFY(index.open(QIODevice::ReadWrite));
    QVERIFY(index.seek(16 + 8));
    index.write("damage!!"); // the first record's check no longer holds
    index.close();
    const QByteArray damaged = get(server, "/c/vm1/replay/events?" + range, m_viewerToken);
    QVERIFY2(statusLine(damaged).contains("200"), damaged.constData());
    QVERIFY(QJsonDocument::fromJson(bodyOf(damaged)).object().value("events").toArray().isEmpty());
    QVERIFY(QFile::remove(indexPath));
    const QByteArray none = get(server, "/c/vm1/replay/events?" + range, m_viewerToken);
    QVERIFY2(statusLine(none).contains("200"), none.constData());
    QVERIFY(QJsonDocument::fromJson(bodyOf(none)).object().value("source").isNull());

    // The page, and its address with a slash.
    const QByteArray page = get(server, "/c/vm1/replay", m_viewerToken);
    QVERIFY2(statusLine(page).contains("200"), page.constData());
    QVERIFY(bodyOf(page).contains("replay.js"));
    const QByteArray slash = get(server, "/c/vm1/replay/?t=1", m_viewerToken);
    QVERIFY(statusLine(slash).contains("301"));
    QVERIFY(slash.contains("Location: ../replay?t=1"));
    QVERIFY(statusLine(get(server, "/c/vm1/replay")).contains("30")); // to the login form
}

QTEST_MAIN(tst_ReplayHttp)
#include "tst_replayhttp.moc"
