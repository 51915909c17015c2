#include "castrecorder.h"

#include "castformat.h"
#include "uniquefd.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QLoggingCategory>
#include <QRegularExpression>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>

Q_DECLARE_LOGGING_CATEGORY(lcTimeIndex) // "cloudconsole.recording", timeindex.cpp

namespace CloudConsole {

namespace {

using Clock = std::chrono::steady_clock;

enum Kind { Output, Input, Marker, Resize };

struct Item
{
    Kind kind = Output;
    Clock::time_point time;
    QByteArray bytes;
    QString text; // a marker's label, an input's author
    QSize size;
};

// Reads close in time join into one "o" event of at most JoinUpTo bytes: fewer, larger lines,
// one allocation per event rather than per read.
constexpr qsizetype JoinUpTo = 64 * 1024;
constexpr auto JoinWithin = std::chrono::milliseconds(5);
// The writer lets what comes in gather this long before it writes (one wakeup and one write()
// for many reads), and at once when this much is queued or a flush is asked for.
constexpr auto Linger = std::chrono::milliseconds(10);
constexpr qsizetype WriteAt = CastRecorder::MaxQueued / 4;
// A file left with less room than this for an output event ends before it.
constexpr qint64 MinRoom = 64;
// What the writer's buffer keeps allocated between writes.
constexpr qsizetype KeepBuffer = 1024 * 1024;
constexpr auto RetentionEvery = std::chrono::hours(1);
const QString StampFormat = QStringLiteral("-yyyyMMdd-HHmmss-zzz"); // UTC
const QString Extension = QStringLiteral(".cast");

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

} // namespace

struct CastRecorder::Shared
{
    Shared(const QString &console, const RecordingSettings &settings, QSize size)
        : console(console), settings(settings), size(size)
    { }

    const QString console;
    const RecordingSettings settings;

    std::mutex lock;
    std::condition_variable changed;
    std::deque<Item> queue; // bounded: MaxQueued bytes
    qsizetype queuedBytes = 0;
    qint64 overflow = 0; // dropped since the writer last looked: said in a marker
    bool overflowSaid = false; // logged once until the queue has room again
    bool busy = false;
    int flushing = 0; // flush() callers waiting: the writer does not linger
    bool stopping = false;
    bool exited = false;
    QString currentFile;
    std::atomic<qint64> dropped {0};
    std::atomic<qint64> errors {0};

    // The writer thread's alone.
    QSize size;
    UniqueFd fd;
    QString path;
    Clock::time_point fileStart;
    qint64 fileBytes = 0;
    qint64 openBytes = 0; // the header and what opening wrote: a file with no more holds no event
    QByteArray buffer; // lines of the current file not written yet
    Utf8Text outputText;
    Utf8Text inputText;
    QString lastAuthor; // of the last input event in this file
    bool failing = false;
    QString failure;
    Clock::time_point retryAt;
    qint64 lostWhileFailing = 0;
    Clock::time_point nextRetention;
    QDateTime lastStamp; // in the name of the newest file

    QDateTime stampOf(const QString &fileName) const
    {
        // "-YYYYMMDD-HHMMSS-mmm" after the console's name, in UTC.
        const QString stamp = fileName.sliced(console.size() + 1, 19);
        return QDateTime(QDate::fromString(stamp.first(8), QStringLiteral("yyyyMMdd")),
                         QTime::fromString(stamp.sliced(9), QStringLiteral("HHmmss-zzz")), Qt::UTC);
    }

    void run();
    void process(Item &item);
    void text(Clock::time_point time, char code, Utf8Text &decoder, QByteArrayView bytes);
    bool ensureFile(Clock::time_point time);
    // An event that is never cut (a marker, a resize); false when no file could take it.
    bool whole(Clock::time_point time, char code, const QByteArray &utf8);
    void closeFile();
    void writeBuffer();
    void fail(const QString &why);
    void line(const QByteArray &bytes)
    {
        buffer += bytes;
        fileBytes += bytes.size();
    }
    double secondsAt(Clock::time_point time) const
    {
        return std::max(0.0, std::chrono::duration<double>(time - fileStart).count());
    }
    void retention();
};

CastRecorder::CastRecorder(const QString &console, const RecordingSettings &settings, QSize size)
    : m_shared(std::make_shared<Shared>(console, settings, size))
{
    m_thread = std::thread([shared = m_shared] { shared->run(); });
}

CastRecorder::~CastRecorder()
{
    Shared &s = *m_shared;
    std::unique_lock guard(s.lock);
    s.stopping = true;
    s.changed.notify_all();
    // A disk that blocks keeps the thread, which owns the shared state and goes when it can.
    if (s.changed.wait_for(guard, StopTimeout, [&] { return s.exited; })) {
        guard.unlock();
        m_thread.join();
    } else {
        guard.unlock();
        qCWarning(lcTimeIndex).noquote()
            << "the recording of" << s.console << "did not finish writing in time";
        m_thread.detach();
    }
}

void CastRecorder::enqueue(int kind, QByteArrayView bytes, const QString &text, QSize size)
{
    const Clock::time_point now = Clock::now();
    Shared &s = *m_shared;
    bool wake = false;
    {
        const std::lock_guard guard(s.lock);
        if (s.queuedBytes + bytes.size() > MaxQueued) {
            if (kind == Output || kind == Input) {
                s.overflow += bytes.size();
                s.dropped += bytes.size();
                if (!std::exchange(s.overflowSaid, true))
                    qCWarning(lcTimeIndex).noquote()
                        << "the recording of" << s.console
                        << "cannot keep up: output is left out of it, and a marker says how much";
            }
            return;
        }
        // The writer is woken when the queue stops being empty (it then lingers, Linger) and
        // when WriteAt is reached, not for every read: that would cost the console's thread a
        // futex call per read under a flood.
        wake = s.queue.empty()
            || (s.queuedBytes < WriteAt && s.queuedBytes + bytes.size() >= WriteAt);
        Item *last = s.queue.empty() ? nullptr : &s.queue.back();
        if (kind == Output && last && last->kind == Output
            && last->bytes.size() + bytes.size() <= JoinUpTo && now - last->time < JoinWithin) {
            last->bytes.append(bytes);
        } else {
            Item &item = s.queue.emplace_back();
            item.kind = Kind(kind);
            item.time = now;
            if (kind == Output) {
                // Room for the reads that may join it, up to a point.
                item.bytes.reserve(std::min(JoinUpTo, std::max<qsizetype>(bytes.size(), 4096)));
            }
            item.bytes.append(bytes);
            item.text = text;
            item.size = size;
        }
        s.queuedBytes += bytes.size();
    }
    if (wake)
        s.changed.notify_all();
}

void CastRecorder::output(QByteArrayView bytes)
{
    enqueue(Output, bytes, {}, {});
}

void CastRecorder::input(QByteArrayView bytes, const QString &author)
{
    enqueue(Input, bytes, author, {});
}

void CastRecorder::marker(const QString &label)
{
    enqueue(Marker, {}, label, {});
}

void CastRecorder::resize(QSize size)
{
    enqueue(Resize, {}, {}, size);
}

qint64 CastRecorder::bytesDropped() const
{
    return m_shared->dropped;
}

qint64 CastRecorder::errorCount() const
{
    return m_shared->errors;
}

QString CastRecorder::currentFile() const
{
    const std::lock_guard guard(m_shared->lock);
    return m_shared->currentFile;
}

bool CastRecorder::flush(std::chrono::milliseconds timeout)
{
    Shared &s = *m_shared;
    std::unique_lock guard(s.lock);
    ++s.flushing;
    s.changed.notify_all();
    const bool done
        = s.changed.wait_for(guard, timeout, [&] { return s.queue.empty() && !s.busy; });
    --s.flushing;
    return done;
}

bool CastRecorder::isRecordingName(const QString &console, const QString &fileName)
{
    static const QRegularExpression stamp(QStringLiteral("^-\\d{8}-\\d{6}-\\d{3}\\.cast$"));
    return fileName.startsWith(console)
        && stamp.match(QStringView(fileName).sliced(console.size())).hasMatch();
}

std::vector<QFileInfo> CastRecorder::files(const QString &dir, const QString &console)
{
    std::vector<QFileInfo> found;
    const QFileInfoList entries = QDir(dir).entryInfoList(
        {console + QStringLiteral("-*.cast")}, QDir::Files | QDir::NoDotAndDotDot, QDir::Name);
    for (const QFileInfo &entry : entries) {
        if (isRecordingName(console, entry.fileName()))
            found.push_back(entry);
    }
    return found;
}

void CastRecorder::Shared::run()
{
    // A recording on a FIFO whose reader went away: EPIPE, not the end of the process.
    sigset_t pipeSignal;
    sigemptyset(&pipeSignal);
    sigaddset(&pipeSignal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipeSignal, nullptr);
    // Not at the lowest priority, as the screen's and the alerts' threads are: measured on two
    // busy cores at nice 19 it lost a quarter of a flood's recording (dropped and marked) for no
    // throughput the noise could show (docs/benchmarks.md, "Time travel").

    nextRetention = Clock::now();
    std::unique_lock guard(lock);
    const auto hurried = [this] { return stopping || flushing > 0 || queuedBytes >= WriteAt; };
    for (;;) {
        // An empty queue is flushed already: a flush() waits for this wait.
        if (queue.empty() && !stopping)
            changed.wait_for(guard, std::chrono::seconds(1));
        // Let more reads come, to write them in one go.
        if (!queue.empty() && !hurried())
            changed.wait_until(guard, queue.front().time + Linger, hurried);
        std::deque<Item> items;
        items.swap(queue);
        queuedBytes = 0;
        const qint64 lost = std::exchange(overflow, 0);
        overflowSaid = overflowSaid && lost > 0;
        const bool stop = stopping;
        busy = true;
        guard.unlock();

        if (lost > 0) {
            Item said;
            said.kind = Marker;
            said.time = items.empty() ? Clock::now() : items.front().time;
            said.text = QStringLiteral("%1 bytes not recorded here (the recording did not keep up)")
                            .arg(lost);
            process(said);
        }
        for (Item &item : items)
            process(item);
        writeBuffer();
        items.clear(); // their memory goes before the lock is taken again
        // Rotation by age also while the console is quiet; the next event opens a new file.
        if (fd && settings.rotateAge.count() > 0 && Clock::now() - fileStart >= settings.rotateAge)
            closeFile();
        if (Clock::now() >= nextRetention)
            retention();

        guard.lock();
        busy = false;
        changed.notify_all();
        if (stop && queue.empty())
            break;
    }
    guard.unlock();
    closeFile();
    guard.lock();
    exited = true;
    changed.notify_all();
}

void CastRecorder::Shared::process(Item &item)
{
    if (item.kind == Resize)
        size = item.size; // a new file starts at the size the console has then
    if (item.kind == Output || item.kind == Input) {
        if (item.kind == Input && item.text != lastAuthor) {
            // A character cut between two authors' turns is not either's.
            const QByteArray rest = inputText.flush();
            if (!rest.isEmpty())
                whole(item.time, 'i', rest);
            if (whole(item.time, 'm',
                      (QLatin1String(Cast::InputMarkerPrefix) + item.text).toUtf8()))
                lastAuthor = item.text;
        }
        text(item.time, item.kind == Output ? 'o' : 'i',
             item.kind == Output ? outputText : inputText, item.bytes);
        return;
    }
    if (item.kind == Marker)
        whole(item.time, 'm', item.text.toUtf8());
    else
        whole(item.time, 'r',
              QByteArray::number(item.size.width()) + 'x' + QByteArray::number(item.size.height()));
}

bool CastRecorder::Shared::whole(Clock::time_point time, char code, const QByteArray &utf8)
{
    if (!ensureFile(time))
        return false;
    QByteArray event = Cast::event(secondsAt(time), code, utf8);
    // Rotation by size: the file ends before the event that would take it past rotateSize,
    // unless it holds no event yet (an event has to go somewhere).
    if (settings.rotateSize > 0 && fileBytes + event.size() > settings.rotateSize
        && fileBytes > openBytes) {
        closeFile();
        if (!ensureFile(time))
            return false;
        event = Cast::event(secondsAt(time), code, utf8); // its time counts from the new start
    }
    line(event);
    return true;
}

void CastRecorder::Shared::text(Clock::time_point time, char code, Utf8Text &decoder,
                                QByteArrayView bytes)
{
    while (!bytes.isEmpty()) {
        if (!ensureFile(time)) {
            lostWhileFailing += bytes.size();
            dropped += bytes.size();
            return;
        }
        qint64 room = std::numeric_limits<qint64>::max() / 2;
        if (settings.rotateSize > 0) {
            room = settings.rotateSize - fileBytes;
            if (room < MinRoom && fileBytes > openBytes) {
                closeFile();
                continue;
            }
        }
        // The event is written straight into the file's buffer, checked and escaped in one
        // pass; what does not fit before rotateSize goes on in the next file, as another event
        // of the same time (players join them).
        const qsizetype start = buffer.size();
        char head[48];
        const int headLength
            = std::snprintf(head, sizeof head, "[%.6f, \"%c\", \"", secondsAt(time), code);
        buffer.append(head, headLength);
        constexpr qsizetype Tail = 3; // "]\n
        const qsizetype limit = start + qsizetype(std::max<qint64>(room - Tail, 0));
        const qsizetype taken = decoder.appendEscaped(buffer, bytes, limit);
        if (buffer.size() == start + headLength) {
            buffer.truncate(start); // only the start of a character, kept for the next read
        } else {
            buffer.append("\"]\n", Tail);
            fileBytes += buffer.size() - start;
        }
        bytes = bytes.sliced(taken);
        if (!bytes.isEmpty())
            closeFile(); // full: the rest starts the next file
    }
}

bool CastRecorder::Shared::ensureFile(Clock::time_point time)
{
    if (fd)
        return true;
    const Clock::time_point now = Clock::now();
    if (failing && now < retryAt)
        return false;
    if (!QDir().mkpath(settings.dir)) {
        fail(QStringLiteral("cannot make the folder %1").arg(settings.dir));
        return false;
    }
    // When the first event happened, on the wall clock.
    const QDateTime start = QDateTime::currentDateTimeUtc().addMSecs(
        -std::chrono::duration_cast<std::chrono::milliseconds>(now - std::min(now, time)).count());
    // Named after it, but always after the console's newest file: names must sort by age,
    // also for files opened within a millisecond (a large event split across files), after the
    // clock went back, and once retention removed the files whose names were taken.
    if (!lastStamp.isValid()) {
        const std::vector<QFileInfo> existing = CastRecorder::files(settings.dir, console);
        if (!existing.empty())
            lastStamp = stampOf(existing.back().fileName());
    }
    QDateTime stamp = start;
    if (lastStamp.isValid() && stamp <= lastStamp)
        stamp = lastStamp.addMSecs(1);
    QString name;
    for (int i = 0;; ++i) {
        name = QDir(settings.dir).filePath(console + stamp.toString(StampFormat) + Extension);
        if (!QFileInfo::exists(name) || i > 1000)
            break;
        stamp = stamp.addMSecs(1);
    }
    const QByteArray native = QFile::encodeName(name);
    UniqueFd opened(
        ::open(native.constData(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640));
    if (!opened) {
        fail(QStringLiteral("cannot open %1: %2").arg(name, errnoText(errno)));
        return false;
    }
    fd = std::move(opened);
    path = name;
    lastStamp = stamp;
    fileStart = std::min(now, time);
    fileBytes = 0;
    lastAuthor.clear();
    {
        const std::lock_guard guard(lock);
        currentFile = name;
    }
    line(Cast::header(size.width(), size.height(), start.toSecsSinceEpoch(), console));
    if (failing) {
        qCInfo(lcTimeIndex).noquote() << "recording" << console << "again, in" << name;
        failing = false;
    }
    if (lostWhileFailing > 0) {
        line(Cast::event(0, 'm',
                         QStringLiteral("%1 bytes not recorded before this file (%2)")
                             .arg(lostWhileFailing)
                             .arg(failure)
                             .toUtf8()));
        lostWhileFailing = 0;
    }
    openBytes = fileBytes;
    retention();
    return true;
}

void CastRecorder::Shared::closeFile()
{
    writeBuffer();
    fd.reset();
    buffer.truncate(0);
    const std::lock_guard guard(lock);
    currentFile.clear();
}

void CastRecorder::Shared::writeBuffer()
{
    if (!fd || buffer.isEmpty())
        return;
    qsizetype done = 0;
    while (done < buffer.size()) {
        const ssize_t n
            = ::write(fd.get(), buffer.constData() + done, size_t(buffer.size() - done));
        if (n > 0) {
            done += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        // The file ends with whatever part of a line got in: it plays up to the line before.
        // What is left is lost (counted); the next event goes to a new file.
        lostWhileFailing += buffer.size() - done;
        dropped += buffer.size() - done;
        buffer.clear();
        fail(QStringLiteral("cannot write %1: %2").arg(path, errnoText(n < 0 ? errno : EIO)));
        return;
    }
    // Kept for the next write, unless a burst made it large.
    if (buffer.capacity() > KeepBuffer)
        buffer = QByteArray();
    else
        buffer.truncate(0);
}

void CastRecorder::Shared::fail(const QString &why)
{
    ++errors;
    if (!failing)
        qCWarning(lcTimeIndex).noquote()
            << QStringLiteral("recording %1: %2; retrying every second").arg(console, why);
    failing = true;
    failure = why;
    retryAt = Clock::now() + RetryInterval;
    fd.reset();
    buffer.clear();
    const std::lock_guard guard(lock);
    currentFile.clear();
}

void CastRecorder::Shared::retention()
{
    nextRetention = Clock::now() + RetentionEvery;
    if (settings.keepSize <= 0 && settings.keepAge.count() <= 0)
        return;
    std::vector<QFileInfo> all = CastRecorder::files(settings.dir, console);
    qint64 total = 0;
    for (const QFileInfo &file : all)
        total += file.size();
    const QDateTime oldest = QDateTime::currentDateTimeUtc().addSecs(-settings.keepAge.count());
    // Oldest first; the file being written stays whatever it costs.
    for (const QFileInfo &file : all) {
        if (file.absoluteFilePath() == QFileInfo(path).absoluteFilePath() && fd)
            continue;
        const bool tooMuch = settings.keepSize > 0 && total > settings.keepSize;
        const bool tooOld = settings.keepAge.count() > 0 && file.lastModified() < oldest;
        if (!tooMuch && !tooOld)
            continue;
        if (QFile::remove(file.absoluteFilePath())) {
            total -= file.size();
            qCInfo(lcTimeIndex).noquote()
                << "removed the recording" << file.fileName()
                << (tooOld ? "(older than record-keep-age)" : "(over record-keep-size)");
        }
    }
}

} // namespace CloudConsole
