#include "serialsource.h"

#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>

Q_LOGGING_CATEGORY(lcSerial, "cloudconsole.source.serial")

namespace CloudConsole {

namespace {

template<typename Enum> struct Choice
{
    const char *name;
    Enum value;
};

constexpr Choice<QSerialPort::Parity> Parities[] = {
    {"none", QSerialPort::NoParity},   {"even", QSerialPort::EvenParity},
    {"odd", QSerialPort::OddParity},   {"space", QSerialPort::SpaceParity},
    {"mark", QSerialPort::MarkParity},
};
constexpr Choice<QSerialPort::DataBits> DataBits[] = {
    {"5", QSerialPort::Data5},
    {"6", QSerialPort::Data6},
    {"7", QSerialPort::Data7},
    {"8", QSerialPort::Data8},
};
// No 1.5: termios has one or two stop bits, and Qt 6.4 quietly sends one when asked for 1.5.
constexpr Choice<QSerialPort::StopBits> StopBits[] = {
    {"1", QSerialPort::OneStop},
    {"2", QSerialPort::TwoStop},
};
constexpr Choice<QSerialPort::FlowControl> Flows[] = {
    {"none", QSerialPort::NoFlowControl},
    {"hardware", QSerialPort::HardwareControl},
    {"software", QSerialPort::SoftwareControl},
};

template<typename Enum, std::size_t N>
std::optional<Enum> choose(const Choice<Enum> (&choices)[N], QStringView name)
{
    for (const Choice<Enum> &choice : choices) {
        if (name == QLatin1String(choice.name))
            return choice.value;
    }
    return std::nullopt;
}

template<typename Enum, std::size_t N> QString nameOf(const Choice<Enum> (&choices)[N], Enum value)
{
    for (const Choice<Enum> &choice : choices) {
        if (choice.value == value)
            return QLatin1String(choice.name);
    }
    return QStringLiteral("?");
}

template<typename Enum, std::size_t N> QString namesOf(const Choice<Enum> (&choices)[N])
{
    QStringList names;
    for (const Choice<Enum> &choice : choices)
        names.append(QLatin1String(choice.name));
    return names.join(QLatin1String(", "));
}

// Parses one query value into *out, or says what the key takes.
template<typename Enum, std::size_t N>
bool parseChoice(const Choice<Enum> (&choices)[N], QStringView key, QStringView value, Enum *out,
                 QString *why)
{
    if (const auto chosen = choose(choices, value)) {
        *out = *chosen;
        return true;
    }
    *why = QStringLiteral("%1 \"%2\" is not one of %3").arg(key, value.left(32), namesOf(choices));
    if (key == u"stop" && value == u"1.5")
        *why += QLatin1String(" (a Linux serial line has no 1.5 stop bits)");
    return false;
}

QChar parityLetter(QSerialPort::Parity parity)
{
    switch (parity) {
    case QSerialPort::EvenParity:
        return u'E';
    case QSerialPort::OddParity:
        return u'O';
    case QSerialPort::SpaceParity:
        return u'S';
    case QSerialPort::MarkParity:
        return u'M';
    default:
        return u'N';
    }
}

// The frame as asked for: "8N1".
QString frameOf(const SerialSettings &settings)
{
    return QString::number(int(settings.dataBits)) + parityLetter(settings.parity)
        + (settings.stopBits == QSerialPort::TwoStop ? u'2' : u'1');
}

// The frame the line actually runs, read back from the device ("" if it cannot be read). A
// driver may keep its own: a pty always runs 8 data bits without parity (Linux's
// pty_set_termios() resets CSIZE and PARENB), and some USB adapters lack 5 or 6 bits or
// mark/space parity.
QString frameOfLine(int fd)
{
    termios line {};
    if (::tcgetattr(fd, &line) != 0)
        return {};
    int bits = 8;
    switch (line.c_cflag & CSIZE) {
    case CS5:
        bits = 5;
        break;
    case CS6:
        bits = 6;
        break;
    case CS7:
        bits = 7;
        break;
    default:
        break;
    }
    QChar parity = u'N';
    if (line.c_cflag & PARENB) {
        const bool odd = line.c_cflag & PARODD;
        parity = (line.c_cflag & CMSPAR) ? (odd ? u'M' : u'S') : (odd ? u'O' : u'E');
    }
    return QString::number(bits) + parity + ((line.c_cflag & CSTOPB) ? u'2' : u'1');
}

// A hung-up tty polls as POLLHUP for good (the kernel's hung_up_tty_poll).
bool hasHungUp(int fd)
{
    pollfd probe {fd, POLLIN, 0};
    return ::poll(&probe, 1, 0) > 0 && (probe.revents & (POLLHUP | POLLERR | POLLNVAL));
}

// QSerialPort takes a UUCP lock file (LCK..ttyUSB0) in the first readable one of these
// directories that holds it already or is writable, as minicom and screen do, and refuses a
// device whose lock a live process holds with only "Permission error while locking the device"
// (qserialport_unix.cpp, serialPortLockFilePath()). Says who holds it instead, or "" if that
// lock file is not there (the error was something else, such as EACCES on the device).
QString lockHolder(const QString &device)
{
    static const char *const directories[] = {
        "/var/lock", "/etc/locks", "/var/spool/locks",  "/var/spool/uucp",
        "/tmp",      "/var/tmp",   "/var/lock/lockdev", "/run/lock",
    };
    QString name = device.startsWith(QLatin1String("/dev/")) ? device.mid(5) : device;
    name.replace(u'/', u'_');
    QString path;
    for (const char *directory : directories) {
        const QFileInfo info(QString::fromLatin1(directory));
        path = info.filePath() + QLatin1String("/LCK..") + name;
        if (info.isReadable() && (QFile::exists(path) || info.isWritable()))
            break;
        path.clear();
    }
    QFile lock(path);
    if (path.isEmpty() || !lock.open(QIODevice::ReadOnly))
        return {};
    // Qt writes "PID\nAPP\nHOST\n"; UUCP-style tools write the PID padded with spaces.
    const qint64 pid = lock.readLine(64).trimmed().toLongLong();
    if (pid <= 0)
        return QStringLiteral("locked by %1").arg(path);
    QFile comm(QStringLiteral("/proc/%1/comm").arg(pid));
    if (!comm.open(QIODevice::ReadOnly))
        return QStringLiteral("locked by pid %1, which is not running (remove %2 if nothing "
                              "else uses the line)")
            .arg(pid)
            .arg(path);
    return QStringLiteral("locked by %1 (pid %2) through %3")
        .arg(QString::fromLocal8Bit(comm.readAll().trimmed()))
        .arg(pid)
        .arg(path);
}

QString openFailure(const QSerialPort &port, const QString &device)
{
    if (port.error() == QSerialPort::PermissionError) {
        const QString holder = lockHolder(device);
        if (!holder.isEmpty())
            return holder;
    }
    return port.errorString();
}

} // namespace

std::optional<SerialSettings> SerialSettings::parse(const QString &spec, QString *error)
{
    QStringView rest(spec);
    if (rest.startsWith(u"serial:"))
        rest = rest.sliced(7);
    const qsizetype question = rest.indexOf(u'?');
    SerialSettings settings;
    settings.path = (question < 0 ? rest : rest.first(question)).toString();
    if (settings.path.isEmpty()) {
        *error = QStringLiteral("serial: needs a device path, such as serial:/dev/ttyUSB0");
        return std::nullopt;
    }
    const QString where = QStringLiteral("serial:") + settings.path;
    if (!settings.path.startsWith(u'/')) {
        *error = QStringLiteral("%1: the device path must be absolute, such as /dev/ttyUSB0")
                     .arg(where);
        return std::nullopt;
    }
    if (question < 0)
        return settings;

    static const QStringList keys {QStringLiteral("baud"), QStringLiteral("parity"),
                                   QStringLiteral("data"), QStringLiteral("stop"),
                                   QStringLiteral("flow")};
    QStringList seen;
    QString why;
    for (const QStringView item : rest.sliced(question + 1).split(u'&')) {
        if (item.isEmpty())
            continue;
        const qsizetype equals = item.indexOf(u'=');
        const QStringView key = equals < 0 ? item : item.first(equals);
        const QStringView value = equals < 0 ? QStringView() : item.sliced(equals + 1);
        if (!keys.contains(key)) {
            why = QStringLiteral("unknown key \"%1\" (known: %2)")
                      .arg(key.left(32), keys.join(QLatin1String(", ")));
        } else if (seen.contains(key)) {
            why = QStringLiteral("%1 is given twice").arg(key);
        } else if (key == u"baud") {
            bool ok = false;
            const qint64 baud = value.toLongLong(&ok);
            if (!ok)
                why = QStringLiteral("baud \"%1\" is not a number").arg(value.left(32));
            else if (baud <= 0 || baud > std::numeric_limits<qint32>::max())
                why = QStringLiteral("baud \"%1\" is out of range (1 to %2)")
                          .arg(value.left(32))
                          .arg(std::numeric_limits<qint32>::max());
            else
                settings.baud = qint32(baud);
        } else if (key == u"parity") {
            parseChoice(Parities, key, value, &settings.parity, &why);
        } else if (key == u"data") {
            parseChoice(DataBits, key, value, &settings.dataBits, &why);
        } else if (key == u"stop") {
            parseChoice(StopBits, key, value, &settings.stopBits, &why);
        } else {
            parseChoice(Flows, key, value, &settings.flow, &why);
        }
        if (!why.isEmpty()) {
            *error = QStringLiteral("%1: %2").arg(where, why);
            return std::nullopt;
        }
        seen.append(key.toString());
    }
    return settings;
}

QString SerialSettings::toString() const
{
    const SerialSettings defaults;
    QStringList query;
    if (baud != defaults.baud)
        query.append(QStringLiteral("baud=") + QString::number(baud));
    if (parity != defaults.parity)
        query.append(QStringLiteral("parity=") + nameOf(Parities, parity));
    if (dataBits != defaults.dataBits)
        query.append(QStringLiteral("data=") + nameOf(DataBits, dataBits));
    if (stopBits != defaults.stopBits)
        query.append(QStringLiteral("stop=") + nameOf(StopBits, stopBits));
    if (flow != defaults.flow)
        query.append(QStringLiteral("flow=") + nameOf(Flows, flow));
    const QString spec = QStringLiteral("serial:") + path;
    return query.isEmpty() ? spec : spec + u'?' + query.join(u'&');
}

QString SerialSettings::lineSummary() const
{
    QString summary = QString::number(baud) + u' ' + frameOf(*this);
    if (flow != QSerialPort::NoFlowControl)
        summary += u' ' + nameOf(Flows, flow) + QLatin1String(" flow");
    return summary;
}

SerialSource::SerialSource(const SerialSettings &settings, QObject *parent)
    : SerialSource(settings, Backoff(), parent)
{ }

SerialSource::SerialSource(const SerialSettings &settings, Backoff backoff, QObject *parent)
    : ConsoleSource(parent)
    , m_settings(settings)
    , m_retry(backoff)
    , m_reason(QStringLiteral("not opened yet"))
{
    connect(&m_retry, &Retry::due, this, &SerialSource::tryOpen);
}

SerialSource::~SerialSource()
{
    // The port is a child and outlives this part of the object: it must not call back.
    if (m_port)
        m_port->disconnect(this);
}

void SerialSource::start()
{
    if (!m_port && !m_retry.isPending())
        tryOpen();
}

void SerialSource::tryOpen()
{
    // Resolved on every attempt: a link (udev's /dev/serial/by-id, a VM manager's) may point at
    // another device now. Opening the device itself also names the lock file after it.
    const QString canonical = QFileInfo(m_settings.path).canonicalFilePath();
    const QString device = canonical.isEmpty() ? m_settings.path : canonical;
    auto port = std::make_unique<QSerialPort>();
    port->setPortName(device);
    port->setBaudRate(m_settings.baud);
    port->setDataBits(m_settings.dataBits);
    port->setParity(m_settings.parity);
    port->setStopBits(m_settings.stopBits);
    port->setFlowControl(m_settings.flow);
    // Non-blocking, O_NOCTTY, TIOCEXCL, raw; the settings are applied before it returns.
    if (!port->open(QIODevice::ReadWrite)) {
        const QString failure
            = QStringLiteral("%1: %2").arg(m_settings.path, openFailure(*port, device));
        if (m_retry.noteFailure(failure))
            qCInfo(lcSerial).noquote() << "cannot open" << failure << "- retrying";
        m_reason = failure;
        m_retry.schedule();
        return;
    }

    QSerialPort *opened = port.release();
    opened->setParent(this);
    m_port = opened;
    m_backpressure.reset();
    m_retry.noteAttached();
    // Signals carry the port they came from, so a late one from a dropped port is ignored.
    connect(opened, &QSerialPort::readyRead, this, [this, opened] { onReadyRead(opened); });
    connect(opened, &QSerialPort::bytesWritten, this, [this, opened] { onBytesWritten(opened); });
    connect(opened, &QSerialPort::errorOccurred, this,
            [this, opened](QSerialPort::SerialPortError error) { onError(opened, error); });

    m_reason = device + u' ' + m_settings.lineSummary();
    const QString asked = frameOf(m_settings);
    const QString runs = frameOfLine(opened->handle());
    if (!runs.isEmpty() && runs != asked) {
        m_reason += QStringLiteral(" (the line runs %1)").arg(runs);
        // A pty always runs 8 data bits without parity (see frameOfLine()).
        const bool pty = device.startsWith(QLatin1String("/dev/pts/"));
        qCWarning(lcSerial).noquote()
            << QStringLiteral("%1 runs %2, not %3 as asked: the device does not support it%4")
                   .arg(device, runs, asked, pty ? QStringLiteral(" (it is a pty)") : QString());
    }
    qCInfo(lcSerial).noquote() << "attached to" << m_reason;
    Q_EMIT up(m_reason);
}

void SerialSource::onReadyRead(QSerialPort *port)
{
    while (port == m_port && port->bytesAvailable() > 0) {
        m_readBuffer.resize(MaxReadBurst);
        const qint64 n = port->read(m_readBuffer.data(), MaxReadBurst);
        if (n <= 0)
            break;
        // Output proves the line works: the next hang-up is retried promptly again.
        m_retry.noteWorking();
        Q_EMIT dataRead(QByteArrayView(m_readBuffer.constData(), n));
    }
}

qsizetype SerialSource::queuedBytes() const
{
    return m_port ? qsizetype(m_port->bytesToWrite()) : 0;
}

qsizetype SerialSource::write(QByteArrayView data)
{
    if (!m_port || data.isEmpty())
        return 0;
    const qsizetype taken = m_backpressure.admit(data.size(), queuedBytes());
    // Only buffers and arms the write notifier: bytesWritten() comes from the event loop.
    if (taken > 0)
        m_port->write(data.data(), taken);
    return taken;
}

void SerialSource::onBytesWritten(QSerialPort *port)
{
    if (port == m_port && m_backpressure.takeRoomAgain(queuedBytes()))
        Q_EMIT writable();
}

bool SerialSource::sendBreak()
{
    if (!m_port)
        return false;
    const int fd = m_port->handle();
    // tcsendbreak() first waits until the kernel has sent all queued output, which never ends
    // while flow control holds the line: refuse rather than block the server. Input still in
    // our own queue would go out after the BREAK, out of order, so that is refused too.
    int kernelQueued = 0;
    if (::ioctl(fd, TIOCOUTQ, &kernelQueued) != 0)
        kernelQueued = 0;
    const qint64 pending = m_port->bytesToWrite() + kernelQueued;
    if (pending > 0) {
        qCWarning(lcSerial).noquote()
            << QStringLiteral("%1: BREAK not sent: %2 bytes of input are still to go out")
                   .arg(m_settings.path)
                   .arg(pending);
        return false;
    }
    // A real line break (250 ms on Linux, during which this call sleeps). Qt 6 has no
    // QSerialPort::sendBreak() any more; a pty accepts the call and sends nothing.
    if (::tcsendbreak(fd, 0) != 0) {
        qCWarning(lcSerial).noquote()
            << QStringLiteral("%1: BREAK failed: %2")
                   .arg(m_settings.path, QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    return true;
}

void SerialSource::onError(QSerialPort *port, QSerialPort::SerialPortError error)
{
    // NoError comes whenever Qt clears its error; TimeoutError only from the waitFor*() calls.
    if (port != m_port || error == QSerialPort::NoError || error == QSerialPort::TimeoutError)
        return;
    // Any other error ends this port. A hung-up line (unplugged adapter, closed pty master)
    // reads as end of file, which Qt 6.4 reports as a ReadError with a stale errno text, and it
    // leaves its read notifier on, so the error would come again on every pass of the event loop.
    const QString why = hasHungUp(port->handle()) ? QStringLiteral("hung up") : port->errorString();
    // What the line sent before it went is still console output.
    onReadyRead(port);
    if (port != m_port)
        return;
    dropPort();
    m_backpressure.reset();
    m_reason = QStringLiteral("%1: %2").arg(m_settings.path, why);
    qCInfo(lcSerial).noquote() << m_reason;
    Q_EMIT down(m_reason);
    m_retry.schedule();
}

void SerialSource::dropPort()
{
    QSerialPort *port = m_port;
    m_port.clear();
    if (!port)
        return;
    // This may run inside the port's own signal: silence it, close it now (the device and its
    // lock file are free again at once) and delete it later.
    port->disconnect(this);
    port->close();
    port->deleteLater();
}

} // namespace CloudConsole
