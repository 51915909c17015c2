#pragma once

// One function per measurement of the server benchmark (tracker issue 2, "Benchmark"). Each
// runs once, bounded in time by the watchdog, and returns named figures.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace Bench {

struct Options
{
    std::string server; // path of the cloud-console binary
    std::vector<std::string> prefix; // e.g. valgrind --tool=callgrind, before the binary
    std::vector<std::string> serverArgs; // extra flags for every server run
    std::string serverLog; // the server's stderr is appended here (empty: inherited)
    int rounds = 5;
    uint64_t ptyBytes = 64ull << 20; // (a) bytes per baseline throughput run
    uint64_t bytes1 = 64ull << 20; // (b) bytes written per run, 1 client
    uint64_t bytes10 = 32ull << 20; // (b) 10 clients
    uint64_t bytes100 = 8ull << 20; // (b) 100 clients
    int clients = 1; // single throughput run
    int echoSamples = 2000; // (a)/(c) idle samples per run
    int floodSamples = 1000; // (c) samples under flood
    int floodClients = 10;
    int echoGapUs = 200; // pause between keystrokes
    int historySamples = 20; // (e) connections per run
    uint64_t historyBytes = 1ull << 20;
    std::vector<int> rssClients = {0, 100, 1000};
    int maxClients = 2000; // passed as --max-clients for (d)
};

struct Result
{
    bool ok = true;
    std::string error;
    std::map<std::string, double> v;

    double get(const std::string &key) const
    {
        const auto it = v.find(key);
        return it == v.end() ? -1 : it->second;
    }
    std::string line(const std::string &name) const;
};

Result ptyThroughput(const Options &o);
Result ptyEcho(const Options &o, int samples);
Result tcpHistory(const Options &o);
Result serverThroughput(const Options &o, int clients, uint64_t bytes);
Result serverEcho(const Options &o, int floodClients, int samples);
Result serverHistory(const Options &o);
Result serverRss(const Options &o);

} // namespace Bench
