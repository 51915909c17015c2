#pragma once

// HealthProbe asks GET /healthz every 200 ms, as a load balancer would, on a thread of its own
// with plain blocking sockets, so the soak's busy event loop does not add to the figures. Each
// answer's time is kept with the phase it fell in (quiet before the load, the storm), every
// failure (no connection, no answer in 5 s, not "200 ok") with its reason, and the slow answers
// with when they came.
//
// blockingGet() and serverBytesRead() are the same plain GET for other threads: the feeder asks
// the server's /metrics how much it has read before it closes the pty.
//
// It owns its thread; it knows nothing about the rest of the soak.

#include <QByteArray>
#include <QMutex>
#include <QString>
#include <QStringList>

#include <atomic>
#include <thread>
#include <vector>

namespace Soak {

// One blocking GET on a new connection to 127.0.0.1:port, for threads without an event loop.
// Returns the whole answer (head and body), or an empty array with the reason in *error.
QByteArray blockingGet(quint16 port, const QByteArray &path, const QByteArray &extraHeaders,
                       int timeoutMs, QString *error);

// The server's own count of bytes read from the console's source (/metrics,
// cloud_console_source_bytes_read_total), or -1 when it cannot be had.
qint64 serverBytesRead(quint16 port, const QByteArray &token);

class HealthProbe
{
public:
    enum class Phase { Quiet, Storm, WindDown };
    struct Totals
    {
        std::vector<double> quietMs;
        std::vector<double> stormMs;
        qint64 failures = 0; // during the storm
        qint64 quietFailures = 0;
        QStringList failureSamples;
        std::vector<std::pair<double, double>> slow; // (at s, ms) for answers over 500 ms
    };

    explicit HealthProbe(quint16 port, int intervalMs = 200);
    ~HealthProbe();

    void start();
    void setPhase(Phase phase) { m_phase = phase; }
    // Where "at" is counted from (Bench::nowNs()), for the slow answers.
    void setOrigin(qint64 originNs) { m_originNs = originNs; }
    void stop();
    Totals totals() const;

private:
    void run();
    // One GET /healthz; returns the time in ms, or -1 with the reason in *error.
    double once(QString *error) const;

    quint16 m_port;
    int m_intervalMs;
    std::atomic<Phase> m_phase {Phase::Quiet};
    std::atomic<bool> m_stopping {false};
    std::atomic<qint64> m_originNs {0};
    std::thread m_thread;
    mutable QMutex m_mutex;
    Totals m_totals;
};

} // namespace Soak
