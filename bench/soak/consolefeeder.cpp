#include "consolefeeder.h"

#include <QFile>

#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace Soak {

namespace {
// Frames made ahead of the pty: small, so that an echo waits behind little.
constexpr qsizetype MadeAhead = 4096;
// How far behind its schedule the feeder may catch up at once.
constexpr double CatchUpSeconds = 0.05;
// Frames remembered, to name those the server could not have read at a hang-up.
constexpr size_t Remembered = 8192;
constexpr int64_t Ms = 1000000;
constexpr qsizetype MaxNamedRanges = 10;
} // namespace

ConsoleFeeder::ConsoleFeeder(FrameOracle &oracle, QString directory, qint64 bytesPerSecond,
                             QObject *parent)
    : QObject(parent)
    , m_oracle(oracle)
    , m_directory(std::move(directory))
    , m_linkPath(m_directory + QStringLiteral("/console.pty"))
    , m_rate(bytesPerSecond)
{ }

ConsoleFeeder::~ConsoleFeeder()
{
    stop();
}

bool ConsoleFeeder::open(QString *error)
{
    return openPty(error);
}

void ConsoleFeeder::start()
{
    m_thread = std::thread([this] { run(); });
}

void ConsoleFeeder::stop()
{
    m_stopping = true;
    if (m_thread.joinable())
        m_thread.join();
}

bool ConsoleFeeder::openPty(QString *error)
{
    auto pty = std::make_unique<Bench::Pty>();
    std::string why;
    if (!pty->open(why)) {
        *error = QString::fromStdString(why);
        return false;
    }
    Bench::setNonBlocking(pty->master, true);
    m_pty = std::move(pty);
    pointLink(QString::fromStdString(m_pty->slavePath));
    m_up = true;
    return true;
}

void ConsoleFeeder::pointLink(const QString &target)
{
    // A new link renamed over the old one: the server never finds the path missing.
    const QByteArray link = QFile::encodeName(m_linkPath);
    const QByteArray temporary = link + ".new";
    ::unlink(temporary.constData());
    if (::symlink(QFile::encodeName(target).constData(), temporary.constData()) != 0
        || ::rename(temporary.constData(), link.constData()) != 0)
        std::fprintf(stderr, "soak: cannot point %s at %s: %s\n", link.constData(),
                     qPrintable(target), std::strerror(errno));
}

void ConsoleFeeder::run()
{
    int64_t last = Bench::nowNs();
    double credit = 0;
    while (!m_stopping) {
        if (m_hangupRequested.exchange(false) && m_pty)
            doHangup();
        if (m_reattachRequested.exchange(false) && !m_pty) {
            QString error;
            if (openPty(&error)) {
                const QString path = QString::fromStdString(m_pty->slavePath);
                QMetaObject::invokeMethod(
                    this, [this, path] { Q_EMIT attached(path); }, Qt::QueuedConnection);
            } else {
                std::fprintf(stderr, "soak: cannot open a new pty: %s\n", qPrintable(error));
            }
        }
        if (!m_pty) {
            Bench::sleepNs(5 * Ms);
            last = Bench::nowNs();
            credit = 0;
            continue;
        }
        const int64_t now = Bench::nowNs();
        credit = std::min(credit + double(m_rate) * double(now - last) / 1e9,
                          double(m_rate) * CatchUpSeconds);
        last = now;
        if (m_writing)
            fillFrames(credit);
        pollfd pfd {m_pty->master, short(POLLIN | (m_out.isEmpty() ? 0 : POLLOUT)), 0};
        const int64_t before = Bench::nowNs();
        const int ready = ::poll(&pfd, 1, m_out.isEmpty() ? 2 : 5);
        if (ready == 0 && !m_out.isEmpty()) {
            const QMutexLocker lock(&m_mutex);
            m_totals.behindSeconds += double(Bench::nowNs() - before) / 1e9;
        }
        if (ready > 0 && (pfd.revents & POLLIN))
            readInput();
        if (!m_out.isEmpty())
            writeOut();
    }
}

void ConsoleFeeder::fillFrames(double &credit)
{
    while (m_out.size() < MadeAhead) {
        const int length = FrameOracle::frameLength(m_nextSeq);
        if (credit < length)
            return;
        credit -= length;
        m_out += FrameOracle::dataFrame(m_nextSeq);
        m_streamBytes += length;
        m_recent.push_back({m_nextSeq, m_streamBytes});
        ++m_nextSeq;
    }
}

bool ConsoleFeeder::writeOut(qsizetype limit)
{
    const qsizetype end = std::min(m_out.size(), limit);
    qsizetype done = 0;
    while (done < end) {
        const ssize_t n = ::write(m_pty->master, m_out.constData() + done, size_t(end - done));
        if (n > 0) {
            done += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break; // EAGAIN: the server is not reading now
    }
    if (done == 0)
        return false;
    m_out.remove(0, done);
    const qint64 written = m_streamBytes - m_out.size();
    while (m_recent.size() > Remembered)
        m_recent.pop_front();
    const QMutexLocker lock(&m_mutex);
    m_totals.bytesWritten += done;
    for (auto it = m_recent.rbegin(); it != m_recent.rend(); ++it) {
        if (it->end <= written) {
            m_totals.lastSeq = it->seq;
            m_totals.framesWritten = it->seq + 1;
            break;
        }
    }
    return true;
}

void ConsoleFeeder::readInput()
{
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(m_pty->master, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        m_input.append(buffer, n);
    }
    const QMutexLocker lock(&m_mutex);
    qsizetype at = 0;
    while (m_input.size() - at >= Keys::RecordSize) {
        const std::optional<quint64> key = Keys::parse(QByteArrayView(m_input).sliced(at));
        if (!key) {
            // Not a record: count it byte by byte up to the next possible one.
            const qsizetype next = m_input.indexOf('K', at + 1);
            const qsizetype skip = (next < 0 ? m_input.size() : next) - at;
            m_totals.garbageInputBytes += skip;
            at += skip;
            continue;
        }
        at += Keys::RecordSize;
        ++m_totals.keysReceived;
        const quint64 expected = m_lastKey ? *m_lastKey + 1 : 0;
        if (m_lastKey && *key <= *m_lastKey) {
            ++m_totals.keysOutOfOrder;
        } else {
            if (*key > expected) {
                m_totals.keysMissing += *key - expected;
                if (m_missingKeys.size() < MaxNamedRanges)
                    m_missingKeys.append(QStringLiteral("%1..%2").arg(expected).arg(*key - 1));
            }
            m_lastKey = *key;
        }
        // The guest echoes every key it reads.
        const quint64 seq = m_nextSeq++;
        m_oracle.registerEcho(seq, *key);
        const QByteArray echo = FrameOracle::echoFrame(seq, *key);
        m_out += echo;
        m_streamBytes += echo.size();
        m_recent.push_back({seq, m_streamBytes});
        ++m_totals.echoes;
    }
    m_input.remove(0, at);
}

qint64 ConsoleFeeder::waitUntilRead()
{
    qint64 written = 0;
    {
        const QMutexLocker lock(&m_mutex);
        written = m_totals.bytesWritten;
    }
    const int64_t deadline = Bench::nowNs() + 5000 * Ms;
    for (;;) {
        const qint64 read = m_serverRead ? m_serverRead() : -1;
        if (read < 0)
            return -1;
        const qint64 unread = std::max<qint64>(0, written - m_lostAtHangups - read);
        if (unread == 0 || Bench::nowNs() >= deadline)
            return unread;
        pollfd pfd {m_pty->master, POLLIN, 0};
        if (::poll(&pfd, 1, 20) > 0)
            readInput();
    }
}

void ConsoleFeeder::doHangup()
{
    // The frame being written is finished first (bounded), so that no frame is cut in two by
    // the hang-up; whole frames not yet written wait for the next pty.
    const auto writtenEnd = [this] { return m_streamBytes - m_out.size(); };
    qint64 frameEnd = writtenEnd();
    for (const Made &made : m_recent) {
        if (made.end > writtenEnd()) {
            frameEnd = made.end;
            break;
        }
    }
    const int64_t writeDeadline = Bench::nowNs() + 2000 * Ms;
    while (writtenEnd() < frameEnd && Bench::nowNs() < writeDeadline) {
        pollfd pfd {m_pty->master, POLLIN | POLLOUT, 0};
        if (::poll(&pfd, 1, 20) > 0) {
            if (pfd.revents & POLLIN)
                readInput();
            // Up to the frame's end and no further: bytes of the next frame written now would go
            // into the pty that is about to close, and its rest into the next one.
            if (pfd.revents & POLLOUT)
                writeOut(frameEnd - writtenEnd());
        }
    }
    // A frame still half out stays half out: its rest is dropped, and the frame is excused.
    qint64 cut = 0;
    if (writtenEnd() < frameEnd) {
        cut = frameEnd - writtenEnd();
        m_out.remove(0, cut);
    }
    // The server's own count says when it has read everything. (The pty's input queue, FIONREAD,
    // does not count what the kernel has yet to hand to the line discipline.) Without the
    // count, the queue staying empty for 50 ms has to do.
    qint64 unread = waitUntilRead();
    if (unread < 0) {
        int queued = 0;
        const int64_t deadline = Bench::nowNs() + 3000 * Ms;
        for (int quiet = 0; quiet < 5 && Bench::nowNs() < deadline;) {
            queued = 0;
            ::ioctl(m_pty->slave, FIONREAD, &queued);
            quiet = queued == 0 ? quiet + 1 : 0;
            pollfd pfd {m_pty->master, POLLIN, 0};
            if (::poll(&pfd, 1, 10) > 0)
                readInput();
        }
        unread = queued;
    }
    readInput();
    m_lostAtHangups += unread;
    {
        const QMutexLocker lock(&m_mutex);
        ++m_totals.hangups;
        m_totals.bytesLostAtHangups = m_lostAtHangups;
        m_totals.carriedOver += m_out.size();
        if (unread > 0 || cut > 0) {
            // Every frame with a byte among the last bytes written but not read, and the frame
            // that could not be finished, never reached the server whole.
            ++m_totals.undrainedHangups;
            const qint64 from = frameEnd - cut - unread;
            quint64 first = 0;
            quint64 last = 0;
            bool any = false;
            for (const Made &made : m_recent) {
                const qint64 start = made.end - FrameOracle::frameLength(made.seq);
                if (made.end > from && start < frameEnd) {
                    if (!any)
                        first = made.seq;
                    last = made.seq;
                    any = true;
                }
            }
            if (any) {
                m_excused.emplace_back(first, last + 1);
                m_totals.excusedFrames += last + 1 - first;
            }
        }
    }
    pointLink(m_directory + QStringLiteral("/no-console"));
    m_pty.reset();
    m_up = false;
    const bool drained = unread == 0 && cut == 0;
    const qint64 lost = unread + cut;
    QMetaObject::invokeMethod(
        this, [this, drained, lost] { Q_EMIT hungUp(drained, lost); }, Qt::QueuedConnection);
}

StreamChecker::Excused ConsoleFeeder::excused(quint64 from, quint64 to) const
{
    const QMutexLocker lock(&m_mutex);
    StreamChecker::Excused out;
    for (const auto &[start, end] : m_excused) {
        for (quint64 seq = std::max(from, start); seq < std::min(to, end); ++seq) {
            ++out.frames;
            out.bytes += FrameOracle::frameLength(seq);
        }
    }
    return out;
}

ConsoleFeeder::Totals ConsoleFeeder::totals() const
{
    const QMutexLocker lock(&m_mutex);
    return m_totals;
}

QStringList ConsoleFeeder::missingKeyRanges() const
{
    const QMutexLocker lock(&m_mutex);
    return m_missingKeys;
}

} // namespace Soak
