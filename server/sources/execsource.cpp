#include "execsource.h"

#include "fdchannel.h"
#include "ptyutil.h"

#include <QLoggingCategory>

#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

extern char **environ;

#include <cerrno>
#include <csignal>
#include <cstring>

Q_LOGGING_CATEGORY(lcExec, "cloudconsole.source.exec")

namespace CloudConsole {

namespace {

// pidfd_open(2), Linux 5.3, through syscall(2): glibc wraps it only from 2.36 on. The pid cannot
// have been reused, since it is our child and not yet reaped.
UniqueFd openPidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return UniqueFd(int(::syscall(SYS_pidfd_open, pid, 0)));
#else
    Q_UNUSED(pid);
    errno = ENOSYS;
    return UniqueFd();
#endif
}

} // namespace

ExecSource::ExecSource(const QString &command, QObject *parent)
    : ConsoleSource(parent), m_command(command), m_reason(QStringLiteral("not started"))
{
    m_exitPoll.setInterval(PollIntervalMs);
    connect(&m_exitPoll, &QTimer::timeout, this, &ExecSource::reapIfEnded);
    m_hangupGrace.setSingleShot(true);
    m_hangupGrace.setInterval(HangupGraceMs);
    connect(&m_hangupGrace, &QTimer::timeout, this, [this] { reportDown(m_reason); });
    connect(&m_retry, &Retry::due, this, &ExecSource::start);
}

ExecSource::~ExecSource()
{
    stopWatchingChild();
    if (m_channel)
        m_channel->close();
    if (m_pid <= 0)
        return;
    // Closing the master hangs up the child's session; give it a moment, then insist.
    ::kill(m_pid, SIGHUP);
    for (int i = 0; i < 50; ++i) {
        if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid)
            return;
        ::usleep(10'000);
    }
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
}

void ExecSource::start()
{
    // Everything the child needs is prepared before fork: after it, only async-signal-safe
    // calls are allowed in the child of a threaded process.
    const QByteArray command = m_command.toLocal8Bit();
    const char *const argv[] = {"/bin/sh", "-c", command.constData(), nullptr};
    QList<QByteArray> environment;
    for (char **entry = environ; *entry; ++entry) {
        if (std::strncmp(*entry, "TERM=", 5) != 0)
            environment.append(QByteArray(*entry));
    }
    environment.append(QByteArrayLiteral("TERM=xterm-256color"));
    std::vector<char *> envp;
    for (QByteArray &entry : environment)
        envp.push_back(entry.data());
    envp.push_back(nullptr);
    winsize size {};
    size.ws_col = static_cast<unsigned short>(m_cols);
    size.ws_row = static_cast<unsigned short>(m_rows);

    int master = -1;
    const pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
    if (pid < 0) {
        m_reason = QStringLiteral("cannot start %1: %2")
                       .arg(m_command, QString::fromLocal8Bit(std::strerror(errno)));
        qCWarning(lcExec).noquote() << m_reason;
        Q_EMIT down(m_reason);
        restartIfWanted(true);
        return;
    }
    if (pid == 0) {
        // The child: undo what the server changed for itself.
        ::signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execve(argv[0], const_cast<char *const *>(argv), envp.data());
        ::_exit(127);
    }
    m_pid = pid;
    m_downReported = false;
    m_running.start();
    watchChild();
    UniqueFd fd(master);
    ::fcntl(fd.get(), F_SETFD, FD_CLOEXEC);
    Pty::setNonBlocking(fd.get());

    auto *channel = new FdChannel(std::move(fd), this);
    connect(channel, &FdChannel::dataRead, this, &ConsoleSource::dataRead);
    connect(channel, &FdChannel::writable, this, &ConsoleSource::writable);
    connect(channel, &FdChannel::hangup, this, &ExecSource::onHangup);
    m_channel = channel;
    m_reason = QStringLiteral("%1 (pid %2)").arg(m_command).arg(pid);
    qCInfo(lcExec).noquote() << "started" << m_reason;
    Q_EMIT up(m_reason);
}

bool ExecSource::isUp() const
{
    return m_channel && m_channel->isOpen();
}

qsizetype ExecSource::write(QByteArrayView data)
{
    return isUp() ? m_channel->write(data) : 0;
}

void ExecSource::resize(int cols, int rows)
{
    m_cols = cols;
    m_rows = rows;
    if (!isUp())
        return;
    winsize size {};
    size.ws_col = static_cast<unsigned short>(cols);
    size.ws_row = static_cast<unsigned short>(rows);
    if (::ioctl(m_channel->fd(), TIOCSWINSZ, &size) != 0)
        qCWarning(lcExec) << "cannot resize the pty:" << std::strerror(errno);
}

void ExecSource::watchChild()
{
    if (m_exitWatch == ExitWatch::Pidfd) {
        m_pidfd = openPidfd(m_pid);
        if (m_pidfd) {
            m_exitNotifier = new QSocketNotifier(m_pidfd.get(), QSocketNotifier::Read, this);
            connect(m_exitNotifier, &QSocketNotifier::activated, this, &ExecSource::reapIfEnded);
            return;
        }
        qCWarning(lcExec) << "cannot watch children with a pidfd:" << std::strerror(errno)
                          << "- polling for their exit every" << PollIntervalMs << "ms instead";
        m_exitWatch = ExitWatch::Polling;
    }
    m_exitPoll.start();
}

void ExecSource::stopWatchingChild()
{
    m_exitPoll.stop();
    m_hangupGrace.stop();
    // The notifier may be the one calling: it stops watching now, before its descriptor closes,
    // and goes later.
    if (m_exitNotifier) {
        m_exitNotifier->setEnabled(false);
        m_exitNotifier->deleteLater();
    }
    m_exitNotifier.clear();
    m_pidfd.reset();
}

void ExecSource::reapIfEnded()
{
    if (m_pid <= 0)
        return;
    int status = 0;
    pid_t result = -1;
    do {
        result = ::waitpid(m_pid, &status, WNOHANG);
    } while (result < 0 && errno == EINTR);
    if (result == 0)
        return;
    if (result == m_pid) {
        onChildEnded(describeExit(status), !WIFEXITED(status) || WEXITSTATUS(status) != 0);
        return;
    }
    // ECHILD: reaped by someone else, as the kernel does when SIGCHLD is ignored (SIG_IGN).
    onChildEnded(QStringLiteral("ended (exit status unknown: %1)")
                     .arg(QString::fromLocal8Bit(std::strerror(errno))),
                 true);
}

void ExecSource::onChildEnded(const QString &reason, bool failed)
{
    stopWatchingChild();
    m_pid = -1;
    qCInfo(lcExec).noquote() << m_command << reason;
    if (m_channel) {
        // What the child printed last may still wait in the pty (its read notifier has not
        // fired yet), and it often says why the child ended: read it before the master closes.
        // The hang-up that reading may meet is this same ending, already being handled.
        disconnect(m_channel, &FdChannel::hangup, this, &ExecSource::onHangup);
        m_channel->drain(DrainLimit);
        closeChannel();
    }
    reportDown(reason);
    restartIfWanted(failed);
}

void ExecSource::onHangup(const QString &reason)
{
    closeChannel();
    m_reason = QStringLiteral("terminal closed (%1)").arg(reason);
    // The child usually ends with its terminal, a moment before or after it. One that lives on
    // (it closed its terminal, or ignores SIGHUP) is still watched, and reaped when it ends.
    reapIfEnded();
    if (m_pid > 0)
        m_hangupGrace.start();
}

void ExecSource::closeChannel()
{
    if (!m_channel)
        return;
    // Closing the master hangs up the slave: the session's processes lose their terminal, and
    // any descriptor a grandchild still holds on it reads end of file and fails to write.
    // close() is safe inside the channel's own signal; deleting it is not.
    m_channel->close();
    m_channel->deleteLater();
    m_channel.clear();
}

void ExecSource::reportDown(const QString &reason)
{
    if (m_downReported)
        return;
    m_downReported = true;
    m_reason = reason;
    Q_EMIT down(m_reason);
}

void ExecSource::restartIfWanted(bool failed)
{
    if (m_restart == RestartPolicy::Never || (m_restart == RestartPolicy::OnFailure && !failed))
        return;
    // A command that keeps ending at once is restarted ever more slowly, up to the cap.
    if (m_running.isValid() && m_running.elapsed() >= HealthyRunMs)
        m_retry.noteWorking();
    const auto delay = m_retry.schedule();
    qCInfo(lcExec).noquote() << "restarting" << m_command << "in" << delay.count() << "ms";
}

QString ExecSource::describeExit(int status) const
{
    if (WIFEXITED(status))
        return QStringLiteral("exited with status %1").arg(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return QStringLiteral("killed by signal %1 (%2)")
            .arg(WTERMSIG(status))
            .arg(QString::fromLocal8Bit(::strsignal(WTERMSIG(status))));
    return QStringLiteral("ended");
}

} // namespace CloudConsole
