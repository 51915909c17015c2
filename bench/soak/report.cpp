#include "report.h"

#include "soakutil.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace Soak {

namespace {

QString ms(double value)
{
    if (std::isnan(value))
        return QStringLiteral("n/a");
    return value < 10 ? QString::number(value, 'f', 2) : QString::number(value, 'f', 0);
}

QString pct(double value)
{
    return std::isnan(value) ? QStringLiteral("n/a") : QString::number(value, 'f', 1) + u'%';
}

double mean(const std::vector<double> &values)
{
    if (values.empty())
        return NAN;
    double sum = 0;
    for (const double v : values)
        sum += v;
    return sum / double(values.size());
}

double maxOf(const std::vector<double> &values)
{
    return values.empty() ? NAN : *std::max_element(values.begin(), values.end());
}

QString mapText(const QMap<QString, qint64> &map)
{
    QStringList parts;
    for (auto it = map.begin(); it != map.end(); ++it)
        parts.append(QStringLiteral("%1 %2").arg(it.key(), countText(it.value())));
    return parts.isEmpty() ? QStringLiteral("none") : parts.join(QStringLiteral(", "));
}

// Table cells hold no pipes and no line breaks.
QString cell(QString text)
{
    return text.replace(u'|', u'/').replace(u'\n', u' ');
}

} // namespace

Report::Report(const Results &results) : m_r(results)
{
    build();
}

void Report::row(const QString &figure, const QString &result, std::optional<bool> ok)
{
    QString verdict = QStringLiteral("-");
    if (ok) {
        verdict = *ok ? QStringLiteral("ok") : QStringLiteral("**FAIL**");
        if (!*ok)
            ++m_failures;
    }
    m_table += QStringLiteral("| %1 | %2 | %3 |\n").arg(cell(figure), cell(result), verdict);
}

void Report::finding(const QString &text)
{
    m_findings += QStringLiteral("- %1\n").arg(text);
}

QString Report::faultsNear(double at) const
{
    QStringList near;
    for (const auto &[when, kind] : m_r.faults.timeline) {
        if (when <= at + 0.5 && when >= at - 5)
            near.append(QStringLiteral("%1 at %2 s")
                            .arg(FaultInjector::kindName(kind))
                            .arg(when, 0, 'f', 1));
    }
    return near.isEmpty() ? QStringLiteral("no fault in the 5 s before")
                          : near.join(QStringLiteral(", "));
}

void Report::slowMoments(const QString &what, const std::vector<std::pair<double, double>> &moments)
{
    if (moments.empty())
        return;
    QStringList parts;
    for (const auto &[at, took] : moments)
        parts.append(QStringLiteral("%1 ms at %2 s (%3)")
                         .arg(took, 0, 'f', 0)
                         .arg(at, 0, 'f', 1)
                         .arg(faultsNear(at)));
    finding(QStringLiteral("%1: %2").arg(what, parts.join(QStringLiteral("; "))));
}

void Report::build()
{
    const Results &r = m_r;
    m_table += QStringLiteral("| figure | result | verdict |\n| --- | --- | --- |\n");

    row(QStringLiteral("run"),
        QStringLiteral("%1, started %2 UTC; storm %3 min (asked %4); console fed %5/s of "
                       "checksummed lines; history %6; %7 swarm clients, a browser, a typist, a "
                       "frame fuzzer; %8 slowloris connections; login flood %9/s; log on %10; "
                       "%11; %12; the soak itself used %13 of a core")
            .arg(r.run.label, r.run.started)
            .arg(r.run.stormSeconds / 60, 0, 'f', 1)
            .arg(r.run.minutes, 0, 'f', 1)
            .arg(bytesText(r.run.rate), r.run.historySize)
            .arg(r.run.clients)
            .arg(r.run.slowloris)
            .arg(r.run.loginRate)
            .arg(r.run.logDisk, r.run.machine, r.run.attackers, pct(r.soakCpuPercent)),
        std::nullopt);

    // --- the console's bytes: into the pty, read by the server, in the log ---
    const qint64 unreadAtEnd = r.serverBytesRead < 0
        ? -1
        : r.feeder.bytesWritten - r.feeder.bytesLostAtHangups - r.serverBytesRead;
    row(QStringLiteral("console -> server"),
        QStringLiteral("%1 bytes written into the pty; the server says it read %2 (its /metrics); "
                       "at %3 of %4 hang-ups the server had not read everything when the pty "
                       "closed (%5 bytes lost in the pty, %6 frames excused); %7 of frames "
                       "made while the pty was full waited for the next pty")
            .arg(countText(r.feeder.bytesWritten),
                 r.serverBytesRead < 0 ? QStringLiteral("(unknown)") : countText(r.serverBytesRead),
                 countText(qint64(r.feeder.undrainedHangups)), countText(qint64(r.feeder.hangups)),
                 countText(r.feeder.bytesLostAtHangups), countText(qint64(r.feeder.excusedFrames)),
                 bytesText(r.feeder.carriedOver)),
        unreadAtEnd == 0);
    const StreamTotals &log = r.log.stream;
    row(QStringLiteral("console -> log"),
        QStringLiteral("%1 frames (%2) written; in the log: %3 whole frames (%4); behind the "
                       "log's %5 \"bytes missing\" lines: %6 frames (%7; the lines said %8); "
                       "excused (lost in a closed pty): %9; missing "
                       "silently: %10 frames (%11); corrupt lines %12, out of order %13, "
                       "under-announced %14; the log %15 the last frame")
            .arg(countText(qint64(r.feeder.framesWritten)), bytesText(r.feeder.bytesWritten),
                 countText(log.frames), bytesText(log.frameBytes), countText(log.breaks),
                 countText(log.announcedFrames), bytesText(log.announcedBytes),
                 bytesText(log.saidBytes), countText(log.excusedFrames))
            .arg(countText(log.silentFrames), bytesText(log.silentBytes),
                 countText(log.corruptLines), countText(log.outOfOrder),
                 countText(log.underAnnounced),
                 r.logCaughtUp ? QStringLiteral("holds") : QStringLiteral("does NOT hold")),
        log.clean() && r.logCaughtUp);
    if (!log.announcedRanges.isEmpty())
        row(QStringLiteral("log: ranges missing, announced"),
            log.announcedRanges.join(QStringLiteral("; ")), std::nullopt);
    for (const QString &f : log.findings)
        finding(f);
    if (!r.logCaughtUp)
        finding(
            QStringLiteral("log: after the feeder stopped, the log did not reach frame #%1 "
                           "within 20 s (it has up to #%2)")
                .arg(r.feeder.lastSeq ? QString::number(*r.feeder.lastSeq) : QStringLiteral("none"),
                     r.logLastSeq ? QString::number(*r.logLastSeq) : QStringLiteral("none")));

    // --- the clients' streams ---
    StreamTotals clients = r.swarm.stream;
    clients.add(r.browserStream);
    clients.add(r.typistStream);
    clients.add(r.fuzzerStream);
    ClientCounts counts = r.swarm.counts;
    counts.add(r.browserCounts);
    counts.add(r.typistCounts);
    counts.add(r.fuzzerCounts);
    row(QStringLiteral("client streams"),
        QStringLiteral("%1 sessions (%2 handshakes refused or failed: %3); %4 clients connected "
                       "at the end, %5 of them with every frame up to the last one written; %6 "
                       "whole frames checked (%7)")
            .arg(countText(counts.sessions), countText(counts.failedOpens),
                 mapText(counts.openFailures))
            .arg(r.connectedClients)
            .arg(r.survivingClients)
            .arg(countText(clients.frames), bytesText(clients.frameBytes)),
        // Nothing checked is no pass.
        r.clientsCaughtUp && clients.frames > 0);
    row(QStringLiteral("announced gaps"),
        QStringLiteral("%1 gaps (%2) told to v1 clients and %3 raw skip lines; %4 frames (%5) "
                       "missing behind them; %6 screens sent; %7 stalls by the swarm")
            .arg(countText(counts.gaps), bytesText(counts.gapBytes),
                 countText(clients.inlineBreaks), countText(clients.announcedFrames),
                 bytesText(clients.announcedBytes), countText(counts.screens),
                 countText(r.swarm.stalls)),
        std::nullopt);
    row(QStringLiteral("bytes lost silently (clients)"),
        QStringLiteral("%1 frames, %2; excused at hang-ups %3 frames")
            .arg(countText(clients.silentFrames), bytesText(clients.silentBytes),
                 countText(clients.excusedFrames)),
        clients.silentFrames == 0);
    row(QStringLiteral("corrupt, out of order, under-announced, protocol"),
        QStringLiteral("%1 corrupt lines, %2 out of order, %3 gaps smaller than what went "
                       "missing (%4), %5 protocol findings (gaps from the wrong offset, skips "
                       "without a gap)")
            .arg(countText(clients.corruptLines), countText(clients.outOfOrder),
                 countText(clients.underAnnounced), bytesText(clients.underAnnouncedBytes),
                 countText(counts.protocolFindings)),
        clients.corruptLines == 0 && clients.outOfOrder == 0 && clients.underAnnounced == 0
            && counts.protocolFindings == 0);
    for (const QString &f : clients.findings)
        finding(QStringLiteral("client %1").arg(f));
    for (const QString &t : r.traces)
        finding(QStringLiteral("trace of %1").arg(t));
    row(QStringLiteral("client closes"),
        mapText(counts.closes)
            + QStringLiteral(" (\"Timeout when reading data from socket\" is the soak's own "
                             "QWebSocket giving up on a frame that did not arrive whole in 5 s)"),
        std::nullopt);

    // --- the browser ---
    const BrowserClient::Totals &b = r.browser;
    row(QStringLiteral("browser: resume"),
        QStringLiteral("%1 reconnects with ?offset=&epoch=: %2 resumed exactly, %3 with a gap; "
                       "logins %4 of %5 attempts (%6 answered 429, %7 other failures), time to "
                       "a session p50 %8 ms, max %9 ms")
            .arg(countText(r.browserCounts.resumes), countText(r.browserCounts.exactResumes),
                 countText(r.browserCounts.resumesWithGap), countText(b.logins),
                 countText(b.loginAttempts), countText(b.loginsRefused429),
                 countText(b.loginFailures), ms(percentile(b.loginMs, 50)), ms(maxOf(b.loginMs))),
        b.logins > 0 && b.loginFailures == 0 && r.browserCounts.sessions > 0
            && r.browserCounts.resumes
                == r.browserCounts.exactResumes + r.browserCounts.resumesWithGap);
    for (const QString &f : b.loginFailureSamples)
        finding(QStringLiteral("browser login failed: %1").arg(f));

    // --- typing ---
    const Typist::Totals &t = r.typist;
    const qint64 reached = qint64(r.feeder.keysReceived);
    const qint64 unsettled = r.faults.keysInFlightAtHangups + r.keysInFlightAtEnd;
    const qint64 lost = t.keysTyped - reached - t.keysRefused - unsettled;
    row(QStringLiteral("typist (operator token)"),
        QStringLiteral("%1 keys typed (%2 pastes); %3 reached the console, %4 refused with an "
                       "error (%5); still on their way when a pty closed %6, at the end %7; "
                       "lost silently %8; out of order %9; echo p50 %10 ms, p99 %11 ms (%12 "
                       "echoes)")
            .arg(countText(t.keysTyped), countText(t.pastes), countText(reached),
                 countText(t.keysRefused), mapText(t.refusals),
                 countText(r.faults.keysInFlightAtHangups), countText(r.keysInFlightAtEnd),
                 countText(lost), countText(qint64(r.feeder.keysOutOfOrder)))
            .arg(ms(percentile(t.echoMs, 50)), ms(percentile(t.echoMs, 99)), countText(t.echoes)),
        lost == 0 && r.feeder.keysOutOfOrder == 0 && reached > 0);
    if (lost != 0)
        finding(QStringLiteral("typist: keys missing at the console (holes in the numbers): %1")
                    .arg(r.missingKeyRanges.join(QStringLiteral(", "))));
    row(QStringLiteral("viewers typing"),
        QStringLiteral("%1 input messages from read-only clients, %2 read-only errors received; "
                       "bytes reaching the console that no operator typed: %3")
            .arg(countText(r.swarm.typedWhileViewer + r.fuzzer.messages),
                 countText(counts.errors.value(QStringLiteral("read-only"))),
                 countText(r.feeder.garbageInputBytes)),
        r.feeder.garbageInputBytes == 0);

    // --- the process ---
    row(QStringLiteral("server RSS"),
        QStringLiteral("start %1 KiB, peak %2 KiB, end %3 KiB")
            .arg(countText(r.start.rssKiB), countText(r.peakRssKiB), countText(r.end.rssKiB)),
        std::nullopt);
    row(QStringLiteral("server open fds"),
        QStringLiteral("start %1, peak %2, end %3 (all clients gone, %4 s after the last closed; "
                       "%5 more held open by the soak's own sockets)")
            .arg(r.start.fds)
            .arg(r.peakFds)
            .arg(r.end.fds)
            .arg(r.endSettleSeconds)
            .arg(r.soakHeldDescriptors.size()),
        r.leftoverDescriptors.isEmpty());
    if (!r.leftoverDescriptors.isEmpty())
        finding(QStringLiteral("server fds: open at the end and not at the start: %1")
                    .arg(r.leftoverDescriptors.join(QStringLiteral(", "))));
    if (!r.soakHeldDescriptors.isEmpty())
        finding(QStringLiteral("server fds still open at the end because the soak holds their "
                               "peer (the soak's, not the server's): %1")
                    .arg(r.soakHeldDescriptors.join(QStringLiteral(", "))));
    const HealthProbe::Totals &h = r.health;
    row(QStringLiteral("/healthz"),
        QStringLiteral("quiet: p50 %1 ms, p99 %2 ms; during the storm: p50 %3 ms, p99 %4 ms, "
                       "max %5 ms over %6 answers; failures %7 (quiet %8)")
            .arg(ms(percentile(h.quietMs, 50)), ms(percentile(h.quietMs, 99)),
                 ms(percentile(h.stormMs, 50)), ms(percentile(h.stormMs, 99)), ms(maxOf(h.stormMs)),
                 countText(qint64(h.stormMs.size())), countText(h.failures),
                 countText(h.quietFailures)),
        h.failures == 0);
    for (const QString &f : h.failureSamples)
        finding(QStringLiteral("/healthz: %1").arg(f));
    slowMoments(QStringLiteral("/healthz answers over 500 ms (seconds into the storm)"), h.slow);
    slowMoments(QStringLiteral("keystroke echoes over 500 ms"), r.typist.slowEchoes);
    const ProcessProbe::LockWaits &w = r.lockWaits;
    row(QStringLiteral("server main thread waiting on a lock"),
        QStringLiteral("%1 of %2 samples (every 2 ms) in a futex wait (%3); longest wait %4 ms; "
                       "%5 waits over 100 ms")
            .arg(countText(w.inFutex), countText(w.samples),
                 pct(w.samples ? 100.0 * double(w.inFutex) / double(w.samples) : NAN),
                 ms(w.longestMs), countText(w.runsOver100Ms)),
        std::nullopt);
    slowMoments(QStringLiteral("the server's main thread waited on a lock for over 300 ms"),
                w.longRuns);

    const FaultInjector::Totals &f = r.faults;
    QList<std::pair<double, QString>> byName;
    for (auto it = f.downCpuByName.begin(); it != f.downCpuByName.end(); ++it) {
        if (f.downSeconds > 0)
            byName.append({it.value() / f.downSeconds, it.key()});
    }
    std::sort(byName.begin(), byName.end(), std::greater<>());
    QStringList threads;
    for (const auto &[percent, name] : byName.first(std::min<qsizetype>(byName.size(), 4)))
        threads.append(QStringLiteral("%1 %2").arg(name, pct(percent)));
    row(QStringLiteral("CPU while the source is down"),
        QStringLiteral("whole server mean %1 (max %2), main thread mean %3 (max %4), over %5 "
                       "windows, %6 s; by thread: %7; the clients, logins and faults go on "
                       "meanwhile. For comparison, the whole storm: %8, main thread %9")
            .arg(pct(mean(f.downCpuPercent)), pct(maxOf(f.downCpuPercent)),
                 pct(mean(f.downMainCpuPercent)), pct(maxOf(f.downMainCpuPercent)))
            .arg(f.downCpuPercent.size())
            .arg(f.downSeconds, 0, 'f', 1)
            .arg(threads.join(QStringLiteral(", ")), pct(r.stormCpuPercent),
                 pct(r.stormMainCpuPercent)),
        std::nullopt);

    // --- faults ---
    QStringList faultParts;
    bool allSurvived = true;
    int injected = 0;
    int survived = 0;
    for (auto it = f.outcomes.begin(); it != f.outcomes.end(); ++it) {
        faultParts.append(QStringLiteral("%1 %2/%3")
                              .arg(FaultInjector::kindName(it.key()))
                              .arg(it.value().survived)
                              .arg(it.value().injected));
        injected += it.value().injected;
        survived += it.value().survived;
        allSurvived = allSurvived && it.value().survived == it.value().injected;
        for (const QString &failure : it.value().failures)
            finding(QStringLiteral("fault %1: %2").arg(FaultInjector::kindName(it.key()), failure));
    }
    row(QStringLiteral("faults survived / injected"),
        QStringLiteral("%1/%2: %3; the server attached to a new pty p50 %4 ms, max %5 ms after "
                       "it appeared (its retry backoff)")
            .arg(survived)
            .arg(injected)
            .arg(faultParts.join(QStringLiteral(", ")), ms(percentile(f.reattachMs, 50)),
                 ms(maxOf(f.reattachMs))),
        allSurvived && injected > 0);

    // --- the attackers ---
    const LoginFlood::Totals &l = r.logins;
    QMap<QString, qint64> statuses;
    for (auto it = l.statuses.begin(); it != l.statuses.end(); ++it)
        statuses[it.key() ? QString::number(it.key()) : QStringLiteral("no answer")] = it.value();
    // 401 (checked) and 429 (the server's login limit) are the answers; a connection the
    // server's admission closed while it waited for a place has none, by design, and is listed.
    qint64 unexpected = 0;
    for (auto it = l.statuses.begin(); it != l.statuses.end(); ++it) {
        if (it.key() != 401 && it.key() != 429 && it.key() != 0)
            unexpected += it.value();
    }
    row(QStringLiteral("login flood"),
        QStringLiteral("%1 wrong passwords posted (%2 not sent: 64 waiting): %3; answer p50 %4 "
                       "ms, p99 %5 ms")
            .arg(countText(l.attempts), countText(l.skipped), mapText(statuses),
                 ms(percentile(l.ms, 50)), ms(percentile(l.ms, 99))),
        unexpected == 0);
    for (const QString &failure : l.failures)
        finding(QStringLiteral("login flood: %1").arg(failure));
    const Slowloris::Totals &s = r.slowloris;
    row(QStringLiteral("slowloris"),
        QStringLiteral("%1 connections opened, %2 closed by the server: %3 after p50 %4 s (max "
                       "%5 s), %6 within a second; answered %7")
            .arg(countText(s.opened), countText(s.closedByServer),
                 countText(qint64(s.lifetimesSeconds.size())),
                 QString::number(percentile(s.lifetimesSeconds, 50), 'f', 1),
                 QString::number(maxOf(s.lifetimesSeconds), 'f', 1), countText(s.refusedAtOnce),
                 countText(s.answered)),
        // A connection may wait 10 s for a place and then hold one 10 s (the server's admission).
        s.answered == 0 && !(maxOf(s.lifetimesSeconds) > 25));
    const FrameFuzzer::Totals &z = r.fuzzer;
    row(QStringLiteral("random frames"),
        QStringLiteral("v1: %1 random messages (%2 over 64 KiB), answers %3; raw: %4 "
                       "connections, %5 random frames, %6 closed by the server (close codes "
                       "%7), %8 upgrades refused")
            .arg(countText(z.messages), countText(z.oversized), mapText(r.fuzzerCounts.errors),
                 countText(z.rawConnections), countText(z.rawFrames),
                 countText(z.rawClosedByServer), mapText(z.rawCloseCodes),
                 countText(z.rawUpgradeRefused)),
        std::nullopt);

    // --- the server's own words, and its end ---
    row(QStringLiteral("sanitizer reports"),
        QStringLiteral("%1 (AddressSanitizer, LeakSanitizer, UBSan \"runtime error\" lines in "
                       "the server's stderr)")
            .arg(r.sanitizerReports),
        r.sanitizerReports == 0);
    for (const QString &line : r.sanitizerSamples)
        finding(QStringLiteral("sanitizer: %1").arg(line));
    row(QStringLiteral("server stderr"),
        QStringLiteral("%1 lines; %2 outside the server's categories (Qt warnings and the like)")
            .arg(countText(r.stderrLines), countText(r.qtWarnings)),
        std::nullopt);
    for (const QString &line : r.qtWarningSamples)
        finding(QStringLiteral("server stderr: %1").arg(line));
    QString exit;
    if (!r.unexpectedExit.isEmpty())
        exit = QStringLiteral("the server ended during the run: %1").arg(r.unexpectedExit);
    else if (!r.stopMs)
        exit = QStringLiteral("did not exit within 10 s of SIGTERM (killed)");
    else
        exit = QStringLiteral("SIGTERM: exit status %1 after %2 ms%3")
                   .arg(r.exitCode)
                   .arg(*r.stopMs)
                   .arg(r.crashed ? QStringLiteral(" (crashed)") : QString());
    row(QStringLiteral("server exit"), exit,
        r.unexpectedExit.isEmpty() && r.stopMs && r.exitCode == 0 && !r.crashed);
}

} // namespace Soak
