#pragma once

// TestPty is a real pty pair for tests: the test plays the VMM on the master side, and the code
// under test opens the slave by its path, as it would a VM's console.

#include "uniquefd.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QString>
#include <QTest>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace CloudConsole::Test {

class TestPty
{
public:
    TestPty()
    {
        int master = -1;
        int slave = -1;
        char name[128] = {};
        termios raw {};
        ::cfmakeraw(&raw);
        if (::openpty(&master, &slave, name, &raw, nullptr) != 0)
            return;
        m_master.reset(master);
        // The server opens the slave by path; the test keeps no slave end of its own.
        ::close(slave);
        ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
        m_path = QString::fromLocal8Bit(name);
    }

    bool isValid() const { return m_master.isValid(); }
    QString path() const { return m_path; }
    int master() const { return m_master.get(); }

    // Writes all of data into the master (what the guest prints), waiting while it is full.
    bool write(QByteArrayView data, int timeoutMs = 10000)
    {
        QElapsedTimer timer;
        timer.start();
        qsizetype done = 0;
        while (done < data.size()) {
            const ssize_t n = ::write(master(), data.data() + done, size_t(data.size() - done));
            if (n > 0) {
                done += n;
                continue;
            }
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                return false;
            if (timer.elapsed() > timeoutMs)
                return false;
            pollfd p {master(), POLLOUT, 0};
            ::poll(&p, 1, 50);
        }
        return true;
    }

    // Reads what was written into the slave (the guest's input), whatever is there now.
    QByteArray readAvailable()
    {
        QByteArray out;
        char buffer[4096];
        for (;;) {
            const ssize_t n = ::read(master(), buffer, sizeof buffer);
            if (n > 0) {
                out.append(buffer, n);
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            return out;
        }
    }

    // The VMM exits: its end of the pty closes.
    void hangup() { m_master.reset(); }

private:
    UniqueFd m_master;
    QString m_path;
};

// Writes bytes into the pty (the guest's output) while the server, in this thread, reads them:
// waits by running the event loop, where TestPty::write would block it.
inline bool feedWhileServing(TestPty &pty, QByteArrayView bytes, int timeoutMs = 30000)
{
    QElapsedTimer timer;
    timer.start();
    qsizetype done = 0;
    while (done < bytes.size() && timer.elapsed() < timeoutMs) {
        const ssize_t n = ::write(pty.master(), bytes.data() + done,
                                  size_t(std::min<qsizetype>(bytes.size() - done, 4096)));
        if (n > 0)
            done += n;
        else
            QTest::qWait(1);
    }
    return done == bytes.size();
}

// A deterministic stream of n bytes starting at absolute offset start, so any slice of it can
// be checked on its own.
inline QByteArray pattern(qint64 start, qsizetype n)
{
    QByteArray out(n, Qt::Uninitialized);
    for (qsizetype i = 0; i < n; ++i) {
        const quint64 x = quint64(start + i);
        out[i] = char((x * 2654435761u >> 7) ^ (x >> 13));
    }
    return out;
}

} // namespace CloudConsole::Test
