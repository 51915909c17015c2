// The decoders and encoders of time travel on their own: the UTF-8 text of cast events (a
// character split across reads stays one character), the asciicast lines and their reader, the
// viewer's copy without input, the time index's records, reader and lookups, the text of a log
// line that search matches, and search queries. Every decoder is fed its input split at every
// byte boundary, and malformed input. The index's trimming runs on real files rotated and deleted
// as logrotate does it.

#include "castformat.h"
#include "linetext.h"
#include "logsearch.h"
#include "timeindex.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

using namespace CloudConsole;

class tst_RecordingFormats : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void utf8TextIsTheSameWhateverTheReads_data();
    void utf8TextIsTheSameWhateverTheReads();
    void escapingInOnePassIsDecodingThenEscapingWhateverTheReadsAndCuts_data();
    void escapingInOnePassIsDecodingThenEscapingWhateverTheReadsAndCuts();
    void castEventsAreOneJsonLineEach();
    void theCastReaderReadsAFileSplitAnywhere();
    void theCastReaderSkipsMalformedLinesAndSaysACutOffOne();
    void aViewersCopyHasNoInputNorItsAttribution();
    void theIndexReaderReadsRecordsSplitAnywhere();
    void theIndexReaderStopsAtDamageAndIgnoresACutOffRecord_data();
    void theIndexReaderStopsAtDamageAndIgnoresACutOffRecord();
    void theIndexTurnsPositionsIntoTimesAndTimesIntoPositions();
    void aTruncatedFileStartsItsIndexAnew();
    void aDamagedIndexIsCutBackAndWrittenOn();
    void theIndexForgetsTheFilesLogrotateDeleted();
    void aRotatedFileKeepsItsRecordsWhileSearchCanReadIt_data();
    void aRotatedFileKeepsItsRecordsWhileSearchCanReadIt();
    void theIndexIsRewrittenOnlyWhenSomethingIsDropped();
    void aServerStartedAfterRotationsTrimsTheIndexOffTheConsolesThread();
    void aTrimThatCannotBeWrittenKeepsTheIndexWholeAndWritesOn();
    void lineTextFollowsTheLineReadersRules_data();
    void lineTextFollowsTheLineReadersRules();
    void searchQueriesAreCheckedWithAReason_data();
    void searchQueriesAreCheckedWithAReason();
};

namespace {

using namespace TimeIndexFormat;

QByteArray indexOf(const std::vector<Record> &records)
{
    QByteArray out = header();
    for (const Record &record : records)
        out += encode(record);
    return out;
}

// An index of one file: a segment at position 100 (offset 0) at t=1000, marks every 1 s.
std::vector<Record> sampleRecords()
{
    return {{Kind::Segment, 1000, 100, 0},
            {Kind::Identity, 7, 9, 0x1234},
            {Kind::Mark, 1000, 100, 0},
            {Kind::Mark, 2000, 150, 50},
            {Kind::Mark, 5000, 400, 300}};
}

// A file's identity, as the index names it.
using FileId = std::pair<quint64, quint64>;

FileId idOf(const QString &path)
{
    struct stat st
    { };
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return {0, 0};
    return {quint64(st.st_ino), quint64(st.st_dev)};
}

ino_t inodeOf(const QString &path)
{
    return ino_t(idOf(path).first);
}

qsizetype segmentsOf(const TimeIndex &index, FileId file)
{
    return std::count_if(index.segments().begin(), index.segments().end(),
                         [file](const IndexSegment &segment) {
                             return FileId {segment.inode, segment.device} == file;
                         });
}

// A console's log on disk, written as the log writer writes it (each line noted by the console's
// thread, then written and told to the index) and rotated as logrotate rotates it: the file
// renamed aside, a new one created, old rotations deleted, then the writer reopens.
struct RotatingLog
{
    explicit RotatingLog(const QString &folder)
        : folder(folder)
        , logPath(QDir(folder).filePath(QStringLiteral("vm1.log")))
        , indexPath(pathFor(logPath))
    { }

    QString path(const QString &name) const { return QDir(folder).filePath(name); }

    // The server starts (again): a new writer of the index, and the log opened to append.
    bool start()
    {
        index = std::make_unique<LogIndex>(indexPath, QStringLiteral("00000000000000ff"));
        file.setFileName(logPath);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Append))
            return false;
        index->opened(file.handle(), offset);
        return true;
    }

    // One mark: the line arrived at timeMs, a second after the one before.
    void write(const QByteArray &line)
    {
        index->note(offset, timeMs);
        file.write(line);
        file.flush();
        index->wrote(offset, line.size());
        offset += line.size();
        timeMs += 1000;
    }

    // The new file is created before the old ones are deleted, so it cannot take their inodes.
    bool rotate(const QString &aside, const QStringList &deleted = {})
    {
        file.close();
        if (!QFile::rename(logPath, path(aside)))
            return false;
        if (!file.open(QIODevice::WriteOnly | QIODevice::Append))
            return false;
        for (const QString &name : deleted) {
            if (!QFile::remove(path(name)))
                return false;
        }
        index->opened(file.handle(), offset);
        return true;
    }

    const QString folder;
    const QString logPath;
    const QString indexPath;
    std::unique_ptr<LogIndex> index;
    QFile file;
    qint64 offset = 0;
    qint64 timeMs = 1700000000000;
};

} // namespace

void tst_RecordingFormats::utf8TextIsTheSameWhateverTheReads_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");
    const QByteArray r = "\xEF\xBF\xBD";
    QTest::newRow("ascii") << QByteArray("login: ") << QByteArray("login: ");
    QTest::newRow("two, three and four bytes")
        << QByteArray("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80")
        << QByteArray("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    QTest::newRow("a lone continuation byte") << QByteArray("a\x80z") << QByteArray("a" + r + "z");
    QTest::newRow("CP437 shades") << QByteArray("\xB0\xB1\xB2") << r + r + r;
    QTest::newRow("CP437 that happens to be UTF-8") << QByteArray("\xC9\xCD\xBB") << r + "\xCD\xBB";
    QTest::newRow("overlong") << QByteArray("\xC0\xAF") << r + r;
    QTest::newRow("a surrogate") << QByteArray("\xED\xA0\x80") << r + r + r;
    QTest::newRow("past U+10FFFF") << QByteArray("\xF4\x90\x80\x80") << r + r + r + r;
    QTest::newRow("a character cut short by the next") << QByteArray("\xE2\x82"
                                                                     "A")
                                                       << QByteArray(r + "A");
    QTest::newRow("a cut character at the end") << QByteArray("ok\xE2\x82") << QByteArray("ok" + r);
    QTest::newRow("quotes, backslashes and controls")
        << QByteArray("a\"b\\c\x01\x1f\t\n\r\x7f") << QByteArray("a\"b\\c\x01\x1f\t\n\r\x7f");
    QTest::newRow("all of it") << QByteArray("\"\xC3\xA9\x80\x02\xF0\x9F\x98\x80\\\xE2\x82")
                               << QByteArray("\"\xC3\xA9" + r + "\x02\xF0\x9F\x98\x80\\" + r);
}

void tst_RecordingFormats::escapingInOnePassIsDecodingThenEscapingWhateverTheReadsAndCuts_data()
{
    utf8TextIsTheSameWhateverTheReads_data();
}

void tst_RecordingFormats::escapingInOnePassIsDecodingThenEscapingWhateverTheReadsAndCuts()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);
    QByteArray escaped;
    Cast::appendJsonString(escaped, expected);
    escaped = escaped.sliced(1, escaped.size() - 2); // without its quotes
    for (qsizetype split = 0; split <= input.size(); ++split) {
        // limit: how much each call may write; a call takes one character at least.
        for (qsizetype limit = 1; limit <= escaped.size() + 1; ++limit) {
            Utf8Text text;
            QByteArray out;
            for (QByteArrayView read : {input.first(split), input.sliced(split)}) {
                while (!read.isEmpty()) {
                    QByteArray part;
                    const qsizetype taken = text.appendEscaped(part, read, limit);
                    QVERIFY(taken > 0 || !part.isEmpty());
                    // Over the limit only by the one character every call takes.
                    QVERIFY2(part.size() <= std::max<qsizetype>(limit, 6),
                             qPrintable(QString::fromLatin1(part)));
                    out += part;
                    read = read.sliced(taken);
                }
            }
            out += text.flush(); // a replacement character: nothing to escape
            QVERIFY2(out == escaped,
                     qPrintable(QStringLiteral("split at %1, limit %2: %3")
                                    .arg(split)
                                    .arg(limit)
                                    .arg(QString::fromLatin1(out.toHex()))));
        }
    }
}

void tst_RecordingFormats::utf8TextIsTheSameWhateverTheReads()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);
    for (qsizetype split = 0; split <= input.size(); ++split) {
        for (qsizetype second = split; second <= input.size(); ++second) {
            Utf8Text text;
            QByteArray out = text.decode(input.first(split));
            out += text.decode(input.sliced(split, second - split));
            out += text.decode(input.sliced(second));
            out += text.flush();
            QVERIFY2(out == expected,
                     qPrintable(QStringLiteral("split at %1 and %2: %3")
                                    .arg(split)
                                    .arg(second)
                                    .arg(QString::fromLatin1(out.toHex()))));
        }
    }
}

void tst_RecordingFormats::castEventsAreOneJsonLineEach()
{
    const QByteArray header = Cast::header(80, 24, 1700000000, QStringLiteral("vm \"1\""));
    QVERIFY(header.endsWith('\n'));
    const QJsonObject object = QJsonDocument::fromJson(header).object();
    QCOMPARE(object.value(QLatin1String("version")).toInt(), 2);
    QCOMPARE(object.value(QLatin1String("width")).toInt(), 80);
    QCOMPARE(object.value(QLatin1String("title")).toString(), QStringLiteral("vm \"1\""));

    const QByteArray data = "a\r\n\x1b[1m\"\\\t\x01\x7f\xC3\xA9";
    const QByteArray line = Cast::event(1.5, 'o', data);
    QCOMPARE(line.count('\n'), 1);
    QVERIFY(line.endsWith('\n'));
    const QJsonArray event = QJsonDocument::fromJson(line).array();
    QCOMPARE(event.size(), 3);
    QCOMPARE(event.at(0).toDouble(), 1.5);
    QCOMPARE(event.at(1).toString(), QStringLiteral("o"));
    QCOMPARE(event.at(2).toString().toUtf8(), data);
}

void tst_RecordingFormats::theCastReaderReadsAFileSplitAnywhere()
{
    QByteArray file = Cast::header(100, 30, 1, QStringLiteral("vm1"));
    file += Cast::event(0.25, 'o', "hello\r\n");
    file += Cast::event(0.5, 'm', "input by alice (operator) from 127.0.0.1");
    file += Cast::event(0.5, 'i', "ls\r");
    file += Cast::event(1.0, 'r', "120x40");
    for (qsizetype split = 0; split <= file.size(); ++split) {
        CastReader reader;
        QStringList codes;
        const auto sink = [&codes](const CastReader::Event &e) { codes.append(e.code); };
        reader.feed(QByteArrayView(file).first(split), sink);
        reader.feed(QByteArrayView(file).sliced(split), sink);
        reader.finish();
        QCOMPARE(codes, (QStringList {"o", "m", "i", "r"}));
        QVERIFY(reader.header().has_value());
        QCOMPARE(reader.header()->width, 100);
        QCOMPARE(reader.malformed(), 0);
        QVERIFY(!reader.cutOff());
    }
}

void tst_RecordingFormats::theCastReaderSkipsMalformedLinesAndSaysACutOffOne()
{
    QByteArray file = Cast::header(80, 24, 1, QStringLiteral("vm1"));
    file += "[1.0, \"o\"]\n"; // two fields
    file += "not json\n";
    file += "[\"x\", \"o\", \"a\"]\n"; // a time that is not a number
    file += Cast::event(2, 'o', "kept");
    file += "[3.0, \"o\", \"cut"; // a crash in the middle of a line
    CastReader reader;
    QStringList data;
    reader.feed(file, [&data](const CastReader::Event &e) { data.append(e.data); });
    reader.finish();
    QCOMPARE(data, QStringList {"kept"});
    QCOMPARE(reader.malformed(), 3);
    QVERIFY(reader.cutOff());

    CastReader noHeader;
    noHeader.feed("[1.0, \"o\", \"a\"]\n", {});
    QVERIFY(!noHeader.header());
    QCOMPARE(noHeader.malformed(), 1);

    // Random bytes never crash it, and a line past MaxLine is skipped whole.
    QRandomGenerator random(12);
    for (int round = 0; round < 200; ++round) {
        QByteArray noise(random.bounded(1, 300), '\0');
        for (char &c : noise)
            c = char(random.bounded(256));
        CastReader any;
        any.feed(noise, {});
        any.finish();
    }
    CastReader huge;
    huge.feed(Cast::header(1, 1, 1, {}), {});
    huge.feed(QByteArray(CastReader::MaxLine + 10, 'x'), {});
    huge.feed("\n" + Cast::event(1, 'o', "after"), {});
    QCOMPARE(huge.events(), 1);
    QCOMPARE(huge.malformed(), 1);
}

void tst_RecordingFormats::aViewersCopyHasNoInputNorItsAttribution()
{
    QByteArray file = Cast::header(80, 24, 1, QStringLiteral("vm1"));
    file += Cast::event(0.1, 'o', "login: ");
    file += Cast::event(0.2, 'm', "input by alice (operator) from 127.0.0.1");
    file += Cast::event(0.2, 'i', "secret\r");
    file += Cast::event(0.3, 'm', "client joined: bob (viewer) from 127.0.0.2");
    file += Cast::event(0.4, 'o', "$ ");
    file += "[0.5, \"i\", \"cut"; // the writer is in the middle of a line
    const QByteArray copy = withoutInput(file);
    QVERIFY(!copy.contains("secret"));
    QVERIFY(!copy.contains("input by"));
    QVERIFY(!copy.contains("\"i\""));
    QVERIFY(copy.contains("login: "));
    QVERIFY(copy.contains("client joined"));
    QVERIFY(copy.startsWith(Cast::header(80, 24, 1, QStringLiteral("vm1"))));
    QCOMPARE(copy.count('\n'), 4);
    QVERIFY(withoutInput("garbage").isEmpty());
}

void tst_RecordingFormats::theIndexReaderReadsRecordsSplitAnywhere()
{
    const QByteArray file = indexOf(sampleRecords());
    for (qsizetype split = 0; split <= file.size(); ++split) {
        TimeIndexDecoder decoder;
        decoder.feed(QByteArrayView(file).first(split));
        decoder.feed(QByteArrayView(file).sliced(split));
        QVERIFY2(!decoder.damaged(), qPrintable(decoder.error()));
        QCOMPARE(decoder.segments().size(), size_t(1));
        QCOMPARE(decoder.segments().front().marks.size(), size_t(3));
        QCOMPARE(decoder.segments().front().epoch, QStringLiteral("0000000000001234"));
        QCOMPARE(decoder.validBytes(), file.size());
    }
    // Byte by byte.
    TimeIndexDecoder decoder;
    for (const char c : file)
        decoder.feed(QByteArrayView(&c, 1));
    QCOMPARE(decoder.records(), qint64(sampleRecords().size()));
}

void tst_RecordingFormats::theIndexReaderStopsAtDamageAndIgnoresACutOffRecord_data()
{
    QTest::addColumn<QByteArray>("file");
    QTest::addColumn<bool>("damaged");
    QTest::addColumn<qint64>("validBytes"); // where a writer goes on
    const QByteArray good = indexOf(sampleRecords());
    const qint64 all = good.size();
    QTest::newRow("a cut-off last record")
        << good + encode({Kind::Mark, 6000, 500, 400}).left(20) << false << all;
    QTest::newRow("a segment without its identity")
        << good + encode({Kind::Segment, 7000, 900, 0}) << false << all;
    QByteArray flipped = good;
    flipped[HeaderSize + 3 * RecordSize + 12] ^= 1; // the fourth record's position
    QTest::newRow("a flipped bit") << flipped << true << qint64(HeaderSize + 3 * RecordSize);
    QTest::newRow("a mark going back")
        << good + encode({Kind::Mark, 6000, 300, 200}) << true << all;
    QTest::newRow("a mark whose offset and position disagree")
        << good + encode({Kind::Mark, 6000, 600, 400}) << true << all;
    QTest::newRow("an unknown kind") << good + encode({Kind(9), 1, 2, 3}) << true << all;
    QTest::newRow("a mark before any segment")
        << indexOf({{Kind::Mark, 1, 2, 3}}) << true << qint64(HeaderSize);
    QTest::newRow("not an index") << QByteArray("hello, this is a log file\n") << true << qint64(0);
    QTest::newRow("empty") << QByteArray() << false << qint64(0);
}

void tst_RecordingFormats::theIndexReaderStopsAtDamageAndIgnoresACutOffRecord()
{
    QFETCH(QByteArray, file);
    QFETCH(bool, damaged);
    QFETCH(qint64, validBytes);
    for (qsizetype split = 0; split <= file.size(); ++split) {
        TimeIndexDecoder decoder;
        decoder.feed(QByteArrayView(file).first(split));
        decoder.feed(QByteArrayView(file).sliced(split));
        QCOMPARE(decoder.damaged(), damaged);
        QCOMPARE(decoder.validBytes(), validBytes);
    }
}

void tst_RecordingFormats::theIndexTurnsPositionsIntoTimesAndTimesIntoPositions()
{
    TimeIndexDecoder decoder;
    decoder.feed(indexOf(sampleRecords()));
    const TimeIndex index = TimeIndex::fromSegments(decoder.segments());
    QVERIFY(!index.at(7, 9, 50)); // before the segment
    QVERIFY(!index.at(8, 9, 200)); // another file
    const auto place = index.at(7, 9, 200);
    QVERIFY(place.has_value());
    QCOMPARE(place->timeMs, qint64(2000));
    QCOMPARE(place->offset, std::optional<qint64>(100));
    QCOMPARE(index.at(7, 9, 400)->timeMs, qint64(5000));
    // Output from t=2500 on may start right after the mark of t=2000 (it covers up to 3000).
    QCOMPARE(index.firstAtOrAfter(7, 9, 2500), std::optional<qint64>(150));
    QCOMPARE(index.firstAtOrAfter(7, 9, 3500), std::optional<qint64>(400));
    QCOMPARE(index.firstAtOrAfter(7, 9, 0), std::optional<qint64>(0));
    QVERIFY(!index.firstAtOrAfter(7, 9, 7000));
    QCOMPARE(index.endAfter(7, 9, 2500), std::optional<qint64>(400));
    QVERIFY(!index.endAfter(7, 9, 9000));
}

void tst_RecordingFormats::aTruncatedFileStartsItsIndexAnew()
{
    std::vector<Record> records = sampleRecords();
    // copytruncate: the same file, written again from position 0.
    records.push_back({Kind::Segment, 9000, 0, 1000});
    records.push_back({Kind::Identity, 7, 9, 0x1234});
    TimeIndexDecoder decoder;
    decoder.feed(indexOf(records));
    const TimeIndex index = TimeIndex::fromSegments(decoder.segments());
    QCOMPARE(index.segments().size(), size_t(1));
    QCOMPARE(index.at(7, 9, 200)->timeMs, qint64(9000));
}

void tst_RecordingFormats::aDamagedIndexIsCutBackAndWrittenOn()
{
    QTemporaryDir dir;
    const QString logPath = dir.filePath(QStringLiteral("vm1.log"));
    const QString indexPath = pathFor(logPath);
    QFile log(logPath);
    QVERIFY(log.open(QIODevice::WriteOnly));
    log.write("old line\n");
    log.flush();
    {
        // Records of this very file (a file that is gone would be trimmed away), damaged in the
        // last one.
        const FileId file = idOf(logPath);
        QFile index(indexPath);
        QVERIFY(index.open(QIODevice::WriteOnly));
        QByteArray damaged = indexOf({{Kind::Segment, 1000, 0, 0},
                                      {Kind::Identity, qint64(file.first), qint64(file.second), 1},
                                      {Kind::Mark, 1000, 0, 0},
                                      {Kind::Mark, 2000, 4, 4},
                                      {Kind::Mark, 5000, 8, 8}});
        damaged[damaged.size() - 5] ^= 0x40;
        index.write(damaged + "tail");
    }
    LogIndex writer(indexPath, QStringLiteral("00000000000000ff"));
    writer.note(0, 42000);
    writer.opened(log.handle(), 0);
    log.write("new\n");
    log.flush();
    writer.wrote(0, 4);
    QVERIFY(writer.errors() == 0);

    const TimeIndex read = TimeIndex::load(indexPath);
    QVERIFY2(read.error().isEmpty(), qPrintable(read.error()));
    QCOMPARE(read.segments().size(), size_t(2)); // the old one, cut back, and the new one
    QCOMPARE(read.segments().front().marks.size(), size_t(2));
    const IndexSegment &now = read.segments().back();
    QCOMPARE(now.position, qint64(9)); // after "old line\n"
    QCOMPARE(now.epoch, QStringLiteral("00000000000000ff"));
    const auto place = read.at(now.inode, now.device, 9);
    QCOMPARE(place->timeMs, qint64(42000));
    QCOMPARE(place->offset, std::optional<qint64>(0));

    // Not an index at all: written anew.
    {
        QFile index(indexPath);
        QVERIFY(index.open(QIODevice::WriteOnly | QIODevice::Truncate));
        index.write("garbage garbage garbage garbage");
    }
    LogIndex again(indexPath, QStringLiteral("0000000000000001"));
    again.opened(log.handle(), 0);
    const TimeIndex rebuilt = TimeIndex::load(indexPath);
    QVERIFY(rebuilt.error().isEmpty());
    QCOMPARE(rebuilt.segments().size(), size_t(1));
}

void tst_RecordingFormats::theIndexForgetsTheFilesLogrotateDeleted()
{
    QTemporaryDir dir;
    RotatingLog log(dir.path());
    QVERIFY(log.start());
    const FileId first = idOf(log.logPath);
    log.write("needle in the first file\n");
    QVERIFY(log.rotate(QStringLiteral("vm1.log-1")));
    const FileId second = idOf(log.logPath);
    log.write("needle in the second file\n");
    log.write("more of it\n");
    QCOMPARE(segmentsOf(TimeIndex::load(log.indexPath), first), 1); // still there: kept

    // The first file: a segment, its identity and one mark.
    QTest::ignoreMessage(QtInfoMsg,
                         QRegularExpression(QStringLiteral(
                             "^time index .*/vm1\\.log\\.idx: dropped 3 records of log files "
                             "that are gone")));
    QVERIFY(log.rotate(QStringLiteral("vm1.log-2"), {QStringLiteral("vm1.log-1")}));
    const FileId third = idOf(log.logPath);
    QVERIFY2(third != first, "the new log took the deleted one's inode");
    log.write("needle in the third file\n");
    QCOMPARE(log.index->errors(), qint64(0));

    const TimeIndex read = TimeIndex::load(log.indexPath);
    QVERIFY2(read.error().isEmpty(), qPrintable(read.error()));
    QCOMPARE(segmentsOf(read, first), 0);
    QCOMPARE(segmentsOf(read, second), 1);
    QCOMPARE(segmentsOf(read, third), 1);
    // The header and the second and third files' records, nothing else.
    QCOMPARE(QFileInfo(log.indexPath).size(), HeaderSize + (2 + 2 + 2 + 1) * RecordSize);
    QVERIFY(!QFileInfo::exists(trimPathFor(log.indexPath)));
    const qint64 start = 1700000000000;
    QCOMPARE(read.at(second.first, second.second, 0)->timeMs, start + 1000);
    QCOMPARE(read.at(second.first, second.second, 26)->timeMs, start + 2000);
    QCOMPARE(read.at(third.first, third.second, 0)->timeMs, start + 3000);

    // Search still finds both lines, with their times.
    QString error;
    const std::optional<SearchQuery> query = SearchQuery::parse(QStringLiteral("q=needle"), &error);
    QVERIFY2(query, qPrintable(error));
    const SearchOutcome found = LogSearch::run(*query, log.logPath);
    QCOMPARE(found.files, QStringList({QStringLiteral("vm1.log-2"), QStringLiteral("vm1.log")}));
    QCOMPARE(found.results.size(), size_t(2));
    QCOMPARE(found.results[0].line, QByteArray("needle in the second file"));
    QCOMPARE(found.results[0].timeMs, std::optional<qint64>(start + 1000));
    QCOMPARE(found.results[1].line, QByteArray("needle in the third file"));
    QCOMPARE(found.results[1].timeMs, std::optional<qint64>(start + 3000));
}

void tst_RecordingFormats::aRotatedFileKeepsItsRecordsWhileSearchCanReadIt_data()
{
    QTest::addColumn<QString>("aside"); // where the first file went
    QTest::addColumn<bool>("kept");
    QTest::newRow("numbered") << QStringLiteral("vm1.log.1") << true;
    QTest::newRow("dated") << QStringLiteral("vm1.log-20240501") << true;
    QTest::newRow("compressed in place") << QStringLiteral("vm1.log.1.gz") << false;
    QTest::newRow("another log's name") << QStringLiteral("vm1.log2") << false;
    QTest::newRow("another folder") << QStringLiteral("old/vm1.log.1") << false;
}

void tst_RecordingFormats::aRotatedFileKeepsItsRecordsWhileSearchCanReadIt()
{
    QFETCH(QString, aside);
    QFETCH(bool, kept);
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("old")));
    RotatingLog log(dir.path());
    QVERIFY(log.start());
    const FileId first = idOf(log.logPath);
    log.write("first\n");
    QVERIFY(log.rotate(aside));
    const FileId second = idOf(log.logPath);
    log.write("second\n");
    // The second file is deleted: the index is trimmed whatever becomes of the first.
    QVERIFY(log.rotate(QStringLiteral("vm1.log-b"), {QStringLiteral("vm1.log-b")}));
    log.write("third\n");

    const TimeIndex read = TimeIndex::load(log.indexPath);
    QCOMPARE(segmentsOf(read, second), 0);
    QCOMPARE(segmentsOf(read, first), kept ? 1 : 0);
    QCOMPARE(segmentsOf(read, idOf(log.logPath)), 1);
    if (kept)
        QCOMPARE(read.at(first.first, first.second, 0)->timeMs, qint64(1700000000000));
    QCOMPARE(log.index->errors(), qint64(0));
}

void tst_RecordingFormats::theIndexIsRewrittenOnlyWhenSomethingIsDropped()
{
    QTemporaryDir dir;
    RotatingLog log(dir.path());
    QVERIFY(log.start());
    log.write("one\n");
    QVERIFY(log.rotate(QStringLiteral("vm1.log.1")));
    log.write("two\n");
    const ino_t before = inodeOf(log.indexPath);
    QVERIFY(log.rotate(QStringLiteral("vm1.log.2"), {QStringLiteral("vm1.log.1")}));
    const ino_t trimmed = inodeOf(log.indexPath);
    QVERIFY2(trimmed != before, "a file was deleted, yet the index was not rewritten");

    // Nothing gone: the same file, written on.
    const QByteArray kept = [&log] {
        QFile index(log.indexPath);
        return index.open(QIODevice::ReadOnly) ? index.readAll() : QByteArray();
    }();
    log.write("three\n");
    QVERIFY(log.rotate(QStringLiteral("vm1.log.3")));
    log.write("four\n");
    QCOMPARE(inodeOf(log.indexPath), trimmed);
    QFile index(log.indexPath);
    QVERIFY(index.open(QIODevice::ReadOnly));
    const QByteArray now = index.readAll();
    QVERIFY(now.startsWith(kept));
    QCOMPARE(now.size(), kept.size() + (1 + 2 + 1) * RecordSize); // a mark, a segment, a mark
}

void tst_RecordingFormats::aServerStartedAfterRotationsTrimsTheIndexOffTheConsolesThread()
{
    QTemporaryDir dir;
    RotatingLog log(dir.path());
    QVERIFY(log.start());
    const FileId first = idOf(log.logPath);
    log.write("before the rotation\n");
    QVERIFY(log.rotate(QStringLiteral("vm1.log.1")));
    const FileId second = idOf(log.logPath);
    log.write("after it\n");
    log.file.close();
    log.index.reset();

    // While the server is down, logrotate deletes the first file.
    QVERIFY(QFile::remove(log.path(QStringLiteral("vm1.log.1"))));
    const QString message = QStringLiteral("dropped 3 records of log files that are gone");
    QVERIFY(log.start());
    // The first opened() may be the console's thread's (LogFile::openAtStart): no trim yet.
    QCOMPARE(segmentsOf(TimeIndex::load(log.indexPath), first), 1);
    QTest::ignoreMessage(QtInfoMsg, QRegularExpression(message));
    log.write("after the restart\n"); // the writer thread's
    const TimeIndex read = TimeIndex::load(log.indexPath);
    QCOMPARE(segmentsOf(read, first), 0);
    QCOMPARE(segmentsOf(read, second), 2); // before and after the restart
    QCOMPARE(read.at(second.first, second.second, 9)->timeMs, qint64(1700000000000 + 2000));
    QCOMPARE(log.index->errors(), qint64(0));
}

void tst_RecordingFormats::aTrimThatCannotBeWrittenKeepsTheIndexWholeAndWritesOn()
{
    QTemporaryDir dir;
    RotatingLog log(dir.path());
    QVERIFY(log.start());
    const FileId first = idOf(log.logPath);
    log.write("one\n");
    QVERIFY(log.rotate(QStringLiteral("vm1.log.1")));
    log.write("two\n");
    const auto contents = [&log] {
        QFile index(log.indexPath);
        return index.open(QIODevice::ReadOnly) ? index.readAll() : QByteArray();
    };
    const QByteArray before = contents();
    const ino_t inode = inodeOf(log.indexPath);
    // Held open once deleted, the first file keeps its inode: no later log file can take it and
    // make its records look alive again.
    QFile held(log.path(QStringLiteral("vm1.log.1")));
    QVERIFY(held.open(QIODevice::ReadOnly));

    // A directory where the trimmed copy would go: it cannot be created (even by root).
    QVERIFY(QDir().mkpath(trimPathFor(log.indexPath)));
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral(
                             "^cannot trim the time index .*/vm1\\.log\\.idx: cannot create "
                             ".*; keeping it whole and writing on$")));
    QTest::failOnWarning(QRegularExpression(QStringLiteral("cannot trim"))); // said once
    QVERIFY(log.rotate(QStringLiteral("vm1.log.2"), {QStringLiteral("vm1.log.1")}));
    log.write("three\n");
    QVERIFY(log.rotate(QStringLiteral("vm1.log.3")));
    log.write("four\n");
    QCOMPARE(log.index->errors(), qint64(2));
    QCOMPARE(inodeOf(log.indexPath), inode);
    const QByteArray whole = contents();
    QVERIFY(whole.startsWith(before));
    QCOMPARE(whole.size(), before.size() + (2 + 1 + 2 + 1) * RecordSize);
    TimeIndexDecoder decoder;
    decoder.feed(whole);
    QVERIFY2(!decoder.damaged(), qPrintable(decoder.error()));
    QCOMPARE(decoder.segments().size(), size_t(4)); // the deleted file's still among them

    // The way clear, the next reopen trims.
    QVERIFY(QDir().rmdir(trimPathFor(log.indexPath)));
    QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("dropped 3 records")));
    QVERIFY(log.rotate(QStringLiteral("vm1.log.4")));
    QCOMPARE(segmentsOf(TimeIndex::load(log.indexPath), first), 0);
    QCOMPARE(TimeIndex::load(log.indexPath).segments().size(), size_t(4));
    QCOMPARE(log.index->errors(), qint64(2));
}

void tst_RecordingFormats::lineTextFollowsTheLineReadersRules_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("plain") << QByteArray("login: ") << QByteArray("login: ");
    QTest::newRow("colours inside a word")
        << QByteArray("[  \x1b[0;32mOK\x1b[0m  ] Kern\x1b[1mel pa\x1b[0mnic\r")
        << QByteArray("[  OK  ] Kernel panic");
    QTest::newRow("a title (OSC, BEL)") << QByteArray("\x1b]0;vm1\x07$ ls") << QByteArray("$ ls");
    QTest::newRow("a DCS with ST") << QByteArray("a\x1bPq#0\x1b\\b") << QByteArray("ab");
    QTest::newRow("a CR inside") << QByteArray("10%\r20%\r") << QByteArray("10% 20%");
    QTest::newRow("controls") << QByteArray("a\x07\x08\x00z", 5) << QByteArray("az");
    QTest::newRow("a charset selection") << QByteArray("\x1b(Bok") << QByteArray("ok");
    QTest::newRow("a cut sequence") << QByteArray("ok\x1b[1") << QByteArray("ok");
}

void tst_RecordingFormats::lineTextFollowsTheLineReadersRules()
{
    QFETCH(QByteArray, line);
    QFETCH(QByteArray, text);
    QCOMPARE(LineText::strip(line), text);
    QCOMPARE(LineText::needsStripping(line), line != text);
}

void tst_RecordingFormats::searchQueriesAreCheckedWithAReason_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QString>("error"); // a part of it; empty: accepted
    QTest::newRow("text") << "q=panic"
                          << "";
    QTest::newRow("everything")
        << "q=a%20b&regex=1&from=2024-05-01T03:00:00Z&to=1714540000&limit=5&context=0"
        << "";
    QTest::newRow("no q") << "regex=1"
                          << "q must";
    QTest::newRow("empty q") << "q="
                             << "q must";
    QTest::newRow("huge q") << "q=" + QString(1001, u'a') << "longer than";
    QTest::newRow("bad regex") << "q=(a&regex=1"
                               << "not valid";
    QTest::newRow("regex not 0 or 1") << "q=a&regex=yes"
                                      << "regex must";
    QTest::newRow("bad time") << "q=a&from=yesterday"
                              << "from must be a time";
    QTest::newRow("from after to") << "q=a&from=2000&to=1000"
                                   << "after";
    QTest::newRow("limit 0") << "q=a&limit=0"
                             << "limit must";
    QTest::newRow("limit huge") << "q=a&limit=100000"
                                << "limit must";
    QTest::newRow("context") << "q=a&context=-1"
                             << "context must";
    QTest::newRow("unknown") << "q=a&colour=red"
                             << "unknown parameter";
}

void tst_RecordingFormats::searchQueriesAreCheckedWithAReason()
{
    QFETCH(QString, query);
    QFETCH(QString, error);
    QString why;
    const std::optional<SearchQuery> parsed = SearchQuery::parse(query, &why);
    QCOMPARE(parsed.has_value(), error.isEmpty());
    if (!error.isEmpty())
        QVERIFY2(why.contains(error), qPrintable(why));
}

QTEST_GUILESS_MAIN(tst_RecordingFormats)
#include "tst_recordingformats.moc"
