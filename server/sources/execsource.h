#pragma once

// ExecSource runs a command in a new pty owned by the server: the demo console, and the
// use of a shell or a VM launcher as the console of a web terminal.
//
// The child gets its own session with the pty as controlling terminal (so job control and
// SIGWINCH work), TERM=xterm-256color and default signal dispositions. The server keeps the
// master side, does I/O on it through an FdChannel and applies resize() with TIOCSWINSZ.
//
// It watches the child, not the pty: a grandchild that outlives it (a daemon, a background job)
// may hold the terminal open for ever. A pidfd (pidfd_open(2)) turns readable when the child
// exits; the child is reaped at once, the output still in the pty is read, the master is closed
// (which hangs up the terminal of any grandchild still holding it) and down() reports the exit
// status. If the pty hangs up first and the child lives on, down() says the terminal closed and
// the child is reaped whenever it ends. down() comes once per run either way. Without pidfd
// (Linux before 5.3) it polls waitpid(WNOHANG) instead, and never touches SIGCHLD: signal
// dispositions belong to the whole process.
//
// It owns the master, the channel, the pidfd and the child process (which it hangs up and reaps
// on destruction). It knows nothing about what the program is or what the output means.

#include "consolesource.h"
#include "retry.h"
#include "uniquefd.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QSocketNotifier>
#include <QTimer>

#include <sys/types.h>

namespace CloudConsole {

class FdChannel;

class ExecSource : public ConsoleSource
{
    Q_OBJECT
public:
    enum class RestartPolicy { Never, OnFailure, Always };
    // How the child's exit is noticed: a pidfd, or waitpid(WNOHANG) every PollIntervalMs.
    enum class ExitWatch { Pidfd, Polling };
    // A child that ran this long before it ended is restarted promptly again.
    static constexpr int HealthyRunMs = 5000;
    static constexpr int PollIntervalMs = 100;
    // After a hang-up, how long the child has to end before down() says the terminal closed
    // (it usually ends a moment after its terminal, and its exit status says more).
    static constexpr int HangupGraceMs = 200;
    // At most this much output is read from the pty between the child's exit and closing the
    // master. The kernel buffers a few tens of KiB; the bound stops a grandchild that keeps
    // writing from keeping the event loop here.
    static constexpr qsizetype DrainLimit = 1024 * 1024;

    explicit ExecSource(const QString &command, QObject *parent = nullptr);
    void setRestartPolicy(RestartPolicy policy) { m_restart = policy; }
    // Pidfd by default; start() turns to Polling for good when pidfd_open(2) fails. Tests set
    // Polling to run the fallback on a kernel that has pidfds.
    void setExitWatch(ExitWatch watch) { m_exitWatch = watch; }
    ExitWatch exitWatch() const { return m_exitWatch; }
    ~ExecSource() override;

    void start() override;
    bool isUp() const override;
    QString stateReason() const override { return m_reason; }
    qsizetype write(QByteArrayView data) override;
    bool canResize() const override { return true; }
    void resize(int cols, int rows) override;

    pid_t pid() const { return m_pid; }

private:
    void watchChild();
    void stopWatchingChild();
    // Reaps the child if it has ended; called when the pidfd is readable, on a poll, on hang-up.
    void reapIfEnded();
    void onChildEnded(const QString &reason, bool failed);
    void onHangup(const QString &reason);
    void closeChannel();
    void reportDown(const QString &reason);
    QString describeExit(int status) const;
    void restartIfWanted(bool failed);

    QString m_command;
    QString m_reason;
    QPointer<FdChannel> m_channel;
    pid_t m_pid = -1; // until reaped
    UniqueFd m_pidfd; // the child's, while it is watched by pidfd
    QPointer<QSocketNotifier> m_exitNotifier; // on m_pidfd; a child of this object
    ExitWatch m_exitWatch = ExitWatch::Pidfd;
    QTimer m_exitPoll;
    QTimer m_hangupGrace;
    bool m_downReported = false; // for the current run
    int m_cols = 80;
    int m_rows = 24;
    RestartPolicy m_restart = RestartPolicy::Never;
    Retry m_retry; // restarts, by the policy
    QElapsedTimer m_running; // since the child started
};

} // namespace CloudConsole
