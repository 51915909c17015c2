#include "execsource.h"

#include "fdchannel.h"
#include "ptyutil.h"

#include <QLoggingCategory>

#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

extern char **environ;

#include <cerrno>
#include <csignal>
#include <cstring>

Q_LOGGING_CATEGORY(lcExec, "cloudconsole.source.exec")

namespace CloudConsole {

ExecSource::ExecSource(const QString &command, QObject *parent)
    : ConsoleSource(parent), m_command(command), m_reason(QStringLiteral("not started"))
{
    m_reapTimer.setSingleShot(true);
    connect(&m_reapTimer, &QTimer::timeout, this, &ExecSource::reap);
    m_restartTimer.setSingleShot(true);
    connect(&m_restartTimer, &QTimer::timeout, this, &ExecSource::start);
}

ExecSource::~ExecSource()
{
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
    m_running.start();
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

void ExecSource::onHangup(const QString &reason)
{
    if (m_channel)
        m_channel->deleteLater();
    m_channel.clear();
    m_reason = reason;
    m_reapAttempts = 0;
    reap();
}

void ExecSource::reap()
{
    int status = 0;
    const pid_t result = ::waitpid(m_pid, &status, WNOHANG);
    if (result == m_pid) {
        m_pid = -1;
        m_reason = describeExit(status);
        qCInfo(lcExec).noquote() << m_command << m_reason;
        Q_EMIT down(m_reason);
        restartIfWanted(!WIFEXITED(status) || WEXITSTATUS(status) != 0);
        return;
    }
    // The pty hung up a moment before the child became a zombie, or the child closed its
    // terminal and lives on: look again, quickly at first, then once a second.
    if (++m_reapAttempts == 20)
        Q_EMIT down(QStringLiteral("terminal closed (%1)").arg(m_reason));
    m_reapTimer.start(m_reapAttempts < 20 ? 10 : 1000);
}

void ExecSource::restartIfWanted(bool failed)
{
    if (m_restart == RestartPolicy::Never || (m_restart == RestartPolicy::OnFailure && !failed))
        return;
    // A command that keeps ending at once is restarted ever more slowly, up to the cap.
    if (m_running.isValid() && m_running.elapsed() >= HealthyRunMs)
        m_backoff.reset();
    const auto delay = m_backoff.next();
    qCInfo(lcExec).noquote() << "restarting" << m_command << "in" << delay.count() << "ms";
    m_restartTimer.start(delay);
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
