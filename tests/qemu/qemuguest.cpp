#include "qemuguest.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLocalSocket>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QThread>

#include <sys/prctl.h>

#include <algorithm>
#include <csignal>

namespace CloudConsole::Test {

namespace {

// What QEMU keeps of its own output for diagnostics.
constexpr qsizetype OutputLimit = 64 * 1024;
// A QMP reply is a few hundred bytes; a line this long means something is wrong.
constexpr qsizetype QmpLineLimit = 1024 * 1024;

// "6.1.0-10-amd64" before "6.1.0-9-amd64"? Compares runs of digits as numbers.
bool versionLess(const QString &a, const QString &b)
{
    qsizetype i = 0;
    qsizetype j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i].isDigit() && b[j].isDigit()) {
            const qsizetype startA = i;
            const qsizetype startB = j;
            while (i < a.size() && a[i].isDigit())
                ++i;
            while (j < b.size() && b[j].isDigit())
                ++j;
            const qulonglong numberA = a.mid(startA, i - startA).toULongLong();
            const qulonglong numberB = b.mid(startB, j - startB).toULongLong();
            if (numberA != numberB)
                return numberA < numberB;
            continue;
        }
        if (a[i] != b[j])
            return a[i] < b[j];
        ++i;
        ++j;
    }
    return a.size() - i < b.size() - j;
}

int remainingMs(const QDeadlineTimer &deadline)
{
    return int(std::max<qint64>(0, deadline.remainingTime()));
}

} // namespace

QemuGuest::QemuGuest(const QString &workDir) : QemuGuest(workDir, Options())
{ }

QemuGuest::QemuGuest(const QString &workDir, const Options &options)
    : m_workDir(workDir), m_options(options)
{
    static int guests = 0;
    m_qmpSocketPath = options.qmpSocketPath.isEmpty()
        ? QDir(workDir).filePath(QStringLiteral("qmp.sock"))
        : options.qmpSocketPath;
    m_controlSocketPath
        = QDir(workDir).filePath(QStringLiteral("qmp-control-%1.sock").arg(++guests));

    m_process.setProcessChannelMode(QProcess::MergedChannels);
    QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process,
                     [this] { readOutput(); });
    // QEMU dies with the test process, even one killed by ctest's timeout.
    m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });

    m_qemu = QStandardPaths::findExecutable(QStringLiteral("qemu-system-x86_64"));
    if (m_qemu.isEmpty()) {
        m_skipReason = QStringLiteral("qemu-system-x86_64 is not installed (Debian package "
                                      "qemu-system-x86; scripts/install-deps.sh --test)");
        return;
    }
    QString why;
    m_kernel = findKernel(&why);
    if (m_kernel.isEmpty())
        m_skipReason = why;
}

QemuGuest::~QemuGuest()
{
    stop();
}

QString QemuGuest::findKernel(QString *why)
{
    const QString chosen = qEnvironmentVariable("CLOUD_CONSOLE_TEST_KERNEL");
    if (!chosen.isEmpty())
        return chosen;
    const QDir boot(QStringLiteral("/boot"));
    QStringList names = boot.entryList({QStringLiteral("vmlinuz-*-amd64")}, QDir::Files);
    if (names.isEmpty()) {
        *why = QStringLiteral("no kernel /boot/vmlinuz-*-amd64 (Debian package linux-image-amd64; "
                              "or set CLOUD_CONSOLE_TEST_KERNEL)");
        return {};
    }
    std::sort(names.begin(), names.end(), versionLess);
    for (auto name = names.crbegin(); name != names.crend(); ++name) {
        const QString path = boot.filePath(*name);
        if (QFileInfo(path).isReadable())
            return path;
    }
    *why = QStringLiteral("%1 is not readable by this user (set CLOUD_CONSOLE_TEST_KERNEL to a "
                          "readable copy)")
               .arg(boot.filePath(names.last()));
    return {};
}

QString QemuGuest::initramfsPath() const
{
    return QDir(m_workDir).filePath(QStringLiteral("initramfs.cpio.gz"));
}

bool QemuGuest::start(int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    if (!m_skipReason.isEmpty()) {
        m_error = m_skipReason;
        return false;
    }
    if (!QFileInfo(m_kernel).isReadable()) {
        m_error = QStringLiteral("kernel %1 (CLOUD_CONSOLE_TEST_KERNEL) is missing or unreadable")
                      .arg(m_kernel);
        return false;
    }
    if (!QFileInfo::exists(initramfsPath()) && !buildInitramfs(remainingMs(deadline)))
        return false;

    m_ptyPath.clear();
    m_output.clear();
    m_process.start(m_qemu, qemuArguments());
    if (!m_process.waitForStarted(remainingMs(deadline))) {
        m_error = QStringLiteral("cannot start %1: %2").arg(m_qemu, m_process.errorString());
        return false;
    }
    m_pid = m_process.processId();

    // "char device redirected to /dev/pts/5 (label serial0)": QEMU 7.2 has no path= for a pty
    // chardev, so this line is the only place it tells the path.
    static const QRegularExpression redirected(
        QStringLiteral("char device redirected to (\\S+) \\(label serial0\\)"));
    for (;;) {
        const auto match = redirected.match(QString::fromLocal8Bit(m_output));
        if (match.hasMatch()) {
            m_ptyPath = match.captured(1);
            return true;
        }
        if (m_process.state() != QProcess::Running || deadline.hasExpired()) {
            m_error = QStringLiteral("QEMU did not tell its pty: %1").arg(describe());
            stop();
            return false;
        }
        m_process.waitForReadyRead(std::min(remainingMs(deadline), 1000));
    }
}

bool QemuGuest::buildInitramfs(int timeoutMs)
{
    QProcess script;
    script.setProcessChannelMode(QProcess::MergedChannels);
    script.start(QStringLiteral("/bin/sh"),
                 {QStringLiteral(CLOUD_CONSOLE_MAKE_INITRAMFS), m_workDir});
    const bool finished = script.waitForFinished(timeoutMs);
    if (!finished)
        script.kill();
    if (!finished || script.exitStatus() != QProcess::NormalExit || script.exitCode() != 0
        || !QFileInfo::exists(initramfsPath())) {
        script.waitForFinished();
        m_error = QStringLiteral("make-initramfs.sh failed (%1, exit code %2): %3")
                      .arg(finished ? QStringLiteral("finished") : QStringLiteral("timed out"))
                      .arg(script.exitCode())
                      .arg(QString::fromLocal8Bit(script.readAll()).trimmed());
        return false;
    }
    return true;
}

QStringList QemuGuest::qemuArguments() const
{
    QStringList append = {QStringLiteral("console=ttyS0"), QStringLiteral("panic=-1"),
                          // Up to KERN_NOTICE, which the "Linux version" banner is printed at;
                          // all of KERN_INFO would slow the boot under TCG for nothing.
                          QStringLiteral("loglevel=6")};
    append += m_options.extraKernelArguments;
    QStringList arguments = {QStringLiteral("-accel"),
                             QStringLiteral("tcg"), // KVM is not always there, nor usable
                             QStringLiteral("-m"),
                             QString::number(m_options.memoryMiB),
                             QStringLiteral("-nodefaults"),
                             QStringLiteral("-display"),
                             QStringLiteral("none"),
                             QStringLiteral("-no-reboot"),
                             QStringLiteral("-chardev"),
                             QStringLiteral("pty,id=serial0"),
                             QStringLiteral("-serial"),
                             QStringLiteral("chardev:serial0"),
                             QStringLiteral("-qmp"),
                             QStringLiteral("unix:%1,server=on,wait=off").arg(m_qmpSocketPath),
                             QStringLiteral("-qmp"),
                             QStringLiteral("unix:%1,server=on,wait=off").arg(m_controlSocketPath),
                             QStringLiteral("-kernel"),
                             m_kernel,
                             QStringLiteral("-initrd"),
                             initramfsPath(),
                             QStringLiteral("-append"),
                             append.join(QLatin1Char(' '))};
    if (m_options.paused)
        arguments.prepend(QStringLiteral("-S"));
    return arguments;
}

void QemuGuest::readOutput()
{
    m_output += m_process.readAllStandardOutput();
    if (m_output.size() > OutputLimit)
        m_output.remove(0, m_output.size() - OutputLimit);
}

bool QemuGuest::resume(int timeoutMs)
{
    return qmp(QJsonObject {{QStringLiteral("execute"), QStringLiteral("cont")}}, nullptr,
               timeoutMs);
}

bool QemuGuest::qmp(const QJsonObject &command, QJsonObject *result, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    const QString name = command.value(QStringLiteral("execute")).toString();
    QLocalSocket socket;
    // QEMU makes its sockets while it starts up: the first attempts may find none yet.
    for (;;) {
        socket.connectToServer(m_controlSocketPath);
        if (socket.waitForConnected(remainingMs(deadline)))
            break;
        if (!isRunning() || deadline.hasExpired()) {
            m_error = QStringLiteral("QMP %1: cannot connect to %2: %3; %4")
                          .arg(name, m_controlSocketPath, socket.errorString(), describe());
            return false;
        }
        QThread::msleep(100);
    }

    QByteArray buffer;
    // The next reply, skipping asynchronous events.
    auto nextReply = [&](QJsonObject *reply) {
        for (;;) {
            qsizetype end = buffer.indexOf('\n');
            while (end < 0) {
                if (buffer.size() > QmpLineLimit || !socket.waitForReadyRead(remainingMs(deadline)))
                    return false;
                buffer += socket.readAll();
                end = buffer.indexOf('\n');
            }
            const QJsonObject object = QJsonDocument::fromJson(buffer.left(end)).object();
            buffer.remove(0, end + 1);
            if (!object.contains(QStringLiteral("event"))) {
                *reply = object;
                return true;
            }
        }
    };
    auto exchange = [&](const QJsonObject &request, QJsonObject *reply) {
        socket.write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
        return nextReply(reply);
    };

    QJsonObject reply;
    if (!nextReply(&reply) || !reply.contains(QStringLiteral("QMP"))) {
        m_error = QStringLiteral("QMP %1: no greeting (%2)")
                      .arg(name, QString::fromUtf8(QJsonDocument(reply).toJson()));
        return false;
    }
    if (!exchange(QJsonObject {{QStringLiteral("execute"), QStringLiteral("qmp_capabilities")}},
                  &reply)
        || !reply.contains(QStringLiteral("return"))) {
        m_error = QStringLiteral("QMP qmp_capabilities failed: %1")
                      .arg(QString::fromUtf8(QJsonDocument(reply).toJson()));
        return false;
    }
    if (!exchange(command, &reply) || !reply.contains(QStringLiteral("return"))) {
        m_error = QStringLiteral("QMP %1 failed: %2")
                      .arg(name, QString::fromUtf8(QJsonDocument(reply).toJson()));
        return false;
    }
    if (result)
        *result = reply.value(QStringLiteral("return")).toObject();
    return true;
}

void QemuGuest::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.kill();
    m_process.waitForFinished(30000);
}

bool QemuGuest::isRunning() const
{
    return m_process.state() == QProcess::Running;
}

QString QemuGuest::describe() const
{
    const QString state = isRunning()
        ? QStringLiteral("running")
        : QStringLiteral("not running (exit code %1, %2)")
              .arg(m_process.exitCode())
              .arg(m_process.exitStatus() == QProcess::NormalExit ? QStringLiteral("normal")
                                                                  : QStringLiteral("crashed"));
    return QStringLiteral("QEMU pid %1 %2, kernel %3, pty %4, output \"%5\"")
        .arg(m_pid)
        .arg(state, m_kernel, m_ptyPath.isEmpty() ? QStringLiteral("none") : m_ptyPath,
             QString::fromLocal8Bit(m_output).trimmed());
}

} // namespace CloudConsole::Test
