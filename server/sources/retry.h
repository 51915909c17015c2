#pragma once

// Retry is how every source tries again after a failed attempt or a hang-up: one single-shot
// timer whose delays come from a Backoff (100 ms doubling to 5 s unless told otherwise), and the
// reason of the last failure, so that a source failing the same way on every attempt says so
// once and not ten times a minute.
//
// A source answers due() with its next attempt and calls schedule() after every failure. It
// calls noteAttached() when an attempt works (the next failure is news again) and noteWorking()
// once the source has shown that it works (output arrived, a child ran for a while), so that the
// next failure is retried promptly again and a source that fails at once is retried ever more
// slowly. Retry owns its timer; it knows nothing about what is retried.

#include "backoff.h"

#include <QObject>
#include <QString>
#include <QTimer>

#include <chrono>

namespace CloudConsole {

class Retry : public QObject
{
    Q_OBJECT
public:
    explicit Retry(Backoff backoff = Backoff(), QObject *parent = nullptr);

    // Starts the timer for the next attempt (replacing a pending one) and returns its delay.
    std::chrono::milliseconds schedule();
    bool isPending() const { return m_timer.isActive(); }
    void cancel() { m_timer.stop(); }

    // Remembers why an attempt failed; true when that differs from the last failure remembered.
    bool noteFailure(const QString &reason);
    // An attempt worked: whatever fails next is news.
    void noteAttached() { m_lastFailure.clear(); }
    // The source works: the next failure is retried after the initial delay again.
    void noteWorking() { m_backoff.reset(); }

Q_SIGNALS:
    void due();

private:
    QTimer m_timer;
    Backoff m_backoff;
    QString m_lastFailure;
};

} // namespace CloudConsole
