#pragma once

// FaultInjector does to the server what production will, on schedules of its own:
//
// - the source hangs up (ConsoleFeeder::hangUp) and comes back after a few seconds: survived when
//   the server says "source up" within 10 s of the new pty; the server's CPU is measured over the
//   time the source is away;
// - logrotate renames the log and sends SIGHUP (LogAuditor::rotate): survived when the server
//   makes the file again;
// - SIGHUP reloads the configuration, every few with a broken file: survived when the server
//   says "configuration reloaded" for a good file and "keeping the running configuration" for a
//   broken one (the good file is put back at once), and closes no console;
// - the log's disk fills up (DiskFiller), alternately for longer than the history lasts (the log
//   must say how many bytes it lost) and briefly (it must catch up without loss): survived when
//   the server reports the write error and, after the release, writes again;
// - a client sends random frames (FrameFuzzer::rawBurst): survived when the server still runs.
//
// SIGHUPs are sent one at a time, each awaited, so that two never merge into one reload. Every
// injection goes into a timeline, so that slow moments can be set beside the faults before
// them. It owns its timers and the disk filler; the feeder, server, auditor, typist and fuzzer
// are the caller's.

#include "diskfiller.h"
#include "processprobe.h"

#include <QElapsedTimer>
#include <QMap>
#include <QObject>
#include <QStringList>
#include <QTimer>

#include <functional>
#include <optional>
#include <vector>

namespace Soak {

class ConsoleFeeder;
class FrameFuzzer;
class LogAuditor;
class ServerUnderTest;
class Typist;

class FaultInjector : public QObject
{
    Q_OBJECT
public:
    enum class Kind { Hangup, Rotation, Reload, BrokenReload, DiskFullLong, DiskFullShort, Frames };

    struct Schedule
    {
        double hangupEvery = 45, downFor = 3;
        double rotateEvery = 20;
        double reloadEvery = 15;
        int brokenEvery = 3; // every third reload has a broken file
        double diskFullEvery = 60, diskFullFor = 8, diskFullShortFor = 1;
        double framesEvery = 10;
        bool diskFull = true; // off when the log's file system could not be made small
    };
    struct Outcome
    {
        int injected = 0;
        int survived = 0;
        QStringList failures; // the first few, with what happened
    };
    struct Totals
    {
        QMap<Kind, Outcome> outcomes;
        std::vector<double> reattachMs; // new pty -> the server's "source up"
        std::vector<double> downCpuPercent; // whole server, each window the source was away
        std::vector<double> downMainCpuPercent; // its main thread
        QMap<QString, double> downCpuByName; // percent-seconds by thread name, summed
        double downSeconds = 0;
        std::vector<std::pair<double, Kind>> timeline; // (at s, kind) of each injection
        qint64 keysInFlightAtHangups = 0; // typed, neither at the console nor refused, at a close
    };

    FaultInjector(Schedule schedule, ConsoleFeeder &feeder, ServerUnderTest &server,
                  LogAuditor &log, Typist &typist, FrameFuzzer &fuzzer, ProcessProbe &probe,
                  QString logDirectory, QObject *parent = nullptr);
    ~FaultInjector() override;

    // `originNs` (Bench::nowNs()) is where the timeline's seconds count from.
    void start(qint64 originNs);
    // Stops injecting and undoes what is under way: the source back, the disk freed, the good
    // configuration in place. Returns when that is done (bounded).
    void stop();
    const Totals &totals() const { return m_totals; }
    static QString kindName(Kind kind);

private:
    void hangup();
    void onHungUp();
    void onAttached();
    void onSourceUpLine();
    void rotate();
    void reload();
    void diskFull();
    void releaseDisk();
    void frames();
    // Runs `send` when no other SIGHUP is awaited, else a little later.
    void whenSighupFree(const std::function<void()> &send);
    void record(Kind kind, bool survived, const QString &failure = {});
    void mark(Kind kind);
    void every(QTimer &timer, double seconds, double firstAt, void (FaultInjector::*fault)());

    Schedule m_schedule;
    ConsoleFeeder &m_feeder;
    ServerUnderTest &m_server;
    LogAuditor &m_log;
    Typist &m_typist;
    FrameFuzzer &m_fuzzer;
    ProcessProbe &m_probe;
    DiskFiller m_disk;
    Totals m_totals;
    bool m_stopping = false;
    qint64 m_originNs = 0;

    QTimer m_hangupTimer, m_rotateTimer, m_reloadTimer, m_diskTimer, m_framesTimer;
    QTimer m_diskTopUp;
    // The hang-up under way.
    bool m_down = false;
    bool m_awaitingUp = false;
    int m_sourceUpLines = 0; // at the hang-up
    QElapsedTimer m_reattachClock;
    std::optional<ProcessProbe::Sample> m_downSample;
    // The disk fill under way.
    bool m_diskLong = false;
    int m_logErrorsAtFill = 0;
    // SIGHUPs.
    bool m_sighupBusy = false;
    int m_reloads = 0;
};

} // namespace Soak
