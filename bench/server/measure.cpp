#include "measure.h"

#include "benchutil.h"
#include "wsload.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <thread>

namespace Bench {

namespace {

constexpr int64_t Second = 1000000000;
constexpr int64_t Milli = 1000000;

double mbPerSec(uint64_t bytes, int64_t ns)
{
    return ns > 0 ? double(bytes) * 1e3 / double(ns) : 0;
}
double pct(int64_t cpuNs, int64_t wallNs)
{
    return wallNs > 0 ? 100.0 * double(cpuNs) / double(wallNs) : 0;
}

Result failure(const std::string &why)
{
    Result r;
    r.ok = false;
    r.error = why;
    return r;
}

// Disarms the watchdog when a measurement returns, whichever way.
struct WatchdogScope
{
    WatchdogScope(int seconds, const char *what) { armWatchdog(seconds, what); }
    ~WatchdogScope() { disarmWatchdog(); }
};

// Opens a raw pty and starts the server on its slave: cloud-console <slave> 127.0.0.1 0.
bool startServer(const Options &o, Pty &pty, ServerProcess &server,
                 const std::vector<std::string> &extra, std::string &error)
{
    if (!pty.open(error))
        return false;
    setNonBlocking(pty.master, true);
    // No lifecycle markers: the figures count the guest's bytes, and (e) wants exactly its history.
    std::vector<std::string> args {"--no-markers", pty.slavePath, "127.0.0.1", "0"};
    args.insert(args.end(), o.serverArgs.begin(), o.serverArgs.end());
    args.insert(args.end(), extra.begin(), extra.end());
    if (!server.start(o.server, o.prefix, args, o.serverLog, error))
        return false;
    // Wait for the server to open the pty, then make sure that nobody else reads it.
    sleepNs(50 * Milli);
    const std::string others = otherPtyHolders(pty.slavePath, server.pid());
    if (!others.empty()) {
        error = others;
        return false;
    }
    return true;
}

// Latency statistics in microseconds.
void latencyFigures(Result &r, const std::vector<double> &us)
{
    r.v["p50_us"] = percentile(us, 50);
    r.v["p90_us"] = percentile(us, 90);
    r.v["p99_us"] = percentile(us, 99);
    r.v["max_us"] = maxOf(us);
    r.v["samples"] = double(us.size());
}

} // namespace

std::string Result::line(const std::string &name) const
{
    std::string s = name + (ok ? "" : " FAILED");
    char buf[96];
    for (const auto &[key, value] : v) {
        snprintf(buf, sizeof buf, " %s=%.6g", key.c_str(), value);
        s += buf;
    }
    if (!ok)
        s += " error=\"" + error + "\"";
    return s;
}

// (a) Raw pty throughput: a writer on the master, a blocking reader on the slave, no server.
Result ptyThroughput(const Options &o)
{
    WatchdogScope watchdog(120, "pty throughput");
    Pty pty;
    std::string error;
    if (!pty.open(error))
        return failure(error);
    setNonBlocking(pty.master, true);
    const uint64_t bytes = o.ptyBytes;
    uint64_t got = 0;
    int64_t tEnd = 0;
    std::thread reader([&] {
        std::vector<char> buf(64 * 1024);
        while (got < bytes) {
            const ssize_t n = ::read(pty.slave, buf.data(), buf.size());
            if (n > 0)
                got += uint64_t(n);
            else if (!(n < 0 && errno == EINTR))
                break;
        }
        tEnd = nowNs();
    });
    const int64_t cpu0 = selfCpuNs();
    const int64_t t0 = nowNs();
    const uint64_t written = pumpWrite(pty.master, bytes, nullptr, t0 + 60 * Second);
    reader.join();
    const int64_t cpu1 = selfCpuNs();
    Result r;
    if (written != bytes || got != bytes)
        return failure("pty throughput: wrote " + std::to_string(written) + ", read "
                       + std::to_string(got));
    r.v["mbps"] = mbPerSec(bytes, tEnd - t0);
    r.v["bytes"] = double(bytes);
    r.v["wall_ms"] = double(tEnd - t0) / Milli;
    r.v["loadgen_cpu_pct"] = pct(cpu1 - cpu0, tEnd - t0);
    return r;
}

// (a) Bare pty echo: 1 byte written on the master, a thread on the slave echoes it back.
Result ptyEcho(const Options &o, int samples)
{
    WatchdogScope watchdog(120, "pty echo");
    Pty pty;
    std::string error;
    if (!pty.open(error))
        return failure(error);
    setNonBlocking(pty.master, true);
    setNonBlocking(pty.slave, true);
    std::atomic<bool> stop {false};
    std::thread echo([&] { echoLoop(pty.slave, stop); });
    std::vector<double> us;
    int lost = 0;
    const int warmup = 50;
    const int64_t cpu0 = selfCpuNs();
    const int64_t t0 = nowNs();
    for (int i = 0; i < warmup + samples; ++i) {
        const char c = char(EchoMarker);
        const int64_t start = nowNs();
        bool ok = ::write(pty.master, &c, 1) == 1;
        char back = 0;
        while (ok) {
            pollfd pfd {pty.master, POLLIN, 0};
            if (poll(&pfd, 1, 1000) <= 0) {
                ok = false;
                break;
            }
            const ssize_t n = ::read(pty.master, &back, 1);
            if (n == 1)
                break;
            if (!(n < 0 && (errno == EAGAIN || errno == EINTR)))
                ok = false;
        }
        const int64_t end = nowNs();
        if (!ok)
            ++lost;
        else if (i >= warmup)
            us.push_back(double(end - start) / 1000);
        sleepNs(int64_t(o.echoGapUs) * 1000);
    }
    const int64_t wall = nowNs() - t0;
    const int64_t cpu = selfCpuNs() - cpu0;
    stop = true;
    echo.join();
    Result r;
    latencyFigures(r, us);
    r.v["lost"] = lost;
    r.v["loadgen_cpu_pct"] = pct(cpu, wall);
    if (us.empty())
        return failure("pty echo: no sample came back");
    return r;
}

// Baseline for (e): connect to a plain TCP listener on 127.0.0.1 that writes historyBytes and
// closes; time connect -> last byte.
Result tcpHistory(const Options &o)
{
    WatchdogScope watchdog(120, "tcp history baseline");
    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listener < 0 || bind(listener, reinterpret_cast<sockaddr *>(&addr), len) != 0
        || listen(listener, 16) != 0
        || getsockname(listener, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
        if (listener >= 0)
            ::close(listener);
        return failure(std::string("tcp listener: ") + strerror(errno));
    }
    const int warmup = 2;
    const int total = warmup + o.historySamples;
    const std::vector<char> payload = [&] {
        std::vector<char> v(o.historyBytes);
        const std::vector<char> &p = pattern();
        for (size_t i = 0; i < v.size(); ++i)
            v[i] = p[i % p.size()];
        return v;
    }();
    std::atomic<bool> stop {false};
    std::thread server([&] {
        for (int i = 0; i < total && !stop; ++i) {
            pollfd pfd {listener, POLLIN, 0};
            if (poll(&pfd, 1, 5000) <= 0)
                break;
            const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0)
                continue;
            size_t sent = 0;
            while (sent < payload.size()) {
                const ssize_t n
                    = send(fd, payload.data() + sent, payload.size() - sent, MSG_NOSIGNAL);
                if (n <= 0 && errno != EINTR)
                    break;
                if (n > 0)
                    sent += size_t(n);
            }
            ::close(fd);
        }
    });
    std::vector<double> ms;
    std::vector<char> buf(512 * 1024);
    for (int i = 0; i < total; ++i) {
        const int64_t start = nowNs();
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
            if (fd >= 0)
                ::close(fd);
            break;
        }
        uint64_t got = 0;
        while (got < o.historyBytes) {
            const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
            if (n <= 0 && errno != EINTR)
                break;
            if (n > 0)
                got += uint64_t(n);
        }
        const int64_t end = nowNs();
        ::close(fd);
        if (got == o.historyBytes && i >= warmup)
            ms.push_back(double(end - start) / Milli);
    }
    stop = true;
    server.join();
    ::close(listener);
    if (ms.empty())
        return failure("tcp history: no complete transfer");
    Result r;
    r.v["median_ms"] = median(ms);
    r.v["min_ms"] = minOf(ms);
    r.v["max_ms"] = maxOf(ms);
    r.v["samples"] = double(ms.size());
    return r;
}

// (b) Throughput through the server: `clients` v1 clients on /ws, then `bytes` written on the
// pty master; per-client MB/s = bytes / (time of its last byte - time of the first write).
Result serverThroughput(const Options &o, int clients, uint64_t bytes)
{
    WatchdogScope watchdog(180, "server throughput");
    Pty pty;
    ServerProcess server;
    std::string error;
    if (!startServer(o, pty, server, {}, error))
        return failure(error);
    WsLoad load(server.port(), "/ws", true);
    const size_t ready = load.addMany(size_t(clients), bytes, 64, nowNs() + 30 * Second);
    if (ready != size_t(clients))
        return failure("only " + std::to_string(ready) + " of " + std::to_string(clients)
                       + " clients connected: " + load.conn(0).error);

    const int64_t scpu0 = procCpuNs(server.pid());
    const int64_t lcpu0 = selfCpuNs();
    const int64_t t0 = nowNs();
    const int64_t deadline = t0 + 120 * Second;
    std::atomic<bool> stop {false};
    uint64_t written = 0;
    int64_t tWritten = 0;
    std::thread writer([&] {
        written = pumpWrite(pty.master, bytes, &stop, deadline);
        tWritten = nowNs();
    });
    // Until every client has the whole stream (or a gap in its place), or nothing moved for 5 s.
    uint64_t lastProgress = 0;
    int64_t tProgress = t0;
    bool stalled = false;
    load.runUntil(
        [&] {
            bool all = true;
            uint64_t progress = 0;
            for (size_t i = 0; i < load.size(); ++i) {
                const WsConn &c = load.conn(i);
                progress += c.binBytes + c.gapBytes;
                all = all && (c.tDone || c.finished());
            }
            const int64_t now = nowNs();
            if (progress != lastProgress) {
                lastProgress = progress;
                tProgress = now;
            }
            stalled = !all && now - tProgress > 5 * Second;
            return all || stalled;
        },
        deadline);
    const int64_t t1 = nowNs();
    stop = true;
    writer.join();
    const int64_t scpu = procCpuNs(server.pid()) - scpu0;
    const int64_t lcpu = selfCpuNs() - lcpu0;

    std::vector<double> mbps;
    int incomplete = 0;
    int clientsWithGaps = 0;
    uint64_t gaps = 0;
    uint64_t gapBytes = 0;
    uint64_t received = 0;
    int64_t lastDone = 0;
    std::string why;
    for (size_t i = 0; i < load.size(); ++i) {
        const WsConn &c = load.conn(i);
        gaps += c.gaps;
        gapBytes += c.gapBytes;
        received += c.binBytes;
        clientsWithGaps += c.gaps ? 1 : 0;
        if (!c.tDone || (c.gaps && why.empty()))
            why = "client " + std::to_string(i) + " got " + std::to_string(c.binBytes)
                + " bytes, stream position " + std::to_string(c.binBytes + c.gapBytes) + ", gaps "
                + std::to_string(c.gaps) + ", last text " + c.lastText
                + (c.error.empty() ? "" : ", " + c.error);
        if (!c.tDone) {
            ++incomplete;
            continue;
        }
        lastDone = std::max(lastDone, c.tDone);
        // Goodput: the bytes this client received (a gap's bytes are lost, not counted).
        mbps.push_back(mbPerSec(c.binBytes, c.tDone - t0));
    }
    Result r;
    r.v["clients"] = clients;
    r.v["bytes"] = double(bytes);
    r.v["worst_mbps"] = mbps.empty() ? 0 : minOf(mbps);
    r.v["median_mbps"] = mbps.empty() ? 0 : median(mbps);
    r.v["best_mbps"] = mbps.empty() ? 0 : maxOf(mbps);
    r.v["aggregate_mbps"] = mbPerSec(received, lastDone - t0);
    r.v["writer_mbps"] = mbPerSec(written, tWritten - t0);
    r.v["wall_ms"] = double(t1 - t0) / Milli;
    r.v["server_cpu_pct"] = pct(scpu, t1 - t0);
    // The server's CPU time per MB written: what a feature costs for the same work.
    r.v["server_cpu_ms_per_mb"] = written ? double(scpu) / Milli / (double(written) / 1e6) : 0;
    r.v["loadgen_cpu_pct"] = pct(lcpu, t1 - t0);
    r.v["gaps"] = double(gaps);
    r.v["gap_bytes"] = double(gapBytes);
    r.v["clients_with_gaps"] = clientsWithGaps;
    r.v["incomplete"] = incomplete;
    r.v["written"] = double(written);
    r.v["stalled"] = stalled;
    if (incomplete) {
        r.ok = false;
        r.error = std::to_string(incomplete) + " clients incomplete" + (stalled ? ", stalled" : "")
            + " (" + why + ")";
    } else if (gaps) {
        r.ok = false;
        r.error = std::to_string(clientsWithGaps) + " clients lost bytes in gaps ("
            + std::to_string(gapBytes) + " bytes in all; " + why + ")";
    }
    return r;
}

// (c) Keystroke echo through the server: a v1 client sends 1 byte as a binary frame, a thread on
// the pty master echoes it, the client waits for it in its output. With floodClients > 0, a
// writer floods the same console at full speed and that many other clients read the flood.
Result serverEcho(const Options &o, int floodClients, int samples)
{
    WatchdogScope watchdog(180, floodClients ? "server echo (flood)" : "server echo (idle)");
    Pty pty;
    ServerProcess server;
    std::string error;
    if (!startServer(o, pty, server, {}, error))
        return failure(error);
    const int64_t deadline = nowNs() + 150 * Second;

    WsLoad flood(server.port(), "/ws", true);
    if (floodClients > 0
        && flood.addMany(size_t(floodClients), UINT64_MAX, 64, nowNs() + 30 * Second)
            != size_t(floodClients))
        return failure("flood clients did not connect: " + flood.conn(0).error);
    WsLoad echoLoad(server.port(), "/ws", true);
    if (echoLoad.addMany(1, UINT64_MAX, 1, nowNs() + 30 * Second) != 1)
        return failure("echo client did not connect: " + echoLoad.conn(0).error);
    WsConn &echoConn = echoLoad.conn(0);

    std::atomic<bool> stopEcho {false};
    std::thread ptyEchoThread([&] { echoLoop(pty.master, stopEcho); });
    std::atomic<bool> stopFlood {false};
    std::thread floodWriter;
    if (floodClients > 0)
        floodWriter = std::thread([&] { pumpWrite(pty.master, 0, &stopFlood, deadline); });

    std::atomic<bool> echoDone {false};
    std::atomic<bool> measuring {false};
    std::vector<double> us;
    int lost = 0;
    int64_t scpu0 = 0, lcpu0 = 0, t0 = 0, t1 = 0;
    uint64_t floodBytes0 = 0;
    auto floodBytes = [&] {
        uint64_t n = 0;
        for (size_t i = 0; i < flood.size(); ++i)
            n += flood.conn(i).binBytes;
        return n;
    };
    std::thread client([&] {
        if (floodClients > 0)
            echoLoad.runUntil([] { return false; }, nowNs() + 300 * Milli); // flood steady
        const int warmup = 20;
        // At most 30 s of keystrokes: a server that loses them must not stall the suite.
        const int64_t stopAt = std::min(deadline, nowNs() + 30 * Second);
        for (int i = 0; i < warmup + samples && nowNs() < stopAt; ++i) {
            if (i == warmup) {
                scpu0 = procCpuNs(server.pid());
                lcpu0 = selfCpuNs();
                t0 = nowNs();
                measuring = true;
            }
            // A different key each time (0x80..0xff, never in the flood's printable pattern),
            // so that a late echo is not taken for the next one.
            const unsigned char key = uint8_t(0x80 + i % 128);
            echoConn.marker = key;
            echoConn.markerSeen = false;
            const int64_t start = nowNs();
            if (!echoLoad.sendBinary(0, &key, 1)) {
                ++lost;
                break;
            }
            if (echoLoad.runUntil([&] { return echoConn.markerSeen || echoConn.finished(); },
                                  start + Second)
                && echoConn.markerSeen) {
                if (i >= warmup)
                    us.push_back(double(echoConn.tMarker - start) / 1000);
            } else if (i >= warmup) {
                // A keystroke whose echo never came (lost in a gap, or over 1 s late) counts as
                // 1 s in the percentiles, and in `lost`.
                ++lost;
                us.push_back(1e6);
                if (echoConn.finished())
                    break;
            }
            // Pause between keystrokes, as the bare pty echo does; under a flood keep reading it
            // meanwhile (epoll's timeout is in ms, so the pause is longer there).
            if (floodClients > 0)
                echoLoad.runUntil([] { return false; }, nowNs() + int64_t(o.echoGapUs) * 1000);
            else
                sleepNs(int64_t(o.echoGapUs) * 1000);
        }
        t1 = nowNs();
        echoDone = true;
    });
    bool marked = false;
    if (floodClients > 0)
        flood.runUntil(
            [&] {
                if (!marked && measuring) {
                    floodBytes0 = floodBytes(); // the flood clients belong to this thread
                    marked = true;
                }
                return echoDone.load();
            },
            deadline + 5 * Second);
    client.join();
    const int64_t scpu = procCpuNs(server.pid()) - scpu0;
    const int64_t lcpu = selfCpuNs() - lcpu0;
    const uint64_t floodTotal = floodBytes() - floodBytes0;
    stopFlood = true;
    if (floodWriter.joinable())
        floodWriter.join();
    stopEcho = true;
    ptyEchoThread.join();

    Result r;
    latencyFigures(r, us);
    r.v["lost"] = lost;
    r.v["flood_clients"] = floodClients;
    r.v["server_cpu_pct"] = pct(scpu, t1 - t0);
    r.v["loadgen_cpu_pct"] = pct(lcpu, t1 - t0);
    if (floodClients > 0) {
        uint64_t gaps = echoConn.gaps;
        for (size_t i = 0; i < flood.size(); ++i)
            gaps += flood.conn(i).gaps;
        r.v["flood_mbps_per_client"] = mbPerSec(floodTotal / uint64_t(floodClients), t1 - t0);
        r.v["gaps"] = double(gaps);
    }
    if (us.empty())
        return failure("server echo: no keystroke came back (" + echoConn.error + ")");
    return r;
}

// (e) History replay: fill the history with historyBytes, then time connect -> last history
// byte for new v1 clients, one at a time.
Result serverHistory(const Options &o)
{
    WatchdogScope watchdog(120, "server history");
    Pty pty;
    ServerProcess server;
    std::string error;
    if (!startServer(o, pty, server, {}, error))
        return failure(error);
    {
        WsLoad probe(server.port(), "/ws", true);
        if (probe.addMany(1, o.historyBytes, 1, nowNs() + 30 * Second) != 1)
            return failure("probe client did not connect: " + probe.conn(0).error);
        pumpWrite(pty.master, o.historyBytes, nullptr, nowNs() + 30 * Second);
        if (!probe.runUntil([&] { return probe.conn(0).tDone != 0; }, nowNs() + 30 * Second))
            return failure("the probe client did not receive what was written");
    }
    const int warmup = 2;
    std::vector<double> ms;
    WsLoad load(server.port(), "/ws", true);
    std::string why;
    int64_t helloOffset = -1, historyEnd = -1;
    const int64_t lcpu0 = selfCpuNs();
    const int64_t scpu0 = procCpuNs(server.pid());
    const int64_t t0 = nowNs();
    int64_t busy = 0;
    for (int i = 0; i < warmup + o.historySamples; ++i) {
        const size_t index = load.add(o.historyBytes);
        WsConn &c = load.conn(index);
        load.runUntil([&] { return c.tDone != 0 || c.finished(); }, nowNs() + 5 * Second);
        if (c.tDone && i >= warmup) {
            ms.push_back(double(c.tDone - c.tStart) / Milli);
            busy += c.tDone - c.tStart;
        } else if (!c.tDone && why.empty()) {
            why = "got " + std::to_string(c.binBytes) + " bytes: " + c.error;
        }
        helloOffset = c.helloOffset;
        historyEnd = c.historyEnd;
        load.close(index);
        sleepNs(5 * Milli); // let the server tidy up the previous client
    }
    const int64_t wall = nowNs() - t0;
    Result r;
    if (ms.empty())
        return failure("no client received the history: " + why);
    r.v["median_ms"] = median(ms);
    r.v["min_ms"] = minOf(ms);
    r.v["max_ms"] = maxOf(ms);
    r.v["samples"] = double(ms.size());
    r.v["hello_offset"] = double(helloOffset);
    r.v["history_end"] = double(historyEnd);
    // CPU over the whole loop (including the 5 ms pauses), as a share of the time spent in
    // transfers.
    r.v["server_cpu_ms_per_client"]
        = double(procCpuNs(server.pid()) - scpu0) / Milli / double(warmup + o.historySamples);
    r.v["loadgen_cpu_ms_per_client"]
        = double(selfCpuNs() - lcpu0) / Milli / double(warmup + o.historySamples);
    r.v["wall_ms"] = double(wall) / Milli;
    (void)busy;
    return r;
}

// (d) Server RSS with 0, 100, 1000 idle v1 clients (clients connected, hello received, nothing
// sent either way).
Result serverRss(const Options &o)
{
    WatchdogScope watchdog(180, "server rss");
    Pty pty;
    ServerProcess server;
    std::string error;
    if (!startServer(o, pty, server, {"--max-clients", std::to_string(o.maxClients)}, error))
        return failure(error);
    WsLoad load(server.port(), "/ws", true);
    Result r;
    auto settle = [&] {
        load.runUntil([] { return false; }, nowNs() + 500 * Milli);
        return rssKiB(server.pid());
    };
    int64_t rss0 = -1;
    for (int n : o.rssClients) {
        if (size_t(n) > load.size()) {
            const size_t want = size_t(n) - load.size();
            const size_t got = load.addMany(want, UINT64_MAX, 64, nowNs() + 60 * Second);
            if (got != want)
                return failure("only " + std::to_string(got) + " of " + std::to_string(want)
                               + " more clients connected: " + load.conn(load.size() - 1).error);
        }
        const int64_t rss = settle();
        if (rss0 < 0)
            rss0 = rss;
        r.v["rss_kib_" + std::to_string(n)] = double(rss);
        if (n > 0)
            r.v["kib_per_client_" + std::to_string(n)] = double(rss - rss0) / n;
    }
    // Marginal cost between the last two counts (one-time growth at the first clients excluded).
    if (o.rssClients.size() >= 3) {
        const int a = o.rssClients[o.rssClients.size() - 2];
        const int b = o.rssClients.back();
        if (b > a)
            r.v["marginal_kib_per_client"]
                = (r.v["rss_kib_" + std::to_string(b)] - r.v["rss_kib_" + std::to_string(a)])
                / (b - a);
    }
    r.v["server_cpu_ms"] = double(procCpuNs(server.pid())) / Milli;
    return r;
}

} // namespace Bench
