#pragma once

// PasteFeeder holds the one paste a console is fed at a time and decides how much of it may be
// written now: at most `rate` characters a second (0: as fast as the console takes them), with a
// pause after each line (line delay), or, in echo mode, after each line until the console's
// output shows the line was taken (a line end in the output, or EchoTimeout). A paste arrives in
// pieces (Protocol::Paste) and is written as they come; it may be far larger than a client's
// input burst: the pace is its limit, and `max` its size.
//
// Console writes what ready() offers and reports it with consumed(); while a paste runs, the
// console holds everyone else's input behind it. The feeder tells wantsDrain() when more may be
// written (its pace or pause allows it, or a piece arrived) and progress() when it starts, about
// once a second while it runs, and when it ends (done, cancelled, failed).
//
// It owns the paste's bytes (at most `max`) and its timers; it knows nothing of the source,
// sessions or the protocol's transport: the sender is a client id.

#include "protocol.h"
#include "sharingsettings.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <chrono>
#include <optional>

namespace CloudConsole {

class PasteFeeder : public QObject
{
    Q_OBJECT
public:
    struct Rules
    {
        int rate = 0; // characters a second; 0: unlimited
        std::chrono::milliseconds lineDelay {0};
        SharingSettings::PasteMode mode = SharingSettings::PasteMode::Paced;
        qint64 max = 1024 * 1024;
    };
    static constexpr std::chrono::milliseconds ProgressInterval {1000};
    // A paced paste is written in batches of this long's characters, never more at once: a
    // guest's UART keeps 16 to 64 bytes between two polls of its firmware.
    static constexpr std::chrono::milliseconds Batch {10};
    // A paste whose next piece does not come for this long fails: it would hold everyone's
    // input behind it.
    static constexpr std::chrono::milliseconds PieceTimeout {10000};

    explicit PasteFeeder(QObject *parent = nullptr);

    void setRules(const Rules &rules) { m_rules = rules; }
    const Rules &rules() const { return m_rules; }
    bool isRunning() const { return m_paste.has_value(); }
    // The sender of the running paste.
    std::optional<qint64> sender() const;

    // A piece from client `by`: the one at 0 starts a paste, the others continue it where the
    // last one ended. An empty string when taken, else why not (a paste over max, another one
    // running, a piece that does not follow: its paste was refused or has ended).
    QString add(qint64 by, const Protocol::Paste &piece);
    // Ends the running paste; what was written stays written.
    void cancel(const QString &why);
    void fail(const QString &why);

    // The bytes that may be written now, at most `max`; empty when none may.
    QByteArrayView ready(qsizetype max);
    // `bytes` of what ready() offered were written.
    void consumed(qsizetype bytes);
    // The console's output, for echo mode.
    void output(QByteArrayView bytes);

Q_SIGNALS:
    void wantsDrain();
    void progress(const CloudConsole::Protocol::PasteEvent &event);
    // A cancelled bracketed paste whose end marker was not written: these bytes end it, so the
    // guest's shell does not stay in paste mode.
    void leftOpen(const QByteArray &closing);

private:
    struct Paste
    {
        qint64 by = 0;
        qint64 id = 0;
        qint64 total = 0;
        QByteArray bytes; // received so far
        qint64 sent = 0; // of bytes, written
    };
    void refill();
    double batch() const; // characters
    // Ends the paste: no paste is left to write from when anyone hears of it. closing: bytes
    // that end a bracketed paste cut short, told first.
    void end(const QString &state, const QString &message, const QByteArray &closing = {});
    void report(const QString &state, const QString &message = {});
    // Wakes the console when the pace or the pause allows the next character.
    void scheduleWake(std::chrono::milliseconds after);

    Rules m_rules;
    std::optional<Paste> m_paste;
    double m_tokens = 0; // characters that may be written now
    QElapsedTimer m_clock; // since the tokens were last counted
    QElapsedTimer m_pauseClock; // since the last line end was written
    bool m_paused = false; // after a line end, for the line delay
    bool m_awaitingEcho = false; // after a line end, in echo mode
    QTimer m_wake;
    QTimer m_progress;
    QTimer m_stall; // PieceTimeout since the last piece, while pieces are missing
};

} // namespace CloudConsole
