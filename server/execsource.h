#pragma once

// ExecSource runs a command in a new pty owned by the server: the demo console, and the
// use of a shell or a VM launcher as the console of a web terminal.
//
// The child gets its own session with the pty as controlling terminal (so job control and
// SIGWINCH work), TERM=xterm-256color and default signal dispositions. The server keeps the
// master side, does I/O on it through an FdChannel, applies resize() with TIOCSWINSZ, and reaps
// the child when the pty hangs up, reporting its exit status as down(). It owns the master,
// the channel and the child process (which it hangs up and reaps on destruction).

#include "backoff.h"
#include "consolesource.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>

#include <sys/types.h>

namespace CloudConsole {

class FdChannel;

class ExecSource : public ConsoleSource
{
    Q_OBJECT
public:
    enum class RestartPolicy { Never, OnFailure, Always };
    // A child that ran this long before it ended is restarted promptly again.
    static constexpr int HealthyRunMs = 5000;

    explicit ExecSource(const QString &command, QObject *parent = nullptr);
    void setRestartPolicy(RestartPolicy policy) { m_restart = policy; }
    ~ExecSource() override;

    void start() override;
    bool isUp() const override;
    QString stateReason() const override { return m_reason; }
    qsizetype write(QByteArrayView data) override;
    bool canResize() const override { return true; }
    void resize(int cols, int rows) override;

    pid_t pid() const { return m_pid; }

private:
    void onHangup(const QString &reason);
    void reap();
    QString describeExit(int status) const;
    void restartIfWanted(bool failed);

    QString m_command;
    QString m_reason;
    QPointer<FdChannel> m_channel;
    pid_t m_pid = -1;
    int m_cols = 80;
    int m_rows = 24;
    QTimer m_reapTimer;
    int m_reapAttempts = 0;
    RestartPolicy m_restart = RestartPolicy::Never;
    QTimer m_restartTimer;
    Backoff m_backoff;
    QElapsedTimer m_running; // since the child started
};

} // namespace CloudConsole
