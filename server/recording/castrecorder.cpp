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
#include <cstring>
#include <deque>
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

// Reads smaller than this, close in time, join into one "o" event: fewer, larger lines.
constexpr qsizetype JoinBelow = 16 * 1024;
constexpr auto JoinWithin = std::chrono::milliseconds(5);
constexpr auto RetentionEvery = std::chrono::hours(1);

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
    QByteArray buffer; // lines of the current file not written yet
    Utf8Text outputText;
    Utf8Text inputText;
    QString lastAuthor; // of the last input event in this file
    bool failing = false;
    QString failure;
    Clock::time_point retryAt;
    qint64 lostWhileFailing = 0;
    Clock::time_point nextRetention;

    void run();
    void process(Item &item);
    bool ensureFile(Clock::time_point time);
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
        // The writer sleeps only on an empty queue: waking it for every read costs the
        // console's thread a futex call per read under a flood.
        wake = s.queue.empty();
        Item *last = s.queue.empty() ? nullptr : &s.queue.back();
        if (kind == Output && last && last->kind == Output && last->bytes.size() < JoinBelow
            && now - last->time < JoinWithin) {
            last->bytes += bytes;
        } else {
            s.queue.push_back({Kind(kind), now, bytes.toByteArray(), text, size});
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
    s.changed.notify_all();
    return s.changed.wait_for(guard, timeout, [&] { return s.queue.empty() && !s.busy; });
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

    nextRetention = Clock::now();
    std::unique_lock guard(lock);
    for (;;) {
        if (queue.empty() && !stopping)
            changed.wait_for(guard, std::chrono::seconds(1));
        std::deque<Item> items;
        items.swap(queue);
        qsizetype taken = queuedBytes;
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
        // Rotation by age also while the console is quiet; the next event opens a new file.
        if (fd && settings.rotateAge.count() > 0 && Clock::now() - fileStart >= settings.rotateAge)
            closeFile();
        if (Clock::now() >= nextRetention)
            retention();
        Q_UNUSED(taken);

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
    if (!ensureFile(item.time)) {
        if (item.kind == Output || item.kind == Input) {
            lostWhileFailing += item.bytes.size();
            dropped += item.bytes.size();
        }
        return;
    }
    // Rotation by size: before the event that would go past it.
    if (settings.rotateSize > 0 && fileBytes >= settings.rotateSize) {
        closeFile();
        if (!ensureFile(item.time))
            return;
    }
    const double at = secondsAt(item.time);
    switch (item.kind) {
    case Output: {
        const QByteArray text = outputText.decode(item.bytes);
        if (!text.isEmpty())
            line(Cast::event(at, 'o', text));
        break;
    }
    case Input: {
        if (item.text != lastAuthor) {
            // A character cut between two authors' turns is not either's.
            const QByteArray rest = inputText.flush();
            if (!rest.isEmpty())
                line(Cast::event(at, 'i', rest));
            lastAuthor = item.text;
            line(Cast::event(at, 'm',
                             (QLatin1String(Cast::InputMarkerPrefix) + item.text).toUtf8()));
        }
        const QByteArray text = inputText.decode(item.bytes);
        if (!text.isEmpty())
            line(Cast::event(at, 'i', text));
        break;
    }
    case Marker:
        line(Cast::event(at, 'm', item.text.toUtf8()));
        break;
    case Resize:
        line(Cast::event(at, 'r',
                         QByteArray::number(item.size.width()) + 'x'
                             + QByteArray::number(item.size.height())));
        break;
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
    QString name;
    for (int i = 0;; ++i) {
        name = QDir(settings.dir)
                   .filePath(console
                             + start.addMSecs(i).toString(QStringLiteral("-yyyyMMdd-HHmmss-zzz"))
                             + QStringLiteral(".cast"));
        if (!QFileInfo::exists(name) || i > 1000)
            break;
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
    retention();
    return true;
}

void CastRecorder::Shared::closeFile()
{
    writeBuffer();
    fd.reset();
    buffer.clear();
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
    buffer.clear();
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
