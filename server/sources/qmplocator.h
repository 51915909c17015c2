#pragma once

// QmpLocator finds a QEMU VM's console pty by asking QEMU's QMP monitor on its unix socket
// (`-qmp unix:PATH,server=on,wait=off`): after the greeting and qmp_capabilities it runs
// query-chardev and takes the chardev with the wanted label ("serial0" for `-serial pty`, or the
// id of `-chardev pty,id=NAME`), whose filename is "pty:/dev/pts/N". QEMU 7.2 cannot be told a
// pty path, so this is how a console finds the pty of a QEMU that was restarted.
//
// QmpReader splits the monitor's stream into JSON messages; asynchronous events between them are
// skipped. It owns nothing but the connection of the question in flight (see
// ApiSocketLocator).

#include "apisocketlocator.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>

namespace CloudConsole {

// Splits QMP's output, one JSON object per line, into objects; fed in pieces of any size.
class QmpReader
{
public:
    static constexpr qsizetype MaxMessageSize = 1024 * 1024;

    // Appends the complete messages in data to *messages; false (and *error) on a malformed or
    // oversized message, after which the stream is not to be trusted.
    bool feed(QByteArrayView data, QList<QJsonObject> *messages, QString *error);

private:
    QByteArray m_line;
};

class QmpLocator : public ApiSocketLocator
{
    Q_OBJECT
public:
    QmpLocator(const QString &qmpSocket, const QString &chardev, QObject *parent = nullptr);

    // The pty path of chardev in a query-chardev answer, or an error saying why there is none.
    static bool ptyFromChardevs(const QJsonArray &chardevs, const QString &chardev, QString *path,
                                QString *error);

protected:
    void onConnected() override;
    void onBytes(QByteArrayView data) override;
    void onClosed() override;

private:
    enum class Step { Greeting, Capabilities, Query };
    void onMessage(const QJsonObject &message);

    QString m_chardev;
    QmpReader m_reader;
    Step m_step = Step::Greeting;
};

} // namespace CloudConsole
