#pragma once

// PtySource attaches to a pty that a VMM created (Cloud-Hypervisor's or QEMU's serial or
// virtio console), by path.
//
// It opens the path O_RDWR|O_NOCTTY|O_NONBLOCK, makes it raw (in canonical mode a pty hands out
// one line per read, and echo would send the guest's own output back to it), and does I/O
// through an FdChannel. When the pty hangs up (the VMM exited or closed it) it reports down() and
// opens the path again with a bounded backoff; a symlink is resolved anew on every attempt, so
// a link that a VM manager points at the new pty is followed. A bare /dev/pts/N is attached
// again only while no other process has it open, since the kernel reuses pty numbers. It owns
// its channel and timer.

#include "backoff.h"
#include "consolesource.h"

#include <QPointer>
#include <QTimer>

namespace CloudConsole {

class FdChannel;

class PtySource : public ConsoleSource
{
    Q_OBJECT
public:
    explicit PtySource(const QString &path, QObject *parent = nullptr);
    ~PtySource() override;

    // Checks that path can be opened as a terminal now, for a clear error at start-up.
    static bool probe(const QString &path, QString *error);

    void start() override;
    bool isUp() const override;
    QString stateReason() const override { return m_reason; }
    qsizetype write(QByteArrayView data) override;

private:
    void tryOpen();
    void onHangup(const QString &reason);
    void scheduleRetry();

    QString m_path;
    QString m_reason;
    QPointer<FdChannel> m_channel;
    QTimer m_retryTimer;
    Backoff m_backoff;
    QString m_lastFailure; // reported once, not on every retry
    bool m_hungUp = false; // the pty we had is gone: a bare /dev/pts path may be reused
};

} // namespace CloudConsole
