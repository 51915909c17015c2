// A stand-in for a guest that cannot keep up with its console, run as an exec: console's program
// (its stdin is the console's pty):
//
//   uartsink fifo OUT BYTES RATE
//       a guest that takes RATE bytes a second with a FIFO of BYTES, polled every 10 ms: it
//       keeps what arrived up to BYTES plus RATE for the time since its last poll, and drops the
//       rest, as firmware that polls a 16550 does; what it kept goes to OUT. (The time is the
//       time that passed, so a test machine that stalls this program costs it nothing.)
//   uartsink lines OUT DELAY_MS
//       a line-at-a-time reader (a shell on a slow guest): it reads a line (up to CR), notes in
//       OUT how many bytes were already waiting behind it, waits DELAY_MS, then echoes the line
//       and CR LF
//
// Both put the pty in raw mode without echo, so that only what they write reaches the console.

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

void makeRaw()
{
    termios tio {};
    if (tcgetattr(0, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(0, TCSANOW, &tio);
    }
}

int waiting()
{
    int bytes = 0;
    return ioctl(0, FIONREAD, &bytes) == 0 ? bytes : 0;
}

double seconds()
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

int fifo(FILE *out, int fifoBytes, int rate)
{
    std::vector<char> buffer(1 << 20, 0);
    std::printf("uartsink ready\r\n");
    std::fflush(stdout);
    double last = seconds();
    for (;;) {
        usleep(10 * 1000);
        const double now = seconds();
        const size_t room = size_t(fifoBytes + rate * (now - last));
        last = now;
        const int pending = waiting();
        if (pending <= 0)
            continue;
        // What fits is kept (a read may return less than is waiting: read until it is all in).
        const size_t take = std::min({room, size_t(pending), buffer.size()});
        size_t got = 0;
        while (got < take) {
            const ssize_t n = read(0, buffer.data() + got, take - got);
            if (n <= 0)
                return 0;
            got += size_t(n);
        }
        std::fwrite(buffer.data(), 1, got, out);
        std::fflush(out);
        if (size_t(pending) > room)
            tcflush(0, TCIFLUSH); // the FIFO overflowed: the rest is lost
    }
}

int lines(FILE *out, int delayMs)
{
    std::printf("uartsink ready\r\n");
    std::fflush(stdout);
    std::string line;
    char c = 0;
    while (read(0, &c, 1) == 1) {
        if (c != '\r') {
            line += c;
            continue;
        }
        std::fprintf(out, "%s waiting=%d\n", line.c_str(), waiting());
        std::fflush(out);
        usleep(useconds_t(delayMs) * 1000);
        std::printf("%s\r\n", line.c_str());
        std::fflush(stdout);
        line.clear();
    }
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    makeRaw();
    FILE *out = std::fopen(argv[2], "w");
    if (!out)
        return 3;
    if (std::strcmp(argv[1], "fifo") == 0 && argc == 5)
        return fifo(out, std::atoi(argv[3]), std::atoi(argv[4]));
    if (std::strcmp(argv[1], "lines") == 0)
        return lines(out, std::atoi(argv[3]));
    return 2;
}
