#include "pastefeeder.h"

#include <algorithm>

namespace CloudConsole {

namespace {

// A character starts at every byte that is not a UTF-8 continuation byte.
bool startsCharacter(char c)
{
    return (uchar(c) & 0xC0) != 0x80;
}

bool isLineEnd(char c)
{
    return c == '\r' || c == '\n';
}

} // namespace

PasteFeeder::PasteFeeder(QObject *parent) : QObject(parent)
{
    m_wake.setSingleShot(true);
    // A coarse timer may fire early, before the pause it waits for is over.
    m_wake.setTimerType(Qt::PreciseTimer);
    connect(&m_wake, &QTimer::timeout, this, &PasteFeeder::wantsDrain);
    m_stall.setSingleShot(true);
    connect(&m_stall, &QTimer::timeout, this, [this] {
        if (m_paste && m_paste->bytes.size() < m_paste->total)
            fail(QStringLiteral("the rest of it never came: %1 of %2 bytes arrived in %3 s")
                     .arg(m_paste->bytes.size())
                     .arg(m_paste->total)
                     .arg(PieceTimeout.count() / 1000));
    });
    m_progress.setInterval(ProgressInterval);
    connect(&m_progress, &QTimer::timeout, this, [this] { report(QStringLiteral("running")); });
}

std::optional<qint64> PasteFeeder::sender() const
{
    return m_paste ? std::optional(m_paste->by) : std::nullopt;
}

QString PasteFeeder::add(qint64 by, const Protocol::Paste &piece)
{
    if (m_paste) {
        if (m_paste->by != by || m_paste->id != piece.id)
            return QStringLiteral("another paste is running on this console (%1 of %2 bytes "
                                  "written); wait for it, or cancel yours")
                .arg(m_paste->sent)
                .arg(m_paste->total);
        if (piece.total != m_paste->total || piece.at != m_paste->bytes.size())
            return QStringLiteral("a piece of paste %1 at byte %2 that does not follow the %3 "
                                  "bytes of it that came (of %4)")
                .arg(piece.id)
                .arg(piece.at)
                .arg(m_paste->bytes.size())
                .arg(m_paste->total);
        m_paste->bytes += piece.data;
        if (m_paste->bytes.size() < m_paste->total)
            m_stall.start(PieceTimeout);
        else
            m_stall.stop();
        Q_EMIT wantsDrain();
        return {};
    }
    if (piece.at != 0)
        return QStringLiteral("a piece of paste %1 at byte %2, but that paste is not running (its "
                              "start was refused, or it has ended)")
            .arg(piece.id)
            .arg(piece.at);
    if (piece.total > m_rules.max)
        return QStringLiteral("a paste of %1 bytes is over this console's paste-max of %2 bytes")
            .arg(piece.total)
            .arg(m_rules.max);
    m_paste = Paste {by, piece.id, piece.total, piece.data, 0};
    // A paste starts with one batch, then keeps the pace.
    m_tokens = m_rules.rate > 0 ? batch() : 0;
    m_clock.start();
    m_paused = false;
    m_awaitingEcho = false;
    m_progress.start();
    if (piece.data.size() < piece.total)
        m_stall.start(PieceTimeout);
    report(QStringLiteral("running"));
    Q_EMIT wantsDrain();
    return {};
}

void PasteFeeder::cancel(const QString &why)
{
    static constexpr char Start[] = "\x1b[200~";
    static constexpr char End[] = "\x1b[201~";
    const bool open = m_paste && m_paste->sent > 0 && m_paste->bytes.startsWith(Start)
        && !QByteArrayView(m_paste->bytes).first(m_paste->sent).contains(End);
    // The start marker itself may be cut: its rest first.
    const qsizetype startWritten
        = m_paste ? std::min<qsizetype>(m_paste->sent, qsizetype(sizeof Start - 1)) : 0;
    end(QStringLiteral("cancelled"), why,
        open ? QByteArray(Start).mid(startWritten) + End : QByteArray());
}

void PasteFeeder::fail(const QString &why)
{
    end(QStringLiteral("failed"), why);
}

void PasteFeeder::refill()
{
    if (m_rules.rate <= 0)
        return;
    m_tokens = std::min(batch(), m_tokens + double(m_clock.nsecsElapsed()) * m_rules.rate / 1e9);
    m_clock.start();
}

QByteArrayView PasteFeeder::ready(qsizetype max)
{
    if (!m_paste)
        return {};
    if (m_awaitingEcho) {
        const qint64 left = SharingSettings::EchoTimeout.count() - m_pauseClock.elapsed();
        if (left > 0) {
            scheduleWake(std::chrono::milliseconds(left)); // unless output() comes first
            return {};
        }
        m_awaitingEcho = false; // no echo in time: the next line goes anyway
    }
    if (m_paused) {
        const qint64 left = m_rules.lineDelay.count() - m_pauseClock.elapsed();
        if (left > 0) {
            scheduleWake(std::chrono::milliseconds(left));
            return {};
        }
        m_paused = false;
    }
    const QByteArrayView waiting = QByteArrayView(m_paste->bytes).sliced(m_paste->sent);
    const qsizetype limit = std::min(max, waiting.size());
    // Up to the pace's characters, and to the end of a line when a pause follows it.
    const bool pauseAfterLine
        = m_rules.lineDelay.count() > 0 || m_rules.mode == SharingSettings::PasteMode::Echo;
    refill();
    qint64 characters = m_rules.rate > 0 ? qint64(m_tokens) : limit;
    qsizetype end = 0;
    while (end < limit) {
        if (startsCharacter(waiting[end])) {
            if (characters == 0)
                break;
            --characters;
        }
        ++end;
        if (pauseAfterLine && isLineEnd(waiting[end - 1]))
            break;
    }
    // The rest of a character whose first byte is taken goes with it, and the LF of a CR LF
    // with its CR: one line end, one pause.
    while (end < limit && !startsCharacter(waiting[end]))
        ++end;
    if (pauseAfterLine && end > 0 && end < limit && waiting[end - 1] == '\r'
        && waiting[end] == '\n')
        ++end;
    // Nothing may go yet: wake when a batch may.
    if (end == 0 && m_rules.rate > 0 && limit > 0)
        scheduleWake(std::chrono::milliseconds(
            std::max<qint64>(1, qint64((batch() - m_tokens) * 1000.0 / m_rules.rate) + 1)));
    return waiting.first(end);
}

double PasteFeeder::batch() const
{
    return std::max(1.0, m_rules.rate * double(Batch.count()) / 1000.0);
}

void PasteFeeder::consumed(qsizetype bytes)
{
    if (!m_paste || bytes <= 0)
        return;
    const QByteArrayView written = QByteArrayView(m_paste->bytes).sliced(m_paste->sent, bytes);
    if (m_rules.rate > 0)
        m_tokens -= double(std::count_if(written.begin(), written.end(), startsCharacter));
    m_paste->sent += bytes;
    if (m_paste->sent == m_paste->total) {
        end(QStringLiteral("done"), {});
        return;
    }
    if (isLineEnd(written.back())) {
        if (m_rules.mode == SharingSettings::PasteMode::Echo) {
            m_awaitingEcho = true;
            m_pauseClock.start();
            scheduleWake(SharingSettings::EchoTimeout);
        } else if (m_rules.lineDelay.count() > 0) {
            m_paused = true;
            m_pauseClock.start();
            scheduleWake(m_rules.lineDelay);
        }
    }
}

void PasteFeeder::output(QByteArrayView bytes)
{
    if (m_awaitingEcho && (bytes.contains('\n') || bytes.contains('\r'))) {
        m_awaitingEcho = false;
        if (m_rules.lineDelay.count() > 0) {
            m_paused = true;
            m_pauseClock.start();
            scheduleWake(m_rules.lineDelay);
        } else {
            Q_EMIT wantsDrain();
        }
    }
}

void PasteFeeder::scheduleWake(std::chrono::milliseconds after)
{
    if (!m_wake.isActive() || m_wake.remainingTime() > after.count())
        m_wake.start(after);
}

void PasteFeeder::end(const QString &state, const QString &message, const QByteArray &closing)
{
    if (!m_paste)
        return;
    // Over before anyone is told: whoever hears of it (the console drains its input then) must
    // find no paste to write from.
    const Paste ended = std::move(*m_paste);
    m_paste.reset();
    m_progress.stop();
    m_wake.stop();
    m_stall.stop();
    m_awaitingEcho = false;
    m_paused = false;
    // The end marker goes ahead of the keystrokes that waited behind the paste.
    if (!closing.isEmpty())
        Q_EMIT leftOpen(closing);
    Q_EMIT progress(
        Protocol::PasteEvent {ended.id, ended.by, state, ended.sent, ended.total, message});
}

void PasteFeeder::report(const QString &state, const QString &message)
{
    if (m_paste)
        Q_EMIT progress(Protocol::PasteEvent {m_paste->id, m_paste->by, state, m_paste->sent,
                                              m_paste->total, message});
}

} // namespace CloudConsole
