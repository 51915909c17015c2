#include "signalwatcher.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace CloudConsole {

namespace {
// The handler can reach nothing but a plain global.
int g_signalFd = -1;

void onSignal(int signal)
{
    const int savedErrno = errno;
    const unsigned char byte = static_cast<unsigned char>(signal);
    [[maybe_unused]] const ssize_t n = ::write(g_signalFd, &byte, 1);
    errno = savedErrno;
}
} // namespace

SignalWatcher::SignalWatcher(std::initializer_list<int> signals, QObject *parent)
    : QObject(parent), m_signals(signals)
{
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) != 0)
        return;
    m_read.reset(fds[0]);
    m_write.reset(fds[1]);
    g_signalFd = m_write.get();
    m_notifier = std::make_unique<QSocketNotifier>(m_read.get(), QSocketNotifier::Read);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, &SignalWatcher::onReadable);

    struct sigaction action = {};
    action.sa_handler = onSignal;
    ::sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (int signal : signals)
        ::sigaction(signal, &action, nullptr);
}

SignalWatcher::~SignalWatcher()
{
    for (int signal : m_signals)
        ::signal(signal, SIG_DFL);
    g_signalFd = -1;
}

void SignalWatcher::onReadable()
{
    unsigned char byte = 0;
    while (::read(m_read.get(), &byte, 1) == 1)
        Q_EMIT received(int(byte));
}

} // namespace CloudConsole
