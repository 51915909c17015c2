#pragma once

// PtySource attaches to a pty that a VMM created (Cloud-Hypervisor's or QEMU's serial or
// virtio console), at the path its PtyLocator names: a fixed path or symlink, or the path a VMM's
// API reports.
//
// It opens the path O_RDWR|O_NOCTTY|O_NONBLOCK, makes it raw (in canonical mode a pty hands out
// one line per read, and echo would send the guest's own output back to it), and does I/O
// through an FdChannel. When the pty hangs up (the guest rebooted, the VMM exited or closed it)
// it reports down() and asks the locator again through a Retry (100 ms doubling to 5 s, starting
// over once output arrives, a repeated failure logged once), so a new pty at a new path is attached
// without any client noticing more than a source event.
//
// A virtio-console pty (hvc in the guest) has a size the guest can read, so resize() sets it
// with TIOCSWINSZ; and since a pty carries no BREAK, sendBreak() sends the guest's hvc SysRq
// prefix, Ctrl-O, after which the next key typed is the SysRq command. A serial pty has
// neither. PtySource owns its locator, channel and retry timer.

#include "consolesource.h"
#include "retry.h"

#include <QPointer>

#include <memory>

namespace CloudConsole {

class FdChannel;
class PtyLocator;

class PtySource : public ConsoleSource
{
    Q_OBJECT
public:
    enum class Device { Serial, VirtioConsole };
    // hvc_console's SysRq prefix: Ctrl-O, then the SysRq key (Linux drivers/tty/hvc).
    static constexpr char VirtioSysRqPrefix = '\x0f';

    explicit PtySource(const QString &path, Device device = Device::Serial,
                       QObject *parent = nullptr);
    PtySource(std::unique_ptr<PtyLocator> locator, Device device, QObject *parent = nullptr);
    ~PtySource() override;

    // Checks that path can be opened as a terminal now, for a clear error at start-up.
    static bool probe(const QString &path, QString *error);

    void start() override;
    bool isUp() const override;
    QString stateReason() const override { return m_reason; }
    qsizetype write(QByteArrayView data) override;

    bool canResize() const override { return m_device == Device::VirtioConsole; }
    void resize(int cols, int rows) override;
    bool canBreak() const override { return m_device == Device::VirtioConsole; }
    bool sendBreak() override;

private:
    void locate();
    void onLocated(const QString &path);
    void onLocateFailed(const QString &reason);
    void retryAfter(const QString &reason);
    void onHangup(const QString &reason);
    void applySize();

    std::unique_ptr<PtyLocator> m_locator;
    Device m_device;
    QString m_reason;
    QPointer<FdChannel> m_channel;
    Retry m_retry;
    bool m_locating = false;
    int m_cols = 0;
    int m_rows = 0;
};

} // namespace CloudConsole
