// cloud-console-soak: a long run of a real server on 127.0.0.1 under load, with faults injected,
// that checks every byte and ends with one table (see docs/reliability.md). Run by hand or by
// bench/soak/run-soak.sh, never by ctest.
//
// The soak owns the console: a pty behind a symlink that the server's `source = pty:` follows.
// It writes checksummed, numbered lines into it (ConsoleFeeder) and checks them wherever they
// come out: in every client's stream (SoakClient, ClientSwarm, BrowserClient, Typist,
// FrameFuzzer) and in the log (LogAuditor). Meanwhile the FaultInjector hangs the source up,
// rotates the log, reloads the configuration (some files broken), fills the log's disk and
// sends random frames; a login flood and slowloris connections press on the HTTP side;
// ProcessProbe and HealthProbe watch the server. Report prints the table.

#include "browserclient.h"
#include "clientswarm.h"
#include "consolefeeder.h"
#include "faultinjector.h"
#include "framefuzzer.h"
#include "healthprobe.h"
#include "httpload.h"
#include "logauditor.h"
#include "processprobe.h"
#include "report.h"
#include "serverundertest.h"
#include "soakutil.h"
#include "typist.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QThread>

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

using namespace Soak;

namespace {

struct Options
{
    QString server;
    double minutes = 30;
    qint64 rate = 256 * 1024;
    QString historySize = QStringLiteral("1M");
    int clients = 100;
    int slowloris = 200;
    double loginRate = 20;
    qint64 logDiskBytes = 8 * 1024 * 1024;
    QString workDir;
    QString tableOut;
    QString label = QStringLiteral("cloud-console");
    quint32 seed = 20261201;
    QHostAddress attackers {QStringLiteral("127.0.0.2")};
    FaultInjector::Schedule schedule;
};

void say(const QString &text)
{
    std::fprintf(stderr, "soak: %s\n", qPrintable(text));
    std::fflush(stderr);
}

int fail(const QString &text)
{
    say(text);
    return 2;
}

bool parseOptions(const QCoreApplication &app, Options *o, QString *error)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "A soak of the cloud-console server with fault injection; prints one table.\n"
        "Runs as root (it mounts a small tmpfs for the log). See docs/reliability.md."));
    parser.addHelpOption();
    const auto opt = [&parser](const char *name, const char *help, const char *value,
                               const char *def = nullptr) {
        QCommandLineOption option(QString::fromLatin1(name), QString::fromLatin1(help),
                                  QString::fromLatin1(value),
                                  def ? QString::fromLatin1(def) : QString());
        parser.addOption(option);
        return option;
    };
    const auto server = opt("server", "the cloud-console binary to soak (required)", "path");
    const auto minutes
        = opt("minutes", "length of the storm (default 30; fractions allowed)", "n", "30");
    const auto rate
        = opt("rate", "bytes per second written into the console (default 256K)", "size", "256K");
    const auto history
        = opt("history-size", "the console's history-size (default 1M)", "size", "1M");
    const auto clients = opt("clients", "swarm clients (default 100)", "n", "100");
    const auto slow = opt("slowloris", "slowloris connections (default 200)", "n", "200");
    const auto logins
        = opt("login-rate", "wrong passwords posted per second (default 20)", "n", "20");
    const auto disk
        = opt("log-disk", "size of the tmpfs the log lives on (default 8M)", "size", "8M");
    const auto work = opt("work-dir",
                          "where to keep the pty link, the configuration and the server's stderr "
                          "(default: a new directory in /tmp)",
                          "dir");
    const auto table = opt("table-out", "also write the table (and findings) to this file", "file");
    const auto label = opt("label", "what this run is, for the table (e.g. \"ASan build\")", "text",
                           "cloud-console");
    const auto seed = opt("seed", "seed of the clients' random choices", "n", "20261201");
    const auto attackers
        = opt("attackers-from",
              "loopback address the slowloris connections come from; the login flood comes from "
              "the next one and the raw frames from the one after (default 127.0.0.2). The "
              "honest clients and /healthz use 127.0.0.1; 127.0.0.1 puts everyone on one address",
              "addr", "127.0.0.2");
    const auto hangup
        = opt("hangup-every", "seconds between source hang-ups (default 45)", "s", "45");
    const auto down = opt("down-for", "seconds the source stays away (default 3)", "s", "3");
    const auto rotate
        = opt("rotate-every", "seconds between log rotations (default 20)", "s", "20");
    const auto reload
        = opt("reload-every", "seconds between SIGHUP reloads (default 15)", "s", "15");
    const auto broken
        = opt("broken-every", "every Nth reload has a broken file (default 3)", "n", "3");
    const auto full
        = opt("disk-full-every", "seconds between log-disk fills (default 60)", "s", "60");
    const auto fullFor
        = opt("disk-full-for", "seconds a long fill lasts (default 8; every other fill lasts 1 s)",
              "s", "8");
    const auto frames
        = opt("frames-every", "seconds between random-frame bursts (default 10)", "s", "10");
    parser.process(app);

    o->server = parser.value(server);
    if (o->server.isEmpty()) {
        *error = QStringLiteral("--server PATH is required");
        return false;
    }
    o->server = QFileInfo(o->server).absoluteFilePath();
    bool ok = true;
    const auto number = [&](const QCommandLineOption &option) {
        bool good = false;
        const double v = parser.value(option).toDouble(&good);
        if (!good || v < 0) {
            ok = false;
            *error = QStringLiteral("--%1: not a number: %2")
                         .arg(option.names().first(), parser.value(option));
        }
        return v;
    };
    o->minutes = number(minutes);
    o->rate = parseSize(parser.value(rate));
    o->historySize = parser.value(history);
    o->clients = int(number(clients));
    o->slowloris = int(number(slow));
    o->loginRate = number(logins);
    o->logDiskBytes = parseSize(parser.value(disk));
    o->workDir = parser.value(work);
    o->tableOut = parser.value(table);
    o->label = parser.value(label);
    o->seed = quint32(number(seed));
    o->schedule.hangupEvery = number(hangup);
    o->schedule.downFor = number(down);
    o->schedule.rotateEvery = number(rotate);
    o->schedule.reloadEvery = number(reload);
    o->schedule.brokenEvery = int(number(broken));
    o->schedule.diskFullEvery = number(full);
    o->schedule.diskFullFor = number(fullFor);
    o->schedule.framesEvery = number(frames);
    o->attackers = QHostAddress(parser.value(attackers));
    if (!ok)
        return false;
    if (o->attackers.protocol() != QAbstractSocket::IPv4Protocol || !o->attackers.isLoopback()) {
        *error = QStringLiteral("--attackers-from takes a 127.x.y.z address");
        return false;
    }
    if (o->rate <= 0 || o->logDiskBytes <= 0) {
        *error = QStringLiteral("--rate and --log-disk take sizes such as 256K or 8M");
        return false;
    }
    return true;
}

QString machineText()
{
    QFile load(QStringLiteral("/proc/loadavg"));
    QString loadAverage;
    if (load.open(QIODevice::ReadOnly))
        loadAverage = QString::fromLatin1(load.readAll()).section(u' ', 0, 2);
    return QStringLiteral("%1 cores, load average %2 at the start")
        .arg(QThread::idealThreadCount())
        .arg(loadAverage);
}

// The log's own small file system, so that it can fill up; unmounted when the soak ends,
// whichever way. Without one, the disk-full fault is left out and the table says why.
class LogDisk
{
public:
    LogDisk(const QString &dir, qint64 bytes) : m_dir(QFile::encodeName(dir))
    {
        const QByteArray options = "size=" + QByteArray::number(bytes) + ",mode=0755";
        m_mounted = ::mount("tmpfs", m_dir.constData(), "tmpfs", 0, options.constData()) == 0;
        if (!m_mounted)
            m_error = QString::fromLocal8Bit(std::strerror(errno));
    }
    ~LogDisk()
    {
        if (m_mounted)
            ::umount2(m_dir.constData(), MNT_DETACH);
    }
    LogDisk(const LogDisk &) = delete;
    LogDisk &operator=(const LogDisk &) = delete;

    bool isMounted() const { return m_mounted; }
    QString error() const { return m_error; }

private:
    QByteArray m_dir;
    bool m_mounted = false;
    QString m_error;
};

// An attacker's address: the n-th after the first, or 127.0.0.1 for everyone.
QHostAddress attackerAddress(const QHostAddress &first, int n)
{
    if (first == QHostAddress(QHostAddress::LocalHost))
        return first;
    return QHostAddress(first.toIPv4Address() + quint32(n));
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("cloud-console-soak"));
    ::signal(SIGPIPE, SIG_IGN);
    Bench::raiseFdLimit();

    Options options;
    QString error;
    if (!parseOptions(app, &options, &error))
        return fail(error);

    // --- the place ---
    if (options.workDir.isEmpty()) {
        QByteArray pattern = QDir::tempPath().toUtf8() + "/cloud-console-soak-XXXXXX";
        if (!::mkdtemp(pattern.data()))
            return fail(
                QStringLiteral("mkdtemp: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
        options.workDir = QString::fromUtf8(pattern);
    }
    QDir().mkpath(options.workDir);
    const QString logDir = options.workDir + QStringLiteral("/logdisk");
    QDir().mkpath(logDir);
    // Declared before everything that writes to it, so that it is unmounted after them.
    const LogDisk logDisk(logDir, options.logDiskBytes);
    const bool mounted = logDisk.isMounted();
    const QString mountError = logDisk.error();
    if (!mounted) {
        say(QStringLiteral("cannot mount a %1 tmpfs on %2 (%3): the log goes on the ordinary "
                           "disk and the disk-full fault is left out")
                .arg(bytesText(options.logDiskBytes), logDir, mountError));
        options.schedule.diskFull = false;
    }
    const QString logPath = logDir + QStringLiteral("/console.log");
    say(QStringLiteral("working in %1").arg(options.workDir));

    Results results;
    RunInfo &run = results.run;
    run.label = options.label;
    run.server = options.server;
    run.started = QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyy-MM-dd HH:mm"));
    run.minutes = options.minutes;
    run.rate = options.rate;
    run.historySize = options.historySize;
    run.clients = options.clients;
    run.slowloris = options.slowloris;
    run.loginRate = options.loginRate;
    run.logDisk = mounted ? QStringLiteral("a tmpfs of %1").arg(bytesText(options.logDiskBytes))
                          : QStringLiteral("the ordinary disk (no tmpfs: %1)").arg(mountError);
    run.machine = machineText();

    // --- the console and the server ---
    FrameOracle oracle;
    ConsoleFeeder feeder(oracle, options.workDir, options.rate);
    if (!feeder.open(&error))
        return fail(QStringLiteral("cannot open a pty: %1").arg(error));
    ServerSettings serverSettings;
    serverSettings.binary = options.server;
    serverSettings.workDir = options.workDir;
    serverSettings.sourceLink = feeder.linkPath();
    serverSettings.logPath = logPath;
    serverSettings.historySize = options.historySize;
    ServerUnderTest server(serverSettings);
    if (!server.makeCredentials(&error) || !server.writeConfig(0, &error) || !server.start(&error))
        return fail(error);
    const quint16 port = server.port();
    say(QStringLiteral("server pid %1 on port %2; its stderr goes to %3")
            .arg(server.pid())
            .arg(port)
            .arg(server.stderrPath()));
    const QByteArray viewerToken = server.credentials().viewerToken;
    feeder.setServerReadCount([port, viewerToken] { return serverBytesRead(port, viewerToken); });

    ProcessProbe probe(pid_t(server.pid()));
    HealthProbe health(port);
    LogAuditor log(oracle, logPath, [&server] { server.signal(SIGHUP); });
    const StreamChecker::Excuse excuse
        = [&feeder](quint64 from, quint64 to) { return feeder.excused(from, to); };
    log.setExcuse(excuse);

    // Let the server settle, then the figures before any load.
    spin(1000);
    results.start = probe.sample();
    const QStringList descriptorsAtStart = probe.descriptors();
    health.start();
    log.start();
    feeder.start();
    spin(3000); // quiet: the console writes, nobody is connected

    // --- the storm ---
    ClientSwarm::Settings swarmSettings;
    swarmSettings.clients = options.clients;
    swarmSettings.serverPort = port;
    swarmSettings.viewerToken = viewerToken;
    swarmSettings.seed = options.seed;
    ClientSwarm swarm(oracle, swarmSettings);
    BrowserClient browser(oracle, port, server.credentials().userName,
                          server.credentials().password, options.seed + 1);
    Typist typist(oracle, port, server.credentials().operatorToken);
    // The attackers each come from an address of their own, as they would (the server counts
    // places per address); everyone else from 127.0.0.1.
    const QHostAddress slowFrom = attackerAddress(options.attackers, 0);
    const QHostAddress loginFrom = attackerAddress(options.attackers, 1);
    const QHostAddress framesFrom = attackerAddress(options.attackers, 2);
    FrameFuzzer fuzzer(oracle, port, viewerToken, options.seed + 2, framesFrom);
    LoginFlood loginFlood(port, options.loginRate, loginFrom);
    Slowloris slowloris(port, options.slowloris, slowFrom);
    run.attackers = QStringLiteral("slowloris from %1, login flood from %2, raw frames from %3; "
                                   "clients and /healthz from 127.0.0.1")
                        .arg(slowFrom.toString(), loginFrom.toString(), framesFrom.toString());
    FaultInjector faults(options.schedule, feeder, server, log, typist, fuzzer, probe, logDir);
    browser.setExcuse(excuse);
    typist.setExcuse(excuse);
    fuzzer.setExcuse(excuse);

    if (!swarm.start(excuse, &error))
        return fail(QStringLiteral("cannot start the swarm: %1").arg(error));
    browser.start();
    typist.start();
    fuzzer.start();
    if (options.loginRate > 0)
        loginFlood.start();
    if (options.slowloris > 0)
        slowloris.start();
    const qint64 origin = Bench::nowNs();
    faults.start(origin);
    typist.setOrigin(origin);
    health.setOrigin(origin);
    probe.start();
    probe.startLockSampler(origin);
    health.setPhase(HealthProbe::Phase::Storm);
    const ProcessProbe::Sample stormStart = probe.sample();
    const int64_t soakCpuStart = Bench::selfCpuNs();
    say(QStringLiteral("storm for %1 min").arg(options.minutes));

    QElapsedTimer storm;
    storm.start();
    const qint64 stormMs = qint64(options.minutes * 60'000);
    qint64 nextProgress = 30'000;
    while (storm.elapsed() < stormMs && server.isRunning()) {
        spin(200);
        if (storm.elapsed() >= nextProgress) {
            nextProgress += 30'000;
            const ConsoleFeeder::Totals f = feeder.totals();
            const ClientSwarm::Totals s = swarm.totals();
            say(QStringLiteral("%1 s: %2 frames written (%3), log has %4 frames; %5 swarm "
                               "clients connected, %6 silent-loss frames so far; RSS %7 KiB")
                    .arg(storm.elapsed() / 1000)
                    .arg(f.framesWritten)
                    .arg(bytesText(f.bytesWritten))
                    .arg(log.totals().stream.frames)
                    .arg(s.connectedAtEnd)
                    .arg(s.stream.silentFrames + log.totals().stream.silentFrames)
                    .arg(probe.sample().rssKiB));
        }
    }
    const ProcessProbe::Sample stormEnd = probe.sample();
    probe.stopLockSampler();
    results.lockWaits = probe.lockWaits();
    run.stormSeconds = double(storm.elapsed()) / 1000;
    results.stormCpuPercent = ProcessProbe::cpuPercent(stormStart, stormEnd);
    results.stormMainCpuPercent = ProcessProbe::mainCpuPercent(stormStart, stormEnd);
    results.soakCpuPercent = 100.0 * double(Bench::selfCpuNs() - soakCpuStart)
        / double(stormEnd.atNs - stormStart.atNs);

    // --- winding down: every fault undone, every load stopped, the stream run out ---
    say(QStringLiteral("winding down"));
    health.setPhase(HealthProbe::Phase::WindDown);
    faults.stop();
    loginFlood.stop();
    slowloris.stop();
    fuzzer.stop();
    typist.stopTyping();
    swarm.settle();
    browser.settle();
    spin(2000); // the last connections made
    // Every key typed reaches the console or is refused; those still on their way are counted.
    const auto keysInFlight = [&typist, &feeder] {
        const Typist::Totals &t = typist.totals();
        return t.keysTyped - t.keysRefused - qint64(feeder.totals().keysReceived);
    };
    waitUntil([&keysInFlight] { return keysInFlight() <= 0; }, 30'000);
    results.keysInFlightAtEnd = std::max<qint64>(0, keysInFlight());
    feeder.stopWriting();
    spin(500);
    const std::optional<quint64> last = feeder.totals().lastSeq;
    const auto hasLast
        = [&last](const std::optional<quint64> &seq) { return !last || (seq && *seq >= *last); };
    results.logCaughtUp = waitUntil(
        [&] {
            log.poll();
            return hasLast(log.lastSeq());
        },
        20'000);
    results.clientsCaughtUp = waitUntil(
        [&] {
            for (const auto &seq : swarm.connectedLastSeqs()) {
                if (!hasLast(seq))
                    return false;
            }
            return (!browser.isOpen() || hasLast(browser.lastSeq()))
                && (!typist.isOpen() || hasLast(typist.lastSeq()))
                && (!fuzzer.isOpen() || hasLast(fuzzer.lastSeq()));
        },
        20'000);
    {
        int surviving = 0;
        const auto seqs = swarm.connectedLastSeqs();
        for (const auto &seq : seqs)
            surviving += hasLast(seq) ? 1 : 0;
        results.connectedClients = int(seqs.size()) + (browser.isOpen() ? 1 : 0)
            + (typist.isOpen() ? 1 : 0) + (fuzzer.isOpen() ? 1 : 0);
        surviving += (browser.isOpen() && hasLast(browser.lastSeq())) ? 1 : 0;
        surviving += (typist.isOpen() && hasLast(typist.lastSeq())) ? 1 : 0;
        surviving += (fuzzer.isOpen() && hasLast(fuzzer.lastSeq())) ? 1 : 0;
        results.survivingClients = surviving;
    }
    results.serverBytesRead = serverBytesRead(port, viewerToken);
    results.swarm = swarm.totals();
    swarm.closeAll();
    browser.close();
    typist.close();
    fuzzer.close();
    // The server lets go of what was closed: sockets at once, idle HTTP connections after 60 s,
    // idle worker threads after 30 s. Waited for (bounded), so that what stays is a leak.
    QElapsedTimer settle;
    settle.start();
    spin(3000);
    for (int second = 0; second < 70 && probe.sample().fds > results.start.fds; ++second)
        spin(1000);
    results.endSettleSeconds = int(settle.elapsed() / 1000);
    results.end = probe.sample();
    {
        QStringList leftover = probe.descriptors();
        for (const QString &d : descriptorsAtStart)
            leftover.removeOne(d);
        // A connection still open at both ends is the soak's to answer for, not the server's.
        const QSet<quint16> own = ProcessProbe::ownTcpPorts();
        for (const QString &d : leftover) {
            const qsizetype arrow = d.indexOf(QLatin1String(" <- "));
            const quint16 peer = arrow < 0
                ? 0
                : quint16(d.mid(arrow + 4).section(u' ', 0, 0).section(u':', -1).toUInt());
            if (peer != 0 && own.contains(peer))
                results.soakHeldDescriptors.append(d);
            else
                results.leftoverDescriptors.append(d);
        }
    }
    probe.stop();
    results.peakRssKiB = probe.peakRssKiB();
    results.peakFds = probe.peakFds();
    health.stop();
    results.health = health.totals();

    results.stopMs = server.stop(10'000);
    results.exitCode = server.exitCode();
    results.crashed = server.crashed();
    results.unexpectedExit = server.unexpectedExit();
    feeder.stop();
    log.poll(); // what the server flushed as it stopped

    // --- the table ---
    results.feeder = feeder.totals();
    results.missingKeyRanges = feeder.missingKeyRanges();
    results.log = log.totals();
    results.logLastSeq = log.lastSeq();
    results.browser = browser.totals();
    results.browserCounts = browser.client().counts();
    results.browserStream = browser.client().checker().totals();
    results.typist = typist.totals();
    results.typistCounts = typist.client().counts();
    results.typistStream = typist.client().checker().totals();
    results.fuzzer = fuzzer.totals();
    results.fuzzerCounts = fuzzer.client().counts();
    results.fuzzerStream = fuzzer.client().checker().totals();
    results.traces = results.swarm.traces;
    const auto traceOf = [&results](const SoakClient &client) {
        if (!client.checker().totals().clean() || client.counts().protocolFindings > 0)
            results.traces.append(client.checker().name() + QStringLiteral(": ")
                                  + client.trace().join(QStringLiteral("; ")));
    };
    traceOf(browser.client());
    traceOf(typist.client());
    traceOf(fuzzer.client());
    results.logins = loginFlood.totals();
    results.slowloris = slowloris.totals();
    results.faults = faults.totals();
    results.sanitizerReports = server.count(ServerUnderTest::Line::Sanitizer);
    results.sanitizerSamples = server.samples(ServerUnderTest::Line::Sanitizer)
        + server.samples(ServerUnderTest::Line::SanitizerDetail);
    results.qtWarnings = server.count(ServerUnderTest::Line::QtWarning);
    results.qtWarningSamples = server.samples(ServerUnderTest::Line::QtWarning);
    results.stderrLines = server.stderrLines();
    results.stderrPath = server.stderrPath();

    const Report report(results);
    const QString text = report.table()
        + (report.findings().isEmpty() ? QString()
                                       : QStringLiteral("\nFindings:\n\n") + report.findings());
    std::fputs(qPrintable(text), stdout);
    std::fflush(stdout);
    if (!options.tableOut.isEmpty()) {
        QFile out(options.tableOut);
        if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))
            say(QStringLiteral("cannot write %1: %2").arg(options.tableOut, out.errorString()));
        else
            out.write(text.toUtf8());
    }
    say(QStringLiteral("%1; the server's stderr is in %2")
            .arg(report.passed() ? QStringLiteral("every verdict ok")
                                 : QStringLiteral("%1 verdict(s) FAIL").arg(report.failures()),
                 server.stderrPath()));
    return report.passed() ? 0 : 1;
}
