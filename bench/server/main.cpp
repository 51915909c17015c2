// cloud-console-bench-server: the server benchmarks of tracker issue 2.
//
// Every figure is measured against its baseline in the same run, in alternating rounds
// (baseline, server, baseline, server, ...), because this machine's speed drifts; the suite
// reports min / median / max over the rounds of the per-round ratios, the absolute figures and
// the CPU used by the server and by this load generator. Run it through
// bench/run-server-bench.sh; `--help` lists the single measurements.

#include "benchutil.h"
#include "measure.h"

#include <signal.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

using namespace Bench;

namespace {

void usage(FILE *to)
{
    fprintf(
        to,
        "usage: cloud-console-bench-server COMMAND [options]\n"
        "commands:\n"
        "  suite            all figures, alternating rounds, prints a Markdown table\n"
        "  pty-throughput   (a) raw pty throughput, no server\n"
        "  pty-echo         (a) bare pty echo round trip\n"
        "  throughput       (b) throughput through the server (--clients N)\n"
        "  echo             (c) keystroke echo through the server (--flood-clients N, 0 = idle)\n"
        "  rss              (d) server RSS with 0, 100, 1000 idle clients\n"
        "  history          (e) a new client receives the 1 MiB history\n"
        "  tcp-history      baseline of (e): 1 MiB over a plain loopback TCP connection\n"
        "options:\n"
        "  --server PATH          the cloud-console binary (needed by the server figures)\n"
        "  --server-prefix 'CMD'  run the server under CMD (e.g. 'valgrind --tool=callgrind')\n"
        "  --server-arg ARG       extra argument for every server run (repeatable)\n"
        "  --server-log FILE      append the server's stderr to FILE (default: inherited)\n"
        "  --rounds N             suite rounds (default 5)\n"
        "  --quick                suite with smaller transfers and fewer samples\n"
        "  --clients N            throughput: number of clients (default 1)\n"
        "  --bytes N              throughput / pty-throughput: bytes written\n"
        "  --line-length N        the output is lines of N bytes and CR LF (default: no line "
        "ends)\n"
        "  --flood-clients N      echo: clients reading a flood meanwhile (default 0)\n"
        "  --samples N            echo / history: samples\n"
        "  --rss-clients A,B,C    rss: client counts, the first must be 0 (default 0,100,1000)\n");
}

std::vector<std::string> split(const std::string &s, char sep)
{
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string part;
    while (std::getline(in, part, sep))
        if (!part.empty())
            out.push_back(part);
    return out;
}

// --- the suite ---------------------------------------------------------------------------------

struct Series
{
    std::vector<double> ratio; // server figure / baseline figure, per round
    std::vector<double> server; // absolute server figure, per round
    std::vector<double> baseline; // absolute baseline figure, per round
    std::vector<double> serverCpu; // % of one core
    std::vector<double> loadgenCpu; // % of one core
    std::vector<double> extra; // figure-specific
    std::vector<double> lostPct; // (b): % of the stream a client lost in gaps, all clients
    int passed = 0;
    int failedRuns = 0;
    std::string lastError;
};

std::string fmt(double v, int decimals = 2)
{
    if (std::isnan(v))
        return "n/a";
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string triple(const std::vector<double> &v, int decimals = 2)
{
    if (v.empty())
        return "n/a";
    return fmt(minOf(v), decimals) + " / " + fmt(median(v), decimals) + " / "
        + fmt(maxOf(v), decimals);
}

std::string med(const std::vector<double> &v, int decimals = 0)
{
    return v.empty() ? "n/a" : fmt(median(v), decimals);
}

int runSuite(const Options &o, const std::string &commandLine)
{
    Series pty, ptyEchoS, b1, b10, b100, cIdle, cFlood, d100, d1000, e;
    std::vector<double> idleP50, floodGaps, floodMbps, rss0, marginal;

    auto log = [](const std::string &what, const Result &r) {
        fprintf(stderr, "  %s\n", r.line(what).c_str());
        fflush(stderr);
    };
    auto note = [](Series &s, const Result &r) {
        if (!r.ok) {
            ++s.failedRuns;
            s.lastError = r.error;
        }
    };
    auto throughputPair = [&](Series &s, int clients, uint64_t bytes, auto pass) {
        const Result base = ptyThroughput(o);
        log("pty-throughput", base);
        const Result srv = serverThroughput(o, clients, bytes);
        log("throughput", srv);
        note(s, srv);
        if (!base.ok || srv.get("worst_mbps") < 0)
            return;
        pty.server.push_back(base.get("mbps"));
        pty.loadgenCpu.push_back(base.get("loadgen_cpu_pct"));
        const double worst = srv.get("worst_mbps");
        s.ratio.push_back(worst / base.get("mbps"));
        s.server.push_back(worst);
        s.baseline.push_back(base.get("mbps"));
        s.serverCpu.push_back(srv.get("server_cpu_pct"));
        s.loadgenCpu.push_back(srv.get("loadgen_cpu_pct"));
        s.extra.push_back(srv.get("aggregate_mbps"));
        s.lostPct.push_back(100.0 * srv.get("gap_bytes") / (double(clients) * double(bytes)));
        if (srv.ok && pass(worst, base.get("mbps")))
            ++s.passed;
    };
    auto echoPair = [&](Series &s, int flood, int samples, auto pass) {
        const Result base = ptyEcho(o, o.echoSamples);
        log("pty-echo", base);
        const Result srv = serverEcho(o, flood, samples);
        log("echo", srv);
        note(s, srv);
        if (!base.ok || !srv.ok)
            return;
        ptyEchoS.server.push_back(base.get("p99_us"));
        ptyEchoS.extra.push_back(base.get("p50_us"));
        const double p99 = srv.get("p99_us");
        s.ratio.push_back(p99 / base.get("p99_us"));
        s.server.push_back(p99);
        s.baseline.push_back(base.get("p99_us"));
        s.serverCpu.push_back(srv.get("server_cpu_pct"));
        s.loadgenCpu.push_back(srv.get("loadgen_cpu_pct"));
        s.extra.push_back(p99 - base.get("p99_us"));
        if (flood) {
            floodGaps.push_back(srv.get("gaps"));
            floodMbps.push_back(srv.get("flood_mbps_per_client"));
        } else {
            idleP50.push_back(srv.get("p50_us"));
        }
        if (pass(p99, base.get("p99_us")) && srv.get("lost") == 0)
            ++s.passed;
    };

    const time_t started = time(nullptr);
    for (int round = 1; round <= o.rounds; ++round) {
        fprintf(stderr, "round %d of %d\n", round, o.rounds);
        throughputPair(b1, 1, o.bytes1, [](double w, double base) { return w >= 0.9 * base; });
        throughputPair(b10, 10, o.bytes10, [](double w, double base) { return w >= 0.5 * base; });
        throughputPair(b100, 100, o.bytes100, [](double w, double) { return w >= 5.0; });
        echoPair(cIdle, 0, o.echoSamples,
                 [](double p99, double base) { return p99 <= base + 500; });
        echoPair(cFlood, o.floodClients, o.floodSamples,
                 [](double p99, double) { return p99 <= 5000; });
        {
            const Result base = tcpHistory(o);
            log("tcp-history", base);
            const Result srv = serverHistory(o);
            log("history", srv);
            note(e, srv);
            if (base.ok && srv.ok) {
                e.ratio.push_back(srv.get("median_ms") / base.get("median_ms"));
                e.server.push_back(srv.get("median_ms"));
                e.baseline.push_back(base.get("median_ms"));
                e.serverCpu.push_back(srv.get("server_cpu_ms_per_client"));
                e.loadgenCpu.push_back(srv.get("loadgen_cpu_ms_per_client"));
                e.extra.push_back(srv.get("max_ms"));
                if (srv.get("median_ms") <= 10 && srv.get("history_end") == double(o.historyBytes))
                    ++e.passed;
            }
        }
        {
            const Result srv = serverRss(o);
            log("rss", srv);
            note(d1000, srv);
            if (srv.ok) {
                rss0.push_back(srv.get("rss_kib_0"));
                if (srv.v.count("marginal_kib_per_client"))
                    marginal.push_back(srv.get("marginal_kib_per_client"));
                for (auto [s, n] : {std::pair<Series *, int> {&d100, 100}, {&d1000, 1000}}) {
                    const double per = srv.get("kib_per_client_" + std::to_string(n));
                    if (per < 0 && srv.v.count("kib_per_client_" + std::to_string(n)) == 0)
                        continue;
                    s->server.push_back(per);
                    s->extra.push_back(srv.get("rss_kib_" + std::to_string(n)));
                    if (per <= 24)
                        ++s->passed;
                }
            }
        }
    }
    const int minutes = int((time(nullptr) - started + 59) / 60);

    char date[64];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&started));
    printf("Server benchmark, %s, %d rounds (about %d min), %ld cores online, load average at "
           "the end: ",
           date, o.rounds, minutes, sysconf(_SC_NPROCESSORS_ONLN));
    if (FILE *f = fopen("/proc/loadavg", "r")) {
        char buf[128] = {};
        if (fgets(buf, sizeof buf, f))
            printf("%.*s", int(strcspn(buf, " ")), buf);
        fclose(f);
    }
    printf("\n\n`%s`\n\n", commandLine.c_str());
    printf("Ratios are server / same-round baseline, min / median / max over the rounds; "
           "absolute figures are medians over the rounds; CPU is %% of one core over the "
           "measurement (server: all its threads; loadgen: this whole process, writer included); "
           "'rounds ok' counts the rounds that met the target. (b) is goodput: bytes received "
           "over the time to the end of the stream; a run where a client lost bytes in a gap "
           "fails whatever its rate. A keystroke whose echo never came counts as 1 s in (c).\n\n");
    printf("| figure | target | ratio min / med / max | server (median) | baseline (median) | "
           "server CPU | loadgen CPU | rounds ok |\n");
    printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    const int rounds = o.rounds;
    auto okCol = [&](const Series &s) {
        std::string t = std::to_string(s.passed) + "/" + std::to_string(rounds);
        if (s.failedRuns)
            t += " (" + std::to_string(s.failedRuns) + " failed runs)";
        return t;
    };
    printf("| (a) raw pty throughput | ceiling | — | — | %s MB/s (min %s, max %s) | — | %s%% | — "
           "|\n",
           med(pty.server, 0).c_str(), fmt(minOf(pty.server), 0).c_str(),
           fmt(maxOf(pty.server), 0).c_str(), med(pty.loadgenCpu).c_str());
    printf(
        "| (a) bare pty echo | ceiling | — | — | p50 %s µs, p99 %s µs (p99 min %s, max %s) | — | "
        "— | — |\n",
        med(ptyEchoS.extra, 0).c_str(), med(ptyEchoS.server, 0).c_str(),
        fmt(minOf(ptyEchoS.server), 0).c_str(), fmt(maxOf(ptyEchoS.server), 0).c_str());
    auto throughputRow = [&](const char *name, const char *target, const Series &s) {
        printf("| %s | %s | %s | worst client %s MB/s, aggregate %s MB/s; lost in gaps %s%% of "
               "the stream (min %s, max %s) | %s MB/s | %s%% | %s%% | %s |\n",
               name, target, triple(s.ratio).c_str(), med(s.server, 1).c_str(),
               med(s.extra, 0).c_str(), med(s.lostPct, 1).c_str(), fmt(minOf(s.lostPct), 1).c_str(),
               fmt(maxOf(s.lostPct), 1).c_str(), med(s.baseline, 0).c_str(),
               med(s.serverCpu).c_str(), med(s.loadgenCpu).c_str(), okCol(s).c_str());
    };
    throughputRow("(b) 1 client", "≥ 0.9 × (a)", b1);
    throughputRow("(b) 10 clients, each", "≥ 0.5 × (a)", b10);
    throughputRow("(b) 100 clients, each", "≥ 5 MB/s", b100);
    printf("| (c) echo p99, idle | ≤ bare p99 + 0.5 ms | %s | p99 %s µs (p50 %s µs); p99 − bare "
           "p99: %s µs (min %s, max %s) | p99 %s µs | %s%% | %s%% | %s |\n",
           triple(cIdle.ratio).c_str(), med(cIdle.server).c_str(), med(idleP50).c_str(),
           med(cIdle.extra).c_str(), fmt(minOf(cIdle.extra), 0).c_str(),
           fmt(maxOf(cIdle.extra), 0).c_str(), med(cIdle.baseline).c_str(),
           med(cIdle.serverCpu).c_str(), med(cIdle.loadgenCpu).c_str(), okCol(cIdle).c_str());
    printf("| (c) echo p99, %d clients flooded | ≤ 5 ms | %s | p99 %s µs (min %s, max %s); flood "
           "%s MB/s per client, %s gaps | p99 %s µs | %s%% | %s%% | %s |\n",
           o.floodClients, triple(cFlood.ratio).c_str(), med(cFlood.server).c_str(),
           fmt(minOf(cFlood.server), 0).c_str(), fmt(maxOf(cFlood.server), 0).c_str(),
           med(floodMbps, 1).c_str(), med(floodGaps).c_str(), med(cFlood.baseline).c_str(),
           med(cFlood.serverCpu).c_str(), med(cFlood.loadgenCpu).c_str(), okCol(cFlood).c_str());
    printf("| (d) RSS per idle client, 100 | ≤ 24 KiB | — | %s KiB/client (min %s, max %s); RSS "
           "%s KiB | RSS at 0 clients %s KiB | — | — | %s |\n",
           med(d100.server, 1).c_str(), fmt(minOf(d100.server), 1).c_str(),
           fmt(maxOf(d100.server), 1).c_str(), med(d100.extra).c_str(), med(rss0).c_str(),
           okCol(d100).c_str());
    printf("| (d) RSS per idle client, 1000 | ≤ 24 KiB | — | %s KiB/client (min %s, max %s); RSS "
           "%s KiB | RSS at 0 clients %s KiB | — | — | %s |\n",
           med(d1000.server, 1).c_str(), fmt(minOf(d1000.server), 1).c_str(),
           fmt(maxOf(d1000.server), 1).c_str(), med(d1000.extra).c_str(), med(rss0).c_str(),
           okCol(d1000).c_str());
    printf("| (d) RSS per idle client, 100 → 1000 | ≤ 24 KiB | — | %s KiB/client (min %s, max %s) "
           "| — | — | — | — |\n",
           med(marginal, 1).c_str(), fmt(minOf(marginal), 1).c_str(),
           fmt(maxOf(marginal), 1).c_str());
    printf("| (e) 1 MiB history to a new client | median ≤ 10 ms | %s | median %s ms (max %s ms) | "
           "plain TCP %s ms | %s ms/client | %s ms/client | %s |\n",
           triple(e.ratio).c_str(), med(e.server, 2).c_str(), med(e.extra, 2).c_str(),
           med(e.baseline, 2).c_str(), med(e.serverCpu, 2).c_str(), med(e.loadgenCpu, 2).c_str(),
           okCol(e).c_str());
    for (const Series *s : {&b1, &b10, &b100, &cIdle, &cFlood, &d1000, &e})
        if (!s->lastError.empty())
            printf("\nA failed run said: %s\n", s->lastError.c_str());
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    raiseFdLimit();
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const std::string command = argv[1];
    Options o;
    std::string commandLine = "cloud-console-bench-server";
    for (int i = 1; i < argc; ++i)
        commandLine += std::string(" ") + argv[i];
    int samples = -1;
    int floodClients = 0;
    long long bytes = -1;
    bool quick = false;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                fprintf(stderr, "bench: %s needs a value\n", a.c_str());
                exit(2);
            }
            return argv[++i];
        };
        if (a == "--server")
            o.server = value();
        else if (a == "--server-prefix")
            o.prefix = split(value(), ' ');
        else if (a == "--server-log")
            o.serverLog = value();
        else if (a == "--server-arg")
            o.serverArgs.push_back(value());
        else if (a == "--rounds")
            o.rounds = std::max(1, atoi(value().c_str()));
        else if (a == "--quick")
            quick = true;
        else if (a == "--clients")
            o.clients = std::max(1, atoi(value().c_str()));
        else if (a == "--bytes")
            bytes = atoll(value().c_str());
        else if (a == "--line-length")
            setPatternLineLength(atoi(value().c_str()));
        else if (a == "--flood-clients")
            floodClients = std::max(0, atoi(value().c_str()));
        else if (a == "--samples")
            samples = std::max(1, atoi(value().c_str()));
        else if (a == "--rss-clients") {
            o.rssClients.clear();
            for (const std::string &n : split(value(), ','))
                o.rssClients.push_back(atoi(n.c_str()));
        } else {
            fprintf(stderr, "bench: unknown argument %s\n", a.c_str());
            usage(stderr);
            return 2;
        }
    }
    if (quick) {
        o.ptyBytes = o.bytes1 = 16ull << 20;
        o.bytes10 = 8ull << 20;
        o.bytes100 = 2ull << 20;
        o.echoSamples = 500;
        o.floodSamples = 300;
        o.historySamples = 10;
    }
    if (bytes > 0)
        o.ptyBytes = uint64_t(bytes);
    if (samples > 0)
        o.echoSamples = o.floodSamples = o.historySamples = samples;
    if (!o.rssClients.empty() && o.rssClients.front() != 0) {
        fprintf(stderr, "bench: --rss-clients must start with 0\n");
        return 2;
    }
    const bool needsServer
        = command != "pty-throughput" && command != "pty-echo" && command != "tcp-history";
    if (needsServer && o.server.empty()) {
        fprintf(stderr, "bench: %s needs --server PATH\n", command.c_str());
        return 2;
    }

    Result r;
    if (command == "suite")
        return runSuite(o, commandLine);
    if (command == "pty-throughput")
        r = ptyThroughput(o);
    else if (command == "pty-echo")
        r = ptyEcho(o, o.echoSamples);
    else if (command == "tcp-history")
        r = tcpHistory(o);
    else if (command == "throughput")
        r = serverThroughput(o, o.clients, bytes > 0 ? uint64_t(bytes) : o.bytes1);
    else if (command == "echo")
        r = serverEcho(o, floodClients, floodClients ? o.floodSamples : o.echoSamples);
    else if (command == "history")
        r = serverHistory(o);
    else if (command == "rss")
        r = serverRss(o);
    else {
        fprintf(stderr, "bench: unknown command %s\n", command.c_str());
        usage(stderr);
        return 2;
    }
    printf("%s\n", r.line(command).c_str());
    return r.ok ? 0 : 1;
}
