#include "benchutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace Bench {

int64_t nowNs()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void sleepNs(int64_t ns)
{
    if (ns <= 0)
        return;
    timespec ts {time_t(ns / 1000000000), long(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) { }
}

int64_t selfCpuNs()
{
    rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    auto ns = [](const timeval &tv) { return int64_t(tv.tv_sec) * 1000000000 + tv.tv_usec * 1000; };
    return ns(ru.ru_utime) + ns(ru.ru_stime);
}

int64_t procCpuNs(pid_t pid)
{
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR *d = opendir(dir.c_str());
    if (!d)
        return -1;
    int64_t total = 0;
    int entries = 0;
    while (dirent *e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        if (++entries > 4096)
            break;
        const std::string path = dir + "/" + e->d_name + "/schedstat";
        if (FILE *f = fopen(path.c_str(), "r")) {
            long long runNs = 0;
            if (fscanf(f, "%lld", &runNs) == 1)
                total += runNs;
            fclose(f);
        }
    }
    closedir(d);
    return total;
}

int64_t rssKiB(pid_t pid)
{
    const std::string path = "/proc/" + std::to_string(pid) + "/status";
    FILE *f = fopen(path.c_str(), "r");
    if (!f)
        return -1;
    char line[256];
    int64_t kib = -1;
    while (fgets(line, sizeof line, f)) {
        long long v = 0;
        if (sscanf(line, "VmRSS: %lld kB", &v) == 1) {
            kib = v;
            break;
        }
    }
    fclose(f);
    return kib;
}

void raiseFdLimit()
{
    rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

void setNonBlocking(int fd, bool on)
{
    const int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

namespace {
std::mutex g_ptyMutex;
std::string g_currentPty;
} // namespace

std::string currentPty()
{
    std::lock_guard<std::mutex> lock(g_ptyMutex);
    return g_currentPty;
}

std::string otherPtyHolders(const std::string &path, pid_t allowedGroup)
{
    if (path.empty())
        return {};
    std::string found;
    DIR *proc = opendir("/proc");
    if (!proc)
        return {};
    const pid_t self = getpid();
    int processes = 0;
    while (dirent *p = readdir(proc)) {
        const pid_t pid = pid_t(atoi(p->d_name));
        if (pid <= 0 || pid == self || ++processes > 100000)
            continue;
        if (allowedGroup > 0 && (pid == allowedGroup || getpgid(pid) == allowedGroup))
            continue;
        const std::string fdDir = std::string("/proc/") + p->d_name + "/fd";
        DIR *fds = opendir(fdDir.c_str());
        if (!fds)
            continue;
        int entries = 0;
        while (dirent *f = readdir(fds)) {
            if (f->d_name[0] == '.' || ++entries > 100000)
                continue;
            char target[256];
            const ssize_t n
                = readlink((fdDir + "/" + f->d_name).c_str(), target, sizeof target - 1);
            if (n > 0 && std::string(target, size_t(n)) == path) {
                std::string cmd;
                if (FILE *c
                    = fopen((std::string("/proc/") + p->d_name + "/cmdline").c_str(), "r")) {
                    char buf[200] = {};
                    const size_t len = fread(buf, 1, sizeof buf - 1, c);
                    for (size_t i = 0; i < len; ++i)
                        cmd += buf[i] ? buf[i] : ' ';
                    fclose(c);
                }
                found += (found.empty() ? "" : "; ") + std::string("pid ") + p->d_name + " (" + cmd
                    + ")";
                break;
            }
        }
        closedir(fds);
    }
    closedir(proc);
    if (found.empty())
        return {};
    return "another process holds " + path + " open and may read this benchmark's data: " + found;
}

Pty::~Pty()
{
    {
        std::lock_guard<std::mutex> lock(g_ptyMutex);
        if (g_currentPty == slavePath)
            g_currentPty.clear();
    }
    if (master >= 0)
        ::close(master);
    if (slave >= 0)
        ::close(slave);
}

bool Pty::open(std::string &error)
{
    char name[128] = {};
    if (openpty(&master, &slave, name, nullptr, nullptr) != 0) {
        error = std::string("openpty: ") + strerror(errno);
        return false;
    }
    slavePath = name;
    {
        std::lock_guard<std::mutex> lock(g_ptyMutex);
        g_currentPty = slavePath;
    }
    for (int fd : {master, slave}) {
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        termios t;
        if (tcgetattr(fd, &t) == 0) {
            cfmakeraw(&t);
            t.c_cc[VMIN] = 1;
            t.c_cc[VTIME] = 0;
            tcsetattr(fd, TCSANOW, &t);
        }
    }
    return true;
}

namespace {
int g_lineLength = 0;
}

void setPatternLineLength(int length)
{
    g_lineLength = std::max(0, length);
}

const std::vector<char> &pattern()
{
    static const std::vector<char> p = [] {
        // 64 KiB of printable bytes with a period that is not a power of two, so that frame
        // boundaries do not line up with it.
        std::vector<char> v(64 * 1024);
        for (size_t i = 0; i < v.size(); ++i)
            v[i] = char(0x20 + i % 95);
        if (g_lineLength > 0) {
            const size_t period = size_t(g_lineLength) + 2;
            for (size_t i = 0; i < v.size(); ++i) {
                if (i % period == period - 2)
                    v[i] = '\r';
                else if (i % period == period - 1)
                    v[i] = '\n';
            }
        }
        return v;
    }();
    return p;
}

uint64_t pumpWrite(int fd, uint64_t total, const std::atomic<bool> *stop, int64_t deadlineNs)
{
    const std::vector<char> &p = pattern();
    uint64_t written = 0;
    size_t pos = 0;
    while (total == 0 || written < total) {
        if (stop && stop->load(std::memory_order_relaxed))
            break;
        size_t chunk = p.size() - pos;
        if (total != 0 && chunk > total - written)
            chunk = size_t(total - written);
        const ssize_t n = ::write(fd, p.data() + pos, chunk);
        if (n > 0) {
            written += uint64_t(n);
            pos = (pos + size_t(n)) % p.size();
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN)
            break;
        if (nowNs() > deadlineNs)
            break;
        pollfd pfd {fd, POLLOUT, 0};
        poll(&pfd, 1, 50);
    }
    return written;
}

uint64_t echoLoop(int fd, const std::atomic<bool> &stop)
{
    char buf[64 * 1024];
    uint64_t echoed = 0;
    while (!stop.load(std::memory_order_relaxed)) {
        pollfd pfd {fd, POLLIN, 0};
        const int r = poll(&pfd, 1, 20);
        if (r <= 0)
            continue;
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            break;
        }
        ssize_t done = 0;
        int spins = 0;
        while (done < n && !stop.load(std::memory_order_relaxed) && spins < 100000) {
            const ssize_t w = ::write(fd, buf + done, size_t(n - done));
            if (w > 0) {
                done += w;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                return echoed;
            } else {
                ++spins;
                pollfd out {fd, POLLOUT, 0};
                poll(&out, 1, 20);
            }
        }
        echoed += uint64_t(done);
    }
    return echoed;
}

// --- server process ----------------------------------------------------------------------------

bool ServerProcess::start(const std::string &binary, const std::vector<std::string> &prefix,
                          const std::vector<std::string> &args, const std::string &stderrPath,
                          std::string &error)
{
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
        error = std::string("pipe: ") + strerror(errno);
        return false;
    }
    std::vector<std::string> argv = prefix;
    argv.push_back(binary);
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char *> cargv;
    for (std::string &a : argv)
        cargv.push_back(a.data());
    cargv.push_back(nullptr);

    const pid_t pid = fork();
    if (pid < 0) {
        error = std::string("fork: ") + strerror(errno);
        ::close(out[0]);
        ::close(out[1]);
        return false;
    }
    if (pid == 0) {
        // Its own process group, so that stop() also ends a wrapper's child (strace, perf).
        setpgid(0, 0);
        dup2(out[1], STDOUT_FILENO);
        if (!stderrPath.empty()) {
            const int log = ::open(stderrPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (log >= 0)
                dup2(log, STDERR_FILENO);
        }
        execvp(cargv[0], cargv.data());
        fprintf(stderr, "exec %s: %s\n", cargv[0], strerror(errno));
        _exit(127);
    }
    ::close(out[1]);
    setpgid(pid, pid); // as the child does: whichever runs first
    m_pid = pid;
    m_stdout = out[0];
    setWatchdogServer(pid);

    // Read stdout (bounded in time and size) until the line that names the port.
    std::string text;
    const int64_t deadline = nowNs() + 30LL * 1000000000;
    const std::string key = "http://127.0.0.1:";
    while (nowNs() < deadline && text.size() < 65536) {
        pollfd pfd {m_stdout, POLLIN, 0};
        if (poll(&pfd, 1, 100) > 0) {
            char buf[4096];
            const ssize_t n = ::read(m_stdout, buf, sizeof buf);
            if (n <= 0)
                break;
            text.append(buf, size_t(n));
            const size_t at = text.find(key);
            if (at != std::string::npos) {
                const size_t digits = at + key.size();
                size_t end = digits;
                while (end < text.size() && isdigit((unsigned char)text[end]))
                    ++end;
                if (end < text.size() && end > digits) {
                    m_port = atoi(text.c_str() + digits);
                    break;
                }
            }
        }
        int status = 0;
        if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            error = "server exited early (status " + std::to_string(status) + "): " + text;
            return false;
        }
    }
    if (m_port <= 0) {
        error = "no port line from the server within 30 s; stdout was: " + text;
        stop();
        return false;
    }
    // Keep draining stdout so that the server can never block on it.
    const int fd = m_stdout;
    m_drain = std::thread([fd] {
        char buf[4096];
        for (int i = 0; i < 1000000; ++i) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno != EINTR))
                break;
        }
    });
    return true;
}

void ServerProcess::stop()
{
    if (m_pid > 0) {
        kill(-m_pid, SIGTERM); // the group: the server, or a wrapper and the server under it
        // Wait (bounded) for it to exit without reaping it, so that the group id stays ours
        // while the rest of the group is killed.
        for (int i = 0; i < 500; ++i) { // 5 s
            siginfo_t info {};
            if (waitid(P_PID, id_t(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0
                && info.si_pid == m_pid)
                break;
            sleepNs(10000000);
        }
        kill(-m_pid, SIGKILL); // whatever is left of the group, e.g. a wrapper's child
        int status = 0;
        waitpid(m_pid, &status, 0);
        m_pid = -1;
        setWatchdogServer(-1);
    }
    if (m_drain.joinable())
        m_drain.join();
    if (m_stdout >= 0) {
        ::close(m_stdout);
        m_stdout = -1;
    }
    m_port = -1;
}

// --- watchdog ----------------------------------------------------------------------------------

namespace {
std::atomic<int64_t> g_deadline {0};
std::atomic<pid_t> g_server {-1};
std::atomic<const char *> g_what {""};
std::once_flag g_watchdogStarted;
} // namespace

void setWatchdogServer(pid_t serverPid)
{
    g_server = serverPid;
}

void armWatchdog(int seconds, const char *what, pid_t serverPid)
{
    g_what = what;
    if (serverPid > 0)
        g_server = serverPid;
    g_deadline = nowNs() + int64_t(seconds) * 1000000000;
    std::call_once(g_watchdogStarted, [] {
        std::thread([] {
            for (;;) {
                sleepNs(100000000);
                const int64_t d = g_deadline.load();
                if (d != 0 && nowNs() > d) {
                    fprintf(stderr, "bench: watchdog: '%s' did not finish in time, giving up\n",
                            g_what.load());
                    const std::string others = otherPtyHolders(currentPty());
                    if (!others.empty())
                        fprintf(stderr, "bench: %s\n", others.c_str());
                    const pid_t s = g_server.load();
                    if (s > 0)
                        kill(-s, SIGKILL);
                    _exit(3);
                }
            }
        }).detach();
    });
}

void disarmWatchdog()
{
    g_deadline = 0;
}

// --- statistics --------------------------------------------------------------------------------

double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return NAN;
    std::sort(values.begin(), values.end());
    if (p == 50) {
        const size_t n = values.size();
        return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
    size_t rank = size_t(std::ceil(p / 100.0 * double(values.size())));
    rank = std::clamp<size_t>(rank, 1, values.size());
    return values[rank - 1];
}

double minOf(const std::vector<double> &values)
{
    return values.empty() ? NAN : *std::min_element(values.begin(), values.end());
}

double maxOf(const std::vector<double> &values)
{
    return values.empty() ? NAN : *std::max_element(values.begin(), values.end());
}

} // namespace Bench
