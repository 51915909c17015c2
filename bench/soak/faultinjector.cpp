#include "faultinjector.h"

#include "benchutil.h"
#include "consolefeeder.h"
#include "framefuzzer.h"
#include "logauditor.h"
#include "serverundertest.h"
#include "soakutil.h"
#include "typist.h"

#include <csignal>
#include <memory>

namespace Soak {

namespace {
constexpr qsizetype MaxFailures = 6;
constexpr int SourceUpTimeoutMs = 10'000;
constexpr int SighupTimeoutMs = 10'000;
constexpr int WritingAgainTimeoutMs = 10'000;
// How long the typist's keys may take to reach the console (or be refused) before a hang-up.
constexpr int KeysSettleTimeoutMs = 10'000;

// Calls done(true) once cond() holds, or done(false) after timeoutMs; polls every 50 ms.
void pollUntil(QObject *context, std::function<bool()> cond, int timeoutMs,
               std::function<void(bool)> done)
{
    auto *timer = new QTimer(context);
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    QObject::connect(timer, &QTimer::timeout, context,
                     [timer, clock, cond = std::move(cond), done = std::move(done), timeoutMs] {
                         const bool met = cond();
                         if (!met && clock->elapsed() < timeoutMs)
                             return;
                         timer->stop();
                         timer->deleteLater();
                         done(met);
                     });
    timer->start(50);
}
} // namespace

FaultInjector::FaultInjector(Schedule schedule, ConsoleFeeder &feeder, ServerUnderTest &server,
                             LogAuditor &log, Typist &typist, FrameFuzzer &fuzzer,
                             ProcessProbe &probe, QString logDirectory, QObject *parent)
    : QObject(parent)
    , m_schedule(schedule)
    , m_feeder(feeder)
    , m_server(server)
    , m_log(log)
    , m_typist(typist)
    , m_fuzzer(fuzzer)
    , m_probe(probe)
    , m_disk(std::move(logDirectory))
{
    connect(&m_feeder, &ConsoleFeeder::hungUp, this, &FaultInjector::onHungUp);
    connect(&m_feeder, &ConsoleFeeder::attached, this, &FaultInjector::onAttached);
    connect(&m_server, &ServerUnderTest::lineSeen, this, [this](ServerUnderTest::Line line) {
        if (line == ServerUnderTest::Line::SourceUp)
            onSourceUpLine();
    });
    connect(&m_log, &LogAuditor::rotated, this, [this](bool ok, const QString &detail) {
        record(Kind::Rotation, ok, detail);
        m_sighupBusy = false;
    });
    m_diskTopUp.setInterval(200);
    connect(&m_diskTopUp, &QTimer::timeout, this, [this] { m_disk.fill(); });
}

FaultInjector::~FaultInjector() = default;

QString FaultInjector::kindName(Kind kind)
{
    switch (kind) {
    case Kind::Hangup:
        return QStringLiteral("source hang-up");
    case Kind::Rotation:
        return QStringLiteral("logrotate (rename + SIGHUP)");
    case Kind::Reload:
        return QStringLiteral("SIGHUP reload, good file");
    case Kind::BrokenReload:
        return QStringLiteral("SIGHUP reload, broken file");
    case Kind::DiskFullLong:
        return QStringLiteral("log disk full, longer than the history");
    case Kind::DiskFullShort:
        return QStringLiteral("log disk full, briefly");
    case Kind::Frames:
        return QStringLiteral("random frames");
    }
    return {};
}

void FaultInjector::every(QTimer &timer, double seconds, double firstAt,
                          void (FaultInjector::*fault)())
{
    if (seconds <= 0)
        return;
    timer.setInterval(int(seconds * 1000));
    connect(&timer, &QTimer::timeout, this, fault);
    QTimer::singleShot(int(firstAt * 1000), this, [this, &timer, fault] {
        if (m_stopping)
            return;
        (this->*fault)();
        timer.start();
    });
}

void FaultInjector::start(qint64 originNs)
{
    m_originNs = originNs;
    // Staggered, so that the first of each kind does not come all at once.
    every(m_rotateTimer, m_schedule.rotateEvery, m_schedule.rotateEvery * 0.5,
          &FaultInjector::rotate);
    every(m_reloadTimer, m_schedule.reloadEvery, m_schedule.reloadEvery * 0.3,
          &FaultInjector::reload);
    every(m_hangupTimer, m_schedule.hangupEvery, m_schedule.hangupEvery * 0.4,
          &FaultInjector::hangup);
    if (m_schedule.diskFull)
        every(m_diskTimer, m_schedule.diskFullEvery, m_schedule.diskFullEvery * 0.6,
              &FaultInjector::diskFull);
    every(m_framesTimer, m_schedule.framesEvery, 3, &FaultInjector::frames);
}

void FaultInjector::mark(Kind kind)
{
    m_totals.timeline.emplace_back(double(Bench::nowNs() - m_originNs) / 1e9, kind);
}

void FaultInjector::record(Kind kind, bool survived, const QString &failure)
{
    Outcome &outcome = m_totals.outcomes[kind];
    ++outcome.injected;
    if (survived)
        ++outcome.survived;
    else if (outcome.failures.size() < MaxFailures)
        outcome.failures.append(failure);
}

// --- the source hangs up -----------------------------------------------------------------------

void FaultInjector::hangup()
{
    if (m_down || m_awaitingUp || m_stopping)
        return;
    m_down = true;
    // No keystroke may be in the pty when it closes: typing stops until every key typed has
    // reached the console or been refused (bounded), and goes on once the pty is gone.
    m_typist.hold(true);
    const auto inFlight = [this] {
        const Typist::Totals &t = m_typist.totals();
        return t.keysTyped - t.keysRefused - qint64(m_feeder.totals().keysReceived);
    };
    pollUntil(
        this, [inFlight] { return inFlight() <= 0; }, KeysSettleTimeoutMs,
        [this, inFlight](bool) {
            m_totals.keysInFlightAtHangups += std::max<qint64>(0, inFlight());
            mark(Kind::Hangup);
            m_feeder.hangUp();
        });
}

void FaultInjector::onHungUp()
{
    m_typist.hold(false); // typing into a console that is down: refused, and counted
    m_sourceUpLines = m_server.count(ServerUnderTest::Line::SourceUp);
    // The server's CPU is measured from a moment after the hang-up (its own handling of it done)
    // until the new pty appears.
    QTimer::singleShot(300, this, [this] { m_downSample = m_probe.sample(); });
    QTimer::singleShot(int(m_schedule.downFor * 1000), this, [this] {
        if (m_downSample) {
            const ProcessProbe::Sample end = m_probe.sample();
            const double seconds = double(end.atNs - m_downSample->atNs) / 1e9;
            m_totals.downCpuPercent.push_back(ProcessProbe::cpuPercent(*m_downSample, end));
            m_totals.downMainCpuPercent.push_back(ProcessProbe::mainCpuPercent(*m_downSample, end));
            m_totals.downSeconds += seconds;
            const QMap<QString, double> byName = ProcessProbe::cpuPercentByName(*m_downSample, end);
            for (auto it = byName.begin(); it != byName.end(); ++it)
                m_totals.downCpuByName[it.key()] += it.value() * seconds;
            m_downSample.reset();
        }
        m_feeder.reattach();
    });
}

void FaultInjector::onAttached()
{
    m_down = false;
    m_awaitingUp = true;
    m_reattachClock.start();
    if (m_server.count(ServerUnderTest::Line::SourceUp) > m_sourceUpLines) {
        onSourceUpLine();
        return;
    }
    QTimer::singleShot(SourceUpTimeoutMs, this, [this] {
        if (!m_awaitingUp)
            return;
        m_awaitingUp = false;
        record(Kind::Hangup, false,
               QStringLiteral("the server did not attach to the new pty within %1 s")
                   .arg(SourceUpTimeoutMs / 1000));
    });
}

void FaultInjector::onSourceUpLine()
{
    if (!m_awaitingUp)
        return;
    m_awaitingUp = false;
    m_totals.reattachMs.push_back(double(m_reattachClock.elapsed()));
    record(Kind::Hangup, true);
}

// --- SIGHUP: logrotate and reloads -------------------------------------------------------------

void FaultInjector::whenSighupFree(const std::function<void()> &send)
{
    if (m_stopping)
        return;
    if (!m_sighupBusy) {
        send();
        return;
    }
    QTimer::singleShot(500, this, [this, send] { whenSighupFree(send); });
}

void FaultInjector::rotate()
{
    whenSighupFree([this] {
        m_sighupBusy = true;
        mark(Kind::Rotation);
        m_log.rotate();
    });
}

void FaultInjector::reload()
{
    whenSighupFree([this] {
        const int n = m_reloads++;
        const bool broken = m_schedule.brokenEvery > 0
            && n % m_schedule.brokenEvery == m_schedule.brokenEvery - 1;
        const int reloaded = m_server.count(ServerUnderTest::Line::Reloaded);
        const int refused = m_server.count(ServerUnderTest::Line::ReloadRefused);
        const int closed = m_server.count(ServerUnderTest::Line::ConsoleClosed);
        QString what;
        QString error;
        const bool written
            = broken ? m_server.writeBrokenConfig(n, &what) : m_server.writeConfig(n, &error);
        if (!written) {
            record(broken ? Kind::BrokenReload : Kind::Reload, false,
                   QStringLiteral("could not write the file: %1").arg(error));
            return;
        }
        m_sighupBusy = true;
        mark(broken ? Kind::BrokenReload : Kind::Reload);
        m_server.signal(SIGHUP);
        pollUntil(
            this,
            [this, reloaded, refused] {
                return m_server.count(ServerUnderTest::Line::Reloaded) > reloaded
                    || m_server.count(ServerUnderTest::Line::ReloadRefused) > refused;
            },
            SighupTimeoutMs,
            [this, n, broken, what, reloaded, refused, closed](bool answered) {
                QString error;
                if (broken)
                    m_server.writeConfig(n, &error); // the good file back at once
                m_sighupBusy = false;
                const bool accepted = m_server.count(ServerUnderTest::Line::Reloaded) > reloaded;
                const bool kept = m_server.count(ServerUnderTest::Line::ReloadRefused) > refused;
                const bool consoleClosed
                    = m_server.count(ServerUnderTest::Line::ConsoleClosed) > closed;
                QString failure;
                if (!answered)
                    failure = QStringLiteral("no answer to SIGHUP within %1 s")
                                  .arg(SighupTimeoutMs / 1000);
                else if (broken && accepted)
                    failure = QStringLiteral("a broken file (%1) was applied").arg(what);
                else if (!broken && kept)
                    failure
                        = QStringLiteral("the good file was refused: %1")
                              .arg(m_server.samples(ServerUnderTest::Line::ReloadRefused).value(0));
                else if (consoleClosed)
                    failure = QStringLiteral("the reload closed the console");
                record(broken ? Kind::BrokenReload : Kind::Reload, failure.isEmpty(), failure);
            });
    });
}

// --- the log's disk fills up -------------------------------------------------------------------

void FaultInjector::diskFull()
{
    if (m_disk.isFull() || m_stopping)
        return;
    m_diskLong = !m_diskLong;
    mark(m_diskLong ? Kind::DiskFullLong : Kind::DiskFullShort);
    m_logErrorsAtFill = m_server.count(ServerUnderTest::Line::LogWriteError);
    m_disk.fill();
    m_diskTopUp.start();
    const double holdFor = m_diskLong ? m_schedule.diskFullFor : m_schedule.diskFullShortFor;
    QTimer::singleShot(int(holdFor * 1000), this, &FaultInjector::releaseDisk);
}

void FaultInjector::releaseDisk()
{
    if (!m_disk.isFull())
        return;
    m_diskTopUp.stop();
    const Kind kind = m_diskLong ? Kind::DiskFullLong : Kind::DiskFullShort;
    const bool errorSeen = m_server.count(ServerUnderTest::Line::LogWriteError) > m_logErrorsAtFill;
    const int againBefore = m_server.count(ServerUnderTest::Line::LogWritingAgain);
    m_disk.release();
    if (!errorSeen) {
        // Nothing was written meanwhile (the source was away, say): nothing to fail.
        record(kind, true);
        return;
    }
    pollUntil(
        this,
        [this, againBefore] {
            return m_server.count(ServerUnderTest::Line::LogWritingAgain) > againBefore;
        },
        WritingAgainTimeoutMs,
        [this, kind](bool again) {
            record(kind, again,
                   again ? QString()
                         : QStringLiteral("the log was not written again within %1 s of the "
                                          "disk being freed")
                               .arg(WritingAgainTimeoutMs / 1000));
        });
}

// --- random frames -----------------------------------------------------------------------------

void FaultInjector::frames()
{
    mark(Kind::Frames);
    m_fuzzer.rawBurst();
    QTimer::singleShot(6000, this, [this] {
        record(Kind::Frames, m_server.isRunning(),
               QStringLiteral("the server is gone: %1").arg(m_server.unexpectedExit()));
    });
}

// --- the end -----------------------------------------------------------------------------------

void FaultInjector::stop()
{
    m_stopping = true;
    for (QTimer *timer :
         {&m_hangupTimer, &m_rotateTimer, &m_reloadTimer, &m_diskTimer, &m_framesTimer})
        timer->stop();
    if (m_disk.isFull())
        releaseDisk();
    // A hang-up under way finishes: the source comes back.
    waitUntil([this] { return !m_down && !m_awaitingUp; }, 20'000);
    if (!m_feeder.isUp())
        m_feeder.reattach();
    waitUntil([this] { return !m_sighupBusy; }, SighupTimeoutMs + 1000);
    QString error;
    m_server.writeConfig(m_reloads, &error);
    // Let outcomes still being awaited come in.
    spin(500);
}

} // namespace Soak
