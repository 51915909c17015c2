#pragma once

// SerialSource is a console on a serial line (`serial:/dev/ttyUSB0?baud=115200`): a physical
// machine's serial port, a USB serial adapter, or any tty that wants line settings.
//
// It opens the device through QSerialPort (non-blocking, read and write notifiers on the event
// loop), applies the speed, data bits, parity, stop bits and flow control, and reports up() with
// the device and its settings. When the line goes away (an adapter unplugged, a pty hung up) or
// cannot be opened, it closes the port, says why (down() only after having been up) and opens
// the path again through a Retry with a bounded backoff; a symlink is resolved anew on every
// attempt, so a udev link such as /dev/serial/by-id/... follows the adapter to whatever ttyUSB it
// comes back as. The backoff starts over once the line has sent data.
//
// Input follows the sources' one contract (writequeue.h): it waits in QSerialPort's write
// buffer, held to WriteQueueLimit by a Backpressure; write() takes what fits and writable()
// comes once the buffer has drained to half. sendBreak() holds the line in BREAK
// (tcsendbreak), as a serial console's SysRq needs.
//
// It owns its port (one per attempt) and its retry timer. It knows nothing about consoles, clients
// or spec syntax beyond its own `serial:` settings, and nothing about what is at the other end of
// the line: a serial line has no size and no notion of being connected.

#include "consolesource.h"
#include "retry.h"
#include "writequeue.h"

#include <QPointer>
#include <QSerialPort>

#include <optional>

namespace CloudConsole {

struct SerialSettings
{
    QString path;
    qint32 baud = 115200;
    QSerialPort::DataBits dataBits = QSerialPort::Data8;
    QSerialPort::Parity parity = QSerialPort::NoParity;
    QSerialPort::StopBits stopBits = QSerialPort::OneStop;
    QSerialPort::FlowControl flow = QSerialPort::NoFlowControl;

    // Parses `serial:PATH?baud=N&parity=P&data=D&stop=S&flow=F` (the `serial:` prefix and every
    // key optional). On error, *error names the key and the values it takes.
    static std::optional<SerialSettings> parse(const QString &spec, QString *error);
    // The canonical spec, with only the keys that differ from the defaults.
    QString toString() const;
    // "115200 8N1", with " hardware flow" or " software flow" when set.
    QString lineSummary() const;
};

class SerialSource : public ConsoleSource
{
    Q_OBJECT
public:
    static constexpr qsizetype WriteQueueLimit = CloudConsole::WriteQueueLimit;
    static constexpr qsizetype MaxReadBurst = CloudConsole::MaxReadBurst;

    explicit SerialSource(const SerialSettings &settings, QObject *parent = nullptr);
    SerialSource(const SerialSettings &settings, Backoff backoff, QObject *parent = nullptr);
    ~SerialSource() override;

    const SerialSettings &settings() const { return m_settings; }

    void start() override;
    bool isUp() const override { return !m_port.isNull(); }
    QString stateReason() const override { return m_reason; }
    qsizetype write(QByteArrayView data) override;
    // Input taken but not yet handed to the kernel.
    qsizetype queuedBytes() const;

    bool canBreak() const override { return true; }
    bool sendBreak() override;

private:
    void tryOpen();
    void onReadyRead(QSerialPort *port);
    void onBytesWritten(QSerialPort *port);
    void onError(QSerialPort *port, QSerialPort::SerialPortError error);
    void dropPort();

    SerialSettings m_settings;
    QPointer<QSerialPort> m_port; // a child, while the line is up
    Retry m_retry;
    Backpressure m_backpressure;
    QByteArray m_readBuffer;
    QString m_reason;
};

} // namespace CloudConsole
