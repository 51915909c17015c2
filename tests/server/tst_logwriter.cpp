// LogWriter on real files: every byte appended to the ring reaches the log once and in order,
// logrotate loses nothing, and a write error is reported once, retried, and caught up from the
// ring, with a marker counting the bytes the ring no longer had. On a FIFO whose reader stops
// (a log target that blocks, as a hung disk or NFS mount does), the event loop goes on, and the
// log later says exactly which bytes it missed.

#include "historyring.h"
#include "logwriter.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace CloudConsole;

class tst_LogWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void everyAppendedByteLandsInTheFileInOrder_data();
    void everyAppendedByteLandsInTheFileInOrder();
    void onlyBytesAppendedAfterTheWriterWasMadeAreLogged();
    void reopenAfterARenameContinuesInANewFileWithNothingLostOrDuplicated();
    void aWriteErrorIsReportedOnceAndTheRingCatchesUpAfterReopen();
    void aLogThatCannotBeOpenedIsRetriedByItself();
    void aFailedReopenIsRetriedAndNothingGoesToTheMovedFile();
    void bytesTheRingNoLongerHasAreCountedInAMarker();
    void aReadLargerThanTheHistoryReachesTheLogWhole();
    void aBlockedLogNeverStallsTheEventLoopAndMarksExactlyWhatItMissed();
    void reopenWhileTheLogIsBlockedReturnsAtOnce();
    void aWriterThatGoesWhileTheEventLoopRunsLeavesItsOutputToItsThread();
    void atShutdownABlockedLogGetsTwoSecondsThenAWarning();

private:
    QByteArray readFile(const QString &path) const;
    bool repoint(const QString &link, const QString &target);
};

namespace {

// Warnings of the cloudconsole.log category. The writer may warn from a thread of its own.
std::mutex g_warningsLock;
QList<QString> g_warnings;
QtMessageHandler g_previousHandler = nullptr;

QList<QString> warnings()
{
    const std::lock_guard lock(g_warningsLock);
    return g_warnings;
}

void recordingHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (type == QtWarningMsg && context.category
        && qstrcmp(context.category, "cloudconsole.log") == 0) {
        const std::lock_guard lock(g_warningsLock);
        g_warnings.append(message);
        return;
    }
    if (g_previousHandler)
        g_previousHandler(type, context, message);
}

QByteArray randomBytes(QRandomGenerator &random, qsizetype n)
{
    QByteArray bytes(n, Qt::Uninitialized);
    for (char &c : bytes)
        c = char(random.bounded(256));
    return bytes;
}

QString firstDifference(const QByteArray &actual, const QByteArray &expected)
{
    const qsizetype n = std::min(actual.size(), expected.size());
    qsizetype at = 0;
    while (at < n && actual[at] == expected[at])
        ++at;
    return QStringLiteral(
               "file has %1 bytes, expected %2, first difference at %3 (sha256 %4 vs %5)")
        .arg(actual.size())
        .arg(expected.size())
        .arg(at)
        .arg(QString::fromLatin1(
            QCryptographicHash::hash(actual, QCryptographicHash::Sha256).toHex().left(16)))
        .arg(QString::fromLatin1(
            QCryptographicHash::hash(expected, QCryptographicHash::Sha256).toHex().left(16)));
}

// Output in which every byte says where it is: 16-byte records, each its offset in hex and a line
// end, so that a byte lost, doubled or moved shows at once, and where.
QByteArray pattern(qint64 offset, qsizetype n)
{
    constexpr qint64 Record = 16;
    const qint64 first = offset / Record * Record;
    QByteArray out;
    out.reserve(qsizetype(offset + n - first + Record));
    char record[Record + 1];
    for (qint64 at = first; at < offset + n; at += Record) {
        std::snprintf(record, sizeof record, "%015llx\n", static_cast<unsigned long long>(at));
        out.append(record, Record);
    }
    return out.sliced(qsizetype(offset - first), n);
}

// The log of pattern(0, total) with gaps: each gap in its place is a marker that names exactly
// the bytes missing. Returns the bytes the markers name, or -1 with *why set when the log is
// anything else.
qint64 bytesMarkedMissing(const QByteArray &log, qint64 total, int *markers, QString *why)
{
    static const QByteArray Lead = "\r\n-- cloud-console: ";
    static const QRegularExpression markerRe(
        QStringLiteral("\\A\\r\\n-- cloud-console: (\\d+) bytes missing from this log "
                       "\\(output bytes (\\d+)-(\\d+)[^\\r\\n]*\\) --\\r\\n"));
    qint64 expected = 0; // the offset in the output of the log's next byte
    qint64 missing = 0;
    qsizetype at = 0;
    *markers = 0;
    while (at < log.size()) {
        const qsizetype lead = log.indexOf(Lead, at);
        const qsizetype end = lead < 0 ? log.size() : lead;
        const QByteArrayView part = QByteArrayView(log).sliced(at, end - at);
        const QByteArray wanted = pattern(expected, part.size());
        if (part != wanted) {
            *why = QStringLiteral("output at offset %1: %2")
                       .arg(expected)
                       .arg(firstDifference(part.toByteArray(), wanted));
            return -1;
        }
        expected += part.size();
        if (lead < 0)
            break;
        const QRegularExpressionMatch match = markerRe.match(
            QString::fromLatin1(log.sliced(lead, std::min<qsizetype>(300, log.size() - lead))));
        if (!match.hasMatch()) {
            *why = QStringLiteral("a marker at %1 that does not name the bytes it stands for: %2")
                       .arg(lead)
                       .arg(QString::fromLatin1(log.mid(lead, 120).toPercentEncoding()));
            return -1;
        }
        const qint64 count = match.captured(1).toLongLong();
        const qint64 first = match.captured(2).toLongLong();
        const qint64 last = match.captured(3).toLongLong();
        if (first != expected || last - first + 1 != count) {
            *why = QStringLiteral("marker \"%1\" after output offset %2")
                       .arg(match.captured(0).trimmed())
                       .arg(expected);
            return -1;
        }
        missing += count;
        expected = last + 1;
        ++*markers;
        at = lead + match.capturedLength();
    }
    if (expected != total) {
        *why = QStringLiteral("the log ends at output offset %1 of %2").arg(expected).arg(total);
        return -1;
    }
    return missing;
}

// The read end of a FIFO, read on a thread of its own, that can stop reading for a while: a log
// target that blocks the way a full pipe, a hung disk or an NFS mount without its server does.
// It stops for at most the time given and then reads again by itself, so that a writer that
// blocks its caller cannot hang the test.
class FifoReader
{
public:
    explicit FifoReader(const QString &path)
        // Non-blocking, so that the open returns before there is a writer; reads wait in poll().
        : m_fd(::open(QFile::encodeName(path).constData(), O_RDONLY | O_NONBLOCK | O_CLOEXEC))
    {
        if (m_fd >= 0)
            m_thread = std::thread([this] { run(); });
    }
    ~FifoReader()
    {
        m_quit = true;
        if (m_thread.joinable())
            m_thread.join();
        if (m_fd >= 0)
            ::close(m_fd);
    }

    bool isOpen() const { return m_fd >= 0; }
    void pause(std::chrono::milliseconds atMost)
    {
        const std::lock_guard lock(m_lock);
        m_pausedUntil = std::chrono::steady_clock::now() + atMost;
        m_paused = true;
    }
    void resume()
    {
        const std::lock_guard lock(m_lock);
        m_paused = false;
    }
    bool isPaused() const
    {
        const std::lock_guard lock(m_lock);
        return m_paused;
    }
    // The pause ran out before the test resumed the reader.
    bool resumedByItself() const
    {
        const std::lock_guard lock(m_lock);
        return m_resumedByItself;
    }
    // Every writer closed the FIFO after writing to it.
    bool sawEndOfFile() const
    {
        const std::lock_guard lock(m_lock);
        return m_endOfFile;
    }
    QByteArray received() const
    {
        const std::lock_guard lock(m_lock);
        return m_received;
    }

private:
    void run()
    {
        std::vector<char> buffer(1024 * 1024);
        while (!m_quit) {
            if (stillPaused()) {
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
                continue;
            }
            pollfd readable {m_fd, POLLIN, 0};
            if (::poll(&readable, 1, 10) <= 0)
                continue;
            const ssize_t n = ::read(m_fd, buffer.data(), buffer.size());
            if (n == 0) // no writer: none yet, or the last one closed
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            const std::lock_guard lock(m_lock);
            if (n > 0)
                m_received.append(buffer.data(), n);
            else if (n == 0)
                m_endOfFile = !m_received.isEmpty();
        }
    }
    bool stillPaused()
    {
        const std::lock_guard lock(m_lock);
        if (m_paused && std::chrono::steady_clock::now() >= m_pausedUntil) {
            m_paused = false;
            m_resumedByItself = true;
        }
        return m_paused;
    }

    const int m_fd;
    mutable std::mutex m_lock;
    bool m_paused = false;
    std::chrono::steady_clock::time_point m_pausedUntil;
    bool m_resumedByItself = false;
    bool m_endOfFile = false;
    QByteArray m_received;
    std::atomic<bool> m_quit {false};
    std::thread m_thread; // last: started once everything above exists
};

// A log on a FIFO that a FifoReader reads, written by a LogWriter over a ring: the set-up of every
// test of a log that blocks. It is ready when error is empty: the FIFO made, its reader open and
// the writer open on it.
struct FifoLog
{
    explicit FifoLog(qsizetype historySize = 64 * 1024)
        : path(makeFifo(dir, &error))
        , reader(path)
        , ring(historySize)
        , writer(std::make_unique<LogWriter>(path, ring))
    {
        if (error.isEmpty() && !reader.isOpen())
            error = QStringLiteral("cannot open the FIFO for reading");
        if (error.isEmpty() && !writer->open(&error) && error.isEmpty())
            error = QStringLiteral("cannot open the log");
    }

    // Appends bytes of the pattern to the ring in reads of 64 KiB, each handed to the writer as
    // the console does.
    void append(qint64 bytes)
    {
        constexpr qsizetype Read = 64 * 1024;
        for (qint64 done = 0; done < bytes; done += Read) {
            const QByteArray read = pattern(ring.endOffset(), Read);
            ring.append(read);
            writer->write(read);
        }
    }

    QString error; // why it is not ready
    QTemporaryDir dir;
    const QString path;
    FifoReader reader;
    HistoryRing ring;
    std::unique_ptr<LogWriter> writer;

private:
    static QString makeFifo(const QTemporaryDir &dir, QString *error)
    {
        const QString path = dir.filePath(QStringLiteral("console.fifo"));
        if (!dir.isValid() || ::mkfifo(QFile::encodeName(path).constData(), 0600) != 0)
            *error = QStringLiteral("cannot make a FIFO: %1")
                         .arg(QString::fromLocal8Bit(std::strerror(errno)));
        return path;
    }
};

// A 10 ms timer on the event loop that remembers the longest wait between two of its ticks: about
// 10 ms while nothing holds the loop up.
class Heartbeat
{
public:
    Heartbeat()
    {
        m_timer.setInterval(10);
        m_timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] { beat(); });
        m_timer.start();
        m_since.start();
    }
    // Stops, and returns the longest wait in milliseconds.
    qint64 stop()
    {
        beat();
        m_timer.stop();
        return m_longest;
    }

private:
    void beat() { m_longest = std::max(m_longest, m_since.restart()); }

    QTimer m_timer;
    QElapsedTimer m_since;
    qint64 m_longest = 0;
};

} // namespace

void tst_LogWriter::init()
{
    {
        const std::lock_guard lock(g_warningsLock);
        g_warnings.clear();
    }
    g_previousHandler = qInstallMessageHandler(recordingHandler);
}

void tst_LogWriter::cleanup()
{
    qInstallMessageHandler(g_previousHandler);
    g_previousHandler = nullptr;
}

QByteArray tst_LogWriter::readFile(const QString &path) const
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QByteArray("<cannot read ") + path.toLocal8Bit() + ">";
    return file.readAll();
}

bool tst_LogWriter::repoint(const QString &link, const QString &target)
{
    // Replace the symlink atomically, as a VM manager or logrotate would.
    const QString temporary = link + QStringLiteral(".new");
    QFile::remove(temporary);
    if (::symlink(QFile::encodeName(target).constData(), QFile::encodeName(temporary).constData())
        != 0)
        return false;
    return ::rename(QFile::encodeName(temporary).constData(), QFile::encodeName(link).constData())
        == 0;
}

void tst_LogWriter::everyAppendedByteLandsInTheFileInOrder_data()
{
    QTest::addColumn<qsizetype>("capacity");
    QTest::addColumn<int>("maxChunk");
    QTest::addColumn<quint32>("seed");
    QTest::newRow("small chunks") << qsizetype(4096) << 100 << quint32(11);
    QTest::newRow("chunks up to the capacity") << qsizetype(4096) << 4096 << quint32(12);
    QTest::newRow("tiny ring") << qsizetype(7) << 7 << quint32(13);
    QTest::newRow("1 MiB ring, 64 KiB chunks") << qsizetype(1 << 20) << 65536 << quint32(14);
}

void tst_LogWriter::everyAppendedByteLandsInTheFileInOrder()
{
    QFETCH(qsizetype, capacity);
    QFETCH(int, maxChunk);
    QFETCH(quint32, seed);
    QTemporaryDir dir;
    QVERIFY2(dir.isValid(), qPrintable(dir.errorString()));
    const QString path = dir.filePath(QStringLiteral("console.log"));

    HistoryRing ring(capacity);
    LogWriter writer(path, ring);
    QString error;
    QVERIFY2(writer.open(&error), qPrintable(error));
    QRandomGenerator random(seed);
    QByteArray all;
    while (all.size() < 2 * 1024 * 1024) {
        const QByteArray chunk = randomBytes(random, 1 + random.bounded(maxChunk));
        ring.append(chunk);
        all += chunk;
        writer.flush();
        QCOMPARE(writer.cursor(), ring.endOffset());
    }
    const QByteArray logged = readFile(path);
    QVERIFY2(logged == all, qPrintable(firstDifference(logged, all)));
    QCOMPARE(writer.bytesLost(), 0);
    QVERIFY(!writer.isFailing());
    QVERIFY2(warnings().isEmpty(), qPrintable(warnings().join(QLatin1Char('\n'))));
}

void tst_LogWriter::onlyBytesAppendedAfterTheWriterWasMadeAreLogged()
{
    // The log of an existing file is appended to, never truncated or padded.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("console.log"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("earlier run\n");
    }
    HistoryRing ring(64);
    ring.append("before the writer existed");
    LogWriter writer(path, ring);
    QString error;
    QVERIFY2(writer.open(&error), qPrintable(error));
    writer.flush();
    QCOMPARE(readFile(path), QByteArray("earlier run\n"));
    ring.append("after");
    writer.flush();
    writer.flush();
    QCOMPARE(readFile(path), QByteArray("earlier run\nafter"));
}

void tst_LogWriter::reopenAfterARenameContinuesInANewFileWithNothingLostOrDuplicated()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("console.log"));
    const QString rotated = path + QStringLiteral(".1");
    HistoryRing ring(1024);
    LogWriter writer(path, ring);
    QString error;
    QVERIFY2(writer.open(&error), qPrintable(error));

    QRandomGenerator random(21);
    QByteArray all;
    auto appendSome = [&](int chunks) {
        for (int i = 0; i < chunks; ++i) {
            const QByteArray chunk = randomBytes(random, 1 + random.bounded(900));
            ring.append(chunk);
            all += chunk;
            writer.flush();
        }
    };
    appendSome(50);
    // logrotate: rename, then the server still writes a little to the old file, then SIGHUP.
    QVERIFY(QFile::rename(path, rotated));
    appendSome(10);
    const qsizetype beforeReopen = all.size();
    writer.reopen();
    QVERIFY(writer.flush()); // reopen() does not wait for the open
    QVERIFY2(QFile::exists(path), "reopen() did not create a new log file");
    appendSome(50);

    const QByteArray first = readFile(rotated);
    const QByteArray second = readFile(path);
    QVERIFY2(first == all.first(beforeReopen),
             qPrintable("rotated file: " + firstDifference(first, all.first(beforeReopen))));
    QVERIFY2(second == all.sliced(beforeReopen),
             qPrintable("new file: " + firstDifference(second, all.sliced(beforeReopen))));
    QVERIFY2(warnings().isEmpty(), qPrintable(warnings().join(QLatin1Char('\n'))));
}

void tst_LogWriter::aWriteErrorIsReportedOnceAndTheRingCatchesUpAfterReopen()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString link = dir.filePath(QStringLiteral("console.log"));
    const QString real = dir.filePath(QStringLiteral("real.log"));
    QVERIFY(repoint(link, QStringLiteral("/dev/full")));

    HistoryRing ring(64 * 1024);
    LogWriter writer(link, ring);
    QString error;
    QVERIFY2(writer.open(&error), qPrintable(error));
    QVERIFY(!writer.isFailing());

    QRandomGenerator random(31);
    QByteArray all;
    for (int i = 0; i < 20; ++i) {
        const QByteArray chunk = randomBytes(random, 1 + random.bounded(1000));
        ring.append(chunk);
        all += chunk;
        writer.flush();
    }
    QVERIFY(writer.isFailing());
    QCOMPARE(writer.cursor(), 0);
    QVERIFY2(warnings().size() == 1,
             qPrintable(QStringLiteral("%1 warnings: %2")
                            .arg(warnings().size())
                            .arg(warnings().join(QLatin1Char('|')))));
    QVERIFY2(warnings().first().contains(link), qPrintable(warnings().first()));

    // The writer retries by itself (once a second) without warning again.
    QTest::qWait(2500);
    QVERIFY(writer.isFailing());
    QVERIFY2(warnings().size() == 1, qPrintable(warnings().join(QLatin1Char('|'))));

    QVERIFY(repoint(link, real));
    writer.reopen();
    QVERIFY(writer.flush()); // reopen() does not wait for the open
    QVERIFY(!writer.isFailing());
    QCOMPARE(writer.cursor(), ring.endOffset());
    QCOMPARE(writer.bytesLost(), 0);
    const QByteArray logged = readFile(real);
    QVERIFY2(logged == all, qPrintable(firstDifference(logged, all)));

    // And it goes on writing; a later error is reported again, once.
    ring.append("more");
    writer.flush();
    QCOMPARE(readFile(real), all + "more");
    QVERIFY(repoint(link, QStringLiteral("/dev/full")));
    writer.reopen();
    ring.append("lost for now");
    writer.flush();
    writer.flush();
    QVERIFY2(warnings().size() == 2, qPrintable(warnings().join(QLatin1Char('|'))));
}

void tst_LogWriter::aLogThatCannotBeOpenedIsRetriedByItself()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString subdir = dir.filePath(QStringLiteral("later"));
    const QString path = subdir + QStringLiteral("/console.log");
    HistoryRing ring(1024);
    LogWriter writer(path, ring);
    QString error;
    QVERIFY(!writer.open(&error));
    QVERIFY2(!error.isEmpty(), "open() failed without saying why");

    ring.append("written while the directory is missing");
    writer.flush();
    ring.append(", still missing");
    writer.flush();
    QVERIFY(writer.isFailing());
    QVERIFY2(warnings().size() == 1,
             qPrintable(QStringLiteral("%1 warnings: %2")
                            .arg(warnings().size())
                            .arg(warnings().join(QLatin1Char('|')))));

    QVERIFY(QDir().mkdir(subdir));
    // No call from the test: the retry timer must open the file and catch up.
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(path) && !writer.isFailing(), 10000);
    QCOMPARE(readFile(path), QByteArray("written while the directory is missing, still missing"));
    QCOMPARE(warnings().size(), 1);
}

void tst_LogWriter::aFailedReopenIsRetriedAndNothingGoesToTheMovedFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString logs = dir.filePath(QStringLiteral("logs"));
    const QString rotated = dir.filePath(QStringLiteral("rotated"));
    QVERIFY(QDir().mkdir(logs));
    const QString path = logs + QStringLiteral("/console.log");
    HistoryRing ring(1024);
    LogWriter writer(path, ring);
    QString error;
    QVERIFY2(writer.open(&error), qPrintable(error));
    ring.append("before ");
    writer.flush();

    // The whole directory is moved away, so the reopen on SIGHUP cannot create the file.
    QVERIFY(QDir().rename(logs, rotated));
    writer.reopen();
    QVERIFY(writer.flush()); // reopen() does not wait for the open
    QVERIFY(writer.isFailing());
    ring.append("after");
    writer.flush();
    QCOMPARE(readFile(rotated + QStringLiteral("/console.log")), QByteArray("before "));

    // The directory comes back: the writer's own retry opens the path and catches up.
    QVERIFY(QDir().mkdir(logs));
    QTRY_VERIFY_WITH_TIMEOUT(!writer.isFailing(), 10000);
    QCOMPARE(readFile(path), QByteArray("after"));
    QCOMPARE(readFile(rotated + QStringLiteral("/console.log")), QByteArray("before "));
    QCOMPARE(warnings().size(), 1);
}

void tst_LogWriter::bytesTheRingNoLongerHasAreCountedInAMarker()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString link = dir.filePath(QStringLiteral("console.log"));
    const QString real = dir.filePath(QStringLiteral("real.log"));
    QVERIFY(repoint(link, real));

    const qsizetype capacity = 64;
    HistoryRing ring(capacity);
    LogWriter writer(link, ring);
    QString error;
    QVERIFY2(writer.open(&error), qPrintable(error));

    QRandomGenerator random(41);
    const QByteArray before = randomBytes(random, 100);
    for (qsizetype at = 0; at < before.size(); at += 10) {
        ring.append(QByteArrayView(before).sliced(at, 10));
        writer.flush();
    }
    QCOMPARE(readFile(real), before);

    QVERIFY(repoint(link, QStringLiteral("/dev/full")));
    writer.reopen();
    const QByteArray during = randomBytes(random, 300);
    for (qsizetype at = 0; at < during.size(); at += 30) {
        ring.append(QByteArrayView(during).sliced(at, 30));
        writer.flush();
    }
    QVERIFY(writer.isFailing());
    QCOMPARE(warnings().size(), 1);

    QVERIFY(repoint(link, real));
    writer.reopen();
    QVERIFY(writer.flush()); // reopen() does not wait for the open
    QVERIFY(!writer.isFailing());
    const qint64 missing = during.size() - capacity;
    QCOMPARE(writer.bytesLost(), missing);
    QCOMPARE(writer.cursor(), ring.endOffset());

    const QByteArray logged = readFile(real);
    const QByteArray kept = during.right(capacity);
    QVERIFY2(logged.startsWith(before), qPrintable(firstDifference(logged, before)));
    QVERIFY2(logged.endsWith(kept), qPrintable(firstDifference(logged.right(capacity), kept)));
    const QByteArray marker
        = logged.sliced(before.size(), logged.size() - before.size() - kept.size());
    QVERIFY2(marker.contains(QByteArray::number(missing) + " bytes missing"),
             qPrintable("marker: " + QString::fromLatin1(marker.toHex())));
    QVERIFY2(marker.startsWith("\r\n") && marker.endsWith("\r\n"), marker.constData());
    QCOMPARE(marker.count('\n'), 2);

    // Later bytes follow with no second marker.
    ring.append("after");
    writer.flush();
    QCOMPARE(readFile(real), logged + "after");
    QCOMPARE(writer.bytesLost(), missing);
}

void tst_LogWriter::aReadLargerThanTheHistoryReachesTheLogWhole()
{
    // A history smaller than one read keeps only the read's tail: the log takes the read itself.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("console.log"));
    HistoryRing ring(100);
    LogWriter writer(path, ring);
    QString error;
    QVERIFY2(writer.open(&error), qPrintable(error));
    QByteArray all;
    for (const qsizetype size : {10, 1000, 64 * 1024, 99, 100, 101, 5000}) {
        const QByteArray read = pattern(ring.endOffset(), size);
        ring.append(read);
        writer.write(read);
        all += read;
    }
    QVERIFY(writer.flush());
    QCOMPARE(writer.cursor(), ring.endOffset());
    QCOMPARE(writer.bytesLost(), 0);
    const QByteArray logged = readFile(path);
    QVERIFY2(logged == all, qPrintable(firstDifference(logged, all)));
}

void tst_LogWriter::aBlockedLogNeverStallsTheEventLoopAndMarksExactlyWhatItMissed()
{
    // The console appends a read of 64 KiB every few milliseconds, as a busy guest makes it do.
    // The log's reader stops until the console has appended far more than the log writer keeps
    // queued (4 MiB) and the history (64 KiB) together, then reads again.
    constexpr qsizetype HistorySize = 64 * 1024;
    constexpr qsizetype Read = 64 * 1024;
    constexpr qint64 WhileStopped = 12 * 1024 * 1024;
    static_assert(WhileStopped > 2 * (LogWriter::MaxQueued + HistorySize));
    FifoLog log(HistorySize);
    QVERIFY2(log.error.isEmpty(), qPrintable(log.error));

    qint64 stoppedAt = -1; // output offset when the reader stopped
    QTimer console;
    console.setInterval(5);
    connect(&console, &QTimer::timeout, this, [&] {
        log.append(Read);
        if (stoppedAt >= 0 && log.reader.isPaused()
            && log.ring.endOffset() - stoppedAt >= WhileStopped)
            log.reader.resume();
    });
    Heartbeat heartbeat;
    console.start();
    QTest::qWait(300);
    stoppedAt = log.ring.endOffset();
    log.reader.pause(std::chrono::seconds(8));
    QTRY_VERIFY_WITH_TIMEOUT(!log.reader.isPaused(), 20000);
    const qint64 appendedWhileStopped = log.ring.endOffset() - stoppedAt;
    QTest::qWait(300);
    console.stop();
    const qint64 longestWait = heartbeat.stop();

    QVERIFY2(longestWait < 200,
             qPrintable(QStringLiteral("a 10 ms timer waited %1 ms: the event loop stood still "
                                       "while the log's reader was stopped")
                            .arg(longestWait)));
    QVERIFY2(!log.reader.resumedByItself(),
             qPrintable(QStringLiteral("the console appended only %1 bytes in 8 s while the "
                                       "log's reader was stopped")
                            .arg(appendedWhileStopped)));

    // Everything the writer still has reaches the reader, then the end of the file.
    QVERIFY(log.writer->flush());
    QCOMPARE(log.writer->cursor(), log.ring.endOffset());
    const qint64 lost = log.writer->bytesLost();
    log.writer.reset();
    QTRY_VERIFY_WITH_TIMEOUT(log.reader.sawEndOfFile(), 10000);

    int markers = 0;
    QString why;
    const qint64 missing
        = bytesMarkedMissing(log.reader.received(), log.ring.endOffset(), &markers, &why);
    QVERIFY2(missing >= 0, qPrintable(why));
    QVERIFY2(markers >= 1,
             qPrintable(QStringLiteral("no gap, although %1 bytes were appended while the reader "
                                       "was stopped")
                            .arg(appendedWhileStopped)));
    QCOMPARE(lost, missing);
    qInfo("%lld bytes appended while the reader was stopped; the log misses %lld in %d gap(s); "
          "the event loop waited %lld ms at most",
          appendedWhileStopped, missing, markers, longestWait);
    const QList<QString> said = warnings();
    QVERIFY2(!said.isEmpty() && said.first().contains(log.path),
             qPrintable(said.join(QLatin1Char('|'))));
}

void tst_LogWriter::reopenWhileTheLogIsBlockedReturnsAtOnce()
{
    // Opening a FIFO or a path on a hung NFS mount can block as writing can: logrotate's SIGHUP
    // must not stop the console while the log is stuck.
    FifoLog log;
    QVERIFY2(log.error.isEmpty(), qPrintable(log.error));

    Heartbeat heartbeat;
    log.reader.pause(std::chrono::seconds(5));
    QElapsedTimer elapsed;
    elapsed.start();
    log.append(1024 * 1024); // far more than a pipe holds
    QVERIFY2(elapsed.elapsed() < 200,
             qPrintable(QStringLiteral("appending 1 MiB took %1 ms while the log's reader was "
                                       "stopped")
                            .arg(elapsed.elapsed())));
    QTest::qWait(100);
    QVERIFY2(log.writer->cursor() < log.ring.endOffset(),
             "the FIFO took 1 MiB without a reader: the log never blocked");

    elapsed.restart();
    log.writer->reopen();
    QVERIFY2(elapsed.elapsed() < 50,
             qPrintable(QStringLiteral("reopen() took %1 ms").arg(elapsed.elapsed())));
    log.append(256 * 1024);
    QTest::qWait(100);
    log.reader.resume();
    const qint64 longestWait = heartbeat.stop();
    QVERIFY2(longestWait < 200,
             qPrintable(QStringLiteral("a 10 ms timer waited %1 ms").arg(longestWait)));

    // Nothing was lost: what came before the reopen and after it follow each other.
    QVERIFY(log.writer->flush());
    QCOMPARE(log.writer->cursor(), log.ring.endOffset());
    QCOMPARE(log.writer->bytesLost(), 0);
    log.writer.reset();
    QTRY_VERIFY_WITH_TIMEOUT(log.reader.sawEndOfFile(), 10000);
    const QByteArray logged = log.reader.received();
    const QByteArray all = pattern(0, log.ring.endOffset());
    QVERIFY2(logged == all, qPrintable(firstDifference(logged, all)));
}

void tst_LogWriter::aWriterThatGoesWhileTheEventLoopRunsLeavesItsOutputToItsThread()
{
    // A console removed by a reload goes while the server runs: its log must not hold the event
    // loop up either, and what was handed to its writer still reaches the file.
    FifoLog log;
    QVERIFY2(log.error.isEmpty(), qPrintable(log.error));
    log.reader.pause(std::chrono::seconds(5));
    log.append(1024 * 1024);
    QTest::qWait(100);
    QVERIFY2(log.writer->cursor() < log.ring.endOffset(), "the log never blocked");

    qint64 destroying = -1;
    QEventLoop loop;
    QTimer::singleShot(0, &loop, [&] {
        QElapsedTimer elapsed;
        elapsed.start();
        log.writer.reset();
        destroying = elapsed.elapsed();
        loop.quit();
    });
    loop.exec();
    QVERIFY2(destroying >= 0 && destroying < 50,
             qPrintable(QStringLiteral("destroying the writer took %1 ms").arg(destroying)));
    log.reader.resume();
    QTRY_VERIFY_WITH_TIMEOUT(log.reader.sawEndOfFile(), 10000);
    const QByteArray logged = log.reader.received();
    const QByteArray all = pattern(0, log.ring.endOffset());
    QVERIFY2(logged == all, qPrintable(firstDifference(logged, all)));
    QVERIFY2(warnings().isEmpty(), qPrintable(warnings().join(QLatin1Char('|'))));
}

void tst_LogWriter::atShutdownABlockedLogGetsTwoSecondsThenAWarning()
{
    // After the event loop the process is about to end: the writer waits for the file, but not
    // for ever, and says how much output the file never got.
    FifoLog log;
    QVERIFY2(log.error.isEmpty(), qPrintable(log.error));
    log.reader.pause(std::chrono::seconds(10));
    log.append(1024 * 1024);
    QTest::qWait(100);
    const qint64 written = log.writer->cursor();
    QVERIFY2(written < log.ring.endOffset(), "the log never blocked");

    QElapsedTimer elapsed;
    elapsed.start();
    log.writer.reset();
    const qint64 waited = elapsed.elapsed();
    QVERIFY2(waited >= 1900 && waited < 4000,
             qPrintable(QStringLiteral("destroying the writer took %1 ms").arg(waited)));
    const QList<QString> said = warnings();
    const QString expected = QStringLiteral("closing %1 with %2 bytes of output not written")
                                 .arg(log.path)
                                 .arg(log.ring.endOffset() - written);
    QVERIFY2(said.size() == 1 && said.first().startsWith(expected),
             qPrintable(said.join(QLatin1Char('|'))));
    // The writer left behind goes when the file takes its output (or the reader closes it).
    log.reader.resume();
}

QTEST_GUILESS_MAIN(tst_LogWriter)
#include "tst_logwriter.moc"
