#pragma once

// Report turns everything the soak counted into its one table (Markdown: figure, result,
// verdict) and, under it, the findings named one by one. A verdict is "ok", "FAIL" or "-" (a
// figure to read, with no target). It owns nothing but the results it is given; it knows
// nothing about how they were gathered.

#include "browserclient.h"
#include "clientswarm.h"
#include "consolefeeder.h"
#include "faultinjector.h"
#include "framefuzzer.h"
#include "healthprobe.h"
#include "httpload.h"
#include "logauditor.h"
#include "processprobe.h"
#include "typist.h"

#include <QString>
#include <QStringList>

#include <optional>

namespace Soak {

struct RunInfo
{
    QString label; // "normal build", "ASan build"
    QString server;
    QString started; // UTC date and time
    double minutes = 0; // the storm, as asked
    double stormSeconds = 0; // as run
    qint64 rate = 0;
    QString historySize;
    int clients = 0;
    int slowloris = 0;
    double loginRate = 0;
    QString logDisk; // "a tmpfs of 8 MiB" or why not
    QString machine; // cores, load
    QString attackers; // where the slowloris, the login flood and the raw frames come from
};

struct Results
{
    RunInfo run;
    ConsoleFeeder::Totals feeder;
    QStringList missingKeyRanges;
    qint64 serverBytesRead = -1; // its /metrics, at the end
    LogAuditor::Totals log;
    bool logCaughtUp = false;
    std::optional<quint64> logLastSeq;
    ClientSwarm::Totals swarm;
    BrowserClient::Totals browser;
    ClientCounts browserCounts;
    StreamTotals browserStream;
    Typist::Totals typist;
    qint64 keysInFlightAtEnd = 0; // typed, neither at the console nor refused, 30 s after
    ClientCounts typistCounts;
    StreamTotals typistStream;
    FrameFuzzer::Totals fuzzer;
    ClientCounts fuzzerCounts;
    StreamTotals fuzzerStream;
    QStringList traces; // what led up to the clients' findings
    int survivingClients = 0;
    int connectedClients = 0; // of the swarm, browser, typist and fuzzer, at the end
    bool clientsCaughtUp = false;
    LoginFlood::Totals logins;
    Slowloris::Totals slowloris;
    HealthProbe::Totals health;
    FaultInjector::Totals faults;
    ProcessProbe::Sample start, end;
    qint64 peakRssKiB = 0;
    int peakFds = 0;
    int endSettleSeconds = 0; // waited after the last client for the fds to come back
    QStringList leftoverDescriptors; // open at the end and not at the start, the server's own
    QStringList soakHeldDescriptors; // ... and those whose peer the soak itself still holds
    double stormCpuPercent = 0;
    double stormMainCpuPercent = 0;
    double soakCpuPercent = 0; // this program, during the storm
    ProcessProbe::LockWaits lockWaits; // the server's main thread during the storm
    int sanitizerReports = 0;
    QStringList sanitizerSamples;
    int qtWarnings = 0;
    QStringList qtWarningSamples;
    qint64 stderrLines = 0;
    QString stderrPath;
    std::optional<qint64> stopMs;
    int exitCode = 0;
    bool crashed = false;
    QString unexpectedExit;
};

class Report
{
public:
    explicit Report(const Results &results);

    QString table() const { return m_table; }
    QString findings() const { return m_findings; }
    bool passed() const { return m_failures == 0; }
    int failures() const { return m_failures; }

private:
    void build();
    void row(const QString &figure, const QString &result, std::optional<bool> ok);
    void finding(const QString &text);
    // The faults injected in the 5 s before `at` (s), for slow moments.
    QString faultsNear(double at) const;
    void slowMoments(const QString &what, const std::vector<std::pair<double, double>> &moments);

    const Results &m_r;
    QString m_table;
    QString m_findings;
    int m_failures = 0;
};

} // namespace Soak
