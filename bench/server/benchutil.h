#pragma once

// Helpers for the server benchmarks: clocks, CPU and memory accounting, raw ptys, the server
// process under test, a watchdog that bounds every measurement, and small statistics.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace Bench {

int64_t nowNs(); // CLOCK_MONOTONIC
void sleepNs(int64_t ns);

// CPU time (user + system) of this whole process, all threads, from getrusage(RUSAGE_SELF).
int64_t selfCpuNs();
// CPU time of another process, all threads: the sum of /proc/PID/task/*/schedstat (ns precision).
int64_t procCpuNs(pid_t pid);
// VmRSS of a process in KiB, from /proc/PID/status; -1 if it cannot be read.
int64_t rssKiB(pid_t pid);

// Raises this process's soft RLIMIT_NOFILE to the hard limit (children inherit it).
void raiseFdLimit();
void setNonBlocking(int fd, bool on);

// A pty pair from openpty(), both ends in raw mode (cfmakeraw) and close-on-exec.
struct Pty
{
    int master = -1;
    int slave = -1;
    std::string slavePath;

    Pty() = default;
    Pty(const Pty &) = delete;
    Pty &operator=(const Pty &) = delete;
    ~Pty();
    bool open(std::string &error);
};

// The slave path of the pty opened last (for diagnostics), and a sentence naming the processes
// other than this one and those of process group `allowedGroup` that hold `path` open; empty when
// there are none. A stray server retrying a /dev/pts/N path that a new pty reuses would read the
// benchmark's data.
std::string currentPty();
std::string otherPtyHolders(const std::string &path, pid_t allowedGroup = -1);

// The printable pattern (0x20..0x7e) written into the console: it never contains EchoMarker nor
// the keys 0x80..0xff that the server echo test sends.
const std::vector<char> &pattern();
// Makes pattern() text lines of `length` printable bytes, each ended by CR LF, as a boot log is
// (what the server's alert rules and journal work on); 0, the default: one endless line. Called
// before the first pattern().
void setPatternLineLength(int length);
inline constexpr unsigned char EchoMarker = 0x01;

// Writes `total` bytes of pattern() to a non-blocking fd, polling when it is full, in chunks of
// up to 64 KiB. Stops early at `deadlineNs` or when *stop becomes true (total 0 = until stop).
// Returns the number of bytes written.
uint64_t pumpWrite(int fd, uint64_t total, const std::atomic<bool> *stop, int64_t deadlineNs);

// Echoes everything readable on fd back into fd until *stop; polls with a short timeout.
// Returns the number of bytes echoed.
uint64_t echoLoop(int fd, const std::atomic<bool> &stop);

// The cloud-console server under test.
class ServerProcess
{
public:
    ServerProcess() = default;
    ServerProcess(const ServerProcess &) = delete;
    ServerProcess &operator=(const ServerProcess &) = delete;
    ~ServerProcess() { stop(); }

    // Starts `prefix... binary args...`, waits (bounded) for the "serving console ... at
    // http://127.0.0.1:PORT/" line on its stdout and parses the port.
    // The server's stderr goes to stderrPath (appended) unless it is empty.
    bool start(const std::string &binary, const std::vector<std::string> &prefix,
               const std::vector<std::string> &args, const std::string &stderrPath,
               std::string &error);
    // SIGTERM, then SIGKILL after a bounded wait.
    void stop();

    pid_t pid() const { return m_pid; }
    int port() const { return m_port; }

private:
    pid_t m_pid = -1;
    int m_port = -1;
    int m_stdout = -1;
    std::thread m_drain;
};

// Bounds a whole measurement: if it is not disarmed within `seconds`, the watchdog kills the
// server under test and exits the benchmark with status 3.
void armWatchdog(int seconds, const char *what, pid_t serverPid = -1);
void setWatchdogServer(pid_t serverPid);
void disarmWatchdog();

// Statistics over a copy of the values; nearest-rank percentile, p in [0, 100].
double percentile(std::vector<double> values, double p);
inline double median(const std::vector<double> &values)
{
    return percentile(values, 50);
}
double minOf(const std::vector<double> &values);
double maxOf(const std::vector<double> &values);

} // namespace Bench
