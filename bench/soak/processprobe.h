#pragma once

// ProcessProbe watches the server process from /proc: resident memory (VmRSS), open file
// descriptors (and what each is), threads, and CPU time, for the whole process, its main thread
// (the event loop: sources, clients, HTTP) and its other threads by name (password checks, the
// screen's model, the log). It samples once a second for the peak, and on demand at the edges
// of the windows that are measured (the source down).
//
// Its lock sampler reads where the main thread waits (/proc/PID/task/PID/wchan) every 2 ms: in
// a futex it waits on a lock or a condition, not for its event loop's next event, and nothing
// else that thread does (sources, clients, /healthz) moves meanwhile.
//
// It owns its timer and sampler thread; it knows nothing about what the server is doing.

#include <QMap>
#include <QMutex>
#include <QObject>
#include <QSet>
#include <QStringList>
#include <QTimer>

#include <sys/types.h>

#include <atomic>
#include <thread>
#include <vector>

namespace Soak {

class ProcessProbe : public QObject
{
    Q_OBJECT
public:
    struct Sample
    {
        qint64 atNs = 0;
        qint64 rssKiB = -1;
        int fds = -1;
        int threads = -1;
        qint64 cpuNs = 0; // all threads
        qint64 mainCpuNs = 0; // the main thread
        QMap<QString, qint64> cpuNsByName; // threads by name (/proc/PID/task/TID/comm), summed
    };
    struct LockWaits
    {
        qint64 samples = 0;
        qint64 inFutex = 0;
        double longestMs = 0;
        qint64 runsOver100Ms = 0;
        std::vector<std::pair<double, double>> longRuns; // (at s, ms) for waits over 300 ms
    };

    explicit ProcessProbe(pid_t pid, QObject *parent = nullptr);
    ~ProcessProbe() override;

    Sample sample();
    // What each open descriptor is ("tcp 127.0.0.1:8080 <- 127.0.0.1:5555 CLOSE_WAIT", "a pty",
    // "anon_inode:[eventfd]", a file's path), sorted.
    QStringList descriptors() const;
    // The local TCP ports of this (the soak's) process's own open sockets.
    static QSet<quint16> ownTcpPorts();

    void start(); // once a second, keeping the peak
    void stop() { m_timer.stop(); }
    qint64 peakRssKiB() const { return m_peakRss; }
    int peakFds() const { return m_peakFds; }

    // `originNs` (Bench::nowNs()) is where the long waits' seconds count from.
    void startLockSampler(qint64 originNs);
    void stopLockSampler();
    LockWaits lockWaits() const;

    // CPU between two samples, in percent of one core.
    static double cpuPercent(const Sample &from, const Sample &to);
    static double mainCpuPercent(const Sample &from, const Sample &to);
    static QMap<QString, double> cpuPercentByName(const Sample &from, const Sample &to);

private:
    void sampleLocks();

    pid_t m_pid;
    QTimer m_timer;
    qint64 m_peakRss = -1;
    int m_peakFds = -1;
    std::thread m_sampler;
    std::atomic<bool> m_samplerStopping {false};
    qint64 m_originNs = 0;
    mutable QMutex m_lockMutex;
    LockWaits m_locks;
};

} // namespace Soak
