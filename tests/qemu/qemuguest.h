#pragma once

// QemuGuest runs a real Linux guest under QEMU (TCG, no KVM needed) for tests: the host's Debian
// kernel with a busybox initramfs (make-initramfs.sh) whose /init prints a ready marker and runs
// a shell on the serial console. The serial console is a pty that QEMU makes; its path is read
// from QEMU's "char device redirected to ..." line. The guest starts paused, because QEMU drops
// serial output while nobody has the pty open and a test wants the whole boot log; resume()
// starts it over a QMP socket of the helper's own. qmpSocketPath() is a second QMP socket, left
// to the code under test (QEMU serves one client per QMP socket at a time).
//
// It owns the QEMU process and kills it in stop() and on destruction; QEMU is also killed by the
// kernel when the test process dies (PR_SET_PDEATHSIG), so no guest outlives its test. It knows
// nothing about cloud-console.
//
// Two guests made one after the other with the same QMP socket path act as one VM whose VMM
// restarted: the second QEMU takes over the socket and makes a new pty, usually at a new path.

#include <QByteArray>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace CloudConsole::Test {

class QemuGuest
{
public:
    // The line /init prints once the guest's userland runs, and the shell's prompt.
    static constexpr const char *ReadyMarker = "cloud-console-guest: ready";
    static constexpr const char *Prompt = "guest# ";

    struct Options
    {
        QString qmpSocketPath; // empty: workDir/qmp.sock
        bool paused = true; // -S: the CPU waits for resume()
        int memoryMiB = 256;
        QStringList extraKernelArguments; // appended to the kernel command line
    };

    // workDir holds the initramfs (built there once, at start()) and the QMP sockets; it must
    // outlive the guest. QEMU and the kernel are looked up here; skipReason() says when they are
    // not there.
    explicit QemuGuest(const QString &workDir);
    QemuGuest(const QString &workDir, const Options &options);
    ~QemuGuest();

    QemuGuest(const QemuGuest &) = delete;
    QemuGuest &operator=(const QemuGuest &) = delete;

    // Non-empty only when QEMU cannot be started on this machine at all: no qemu-system-x86_64,
    // no readable /boot/vmlinuz-*-amd64. A test skips with it; anything else is a failure.
    QString skipReason() const { return m_skipReason; }

    // Builds the initramfs unless workDir has it, starts QEMU and waits until it tells the pty
    // path. False with errorString() on failure (also when skipReason() is set).
    bool start(int timeoutMs = 60000);
    // Starts the paused CPU (QMP "cont").
    bool resume(int timeoutMs = 30000);
    // One QMP command on a fresh connection to the helper's own QMP socket, e.g.
    // {"execute":"query-status"}: true with the reply's "return" object, false with
    // errorString() for an "error" reply or none.
    bool qmp(const QJsonObject &command, QJsonObject *result = nullptr, int timeoutMs = 30000);
    // Kills QEMU and waits for it. Harmless when it is not running.
    void stop();

    bool isRunning() const;
    qint64 processId() const { return m_pid; }
    QString ptyPath() const { return m_ptyPath; }
    QString qmpSocketPath() const { return m_qmpSocketPath; }
    QString kernelPath() const { return m_kernel; }
    QString initramfsPath() const;
    QString errorString() const { return m_error; }
    // What QEMU printed (stdout and stderr), for diagnostics.
    QByteArray qemuOutput() const { return m_output; }
    // State, exit code, kernel and QEMU's output, in one line for a failure message.
    QString describe() const;

    // The kernel to boot: $CLOUD_CONSOLE_TEST_KERNEL when set (used as is: a wrong path there
    // makes start() fail, it is not a reason to skip), else the newest readable
    // /boot/vmlinuz-*-amd64. Empty with *why when there is none.
    static QString findKernel(QString *why);

private:
    bool buildInitramfs(int timeoutMs);
    QStringList qemuArguments() const;
    void readOutput();

    QString m_workDir;
    Options m_options;
    QString m_qemu;
    QString m_kernel;
    QString m_qmpSocketPath;
    QString m_controlSocketPath;
    QString m_skipReason;
    QString m_error;
    QString m_ptyPath;
    QByteArray m_output;
    qint64 m_pid = 0;
    QProcess m_process;
};

} // namespace CloudConsole::Test
