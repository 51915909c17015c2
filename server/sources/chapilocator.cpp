#include "chapilocator.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace CloudConsole {

ChApiLocator::ChApiLocator(const QString &apiSocket, Device device, QObject *parent)
    : ApiSocketLocator(apiSocket, QStringLiteral("Cloud-Hypervisor API"), parent), m_device(device)
{ }

bool ChApiLocator::ptyFromVmInfo(QByteArrayView json, Device device, QString *path, QString *error)
{
    QJsonParseError parseError {};
    const QJsonDocument document = QJsonDocument::fromJson(json.toByteArray(), &parseError);
    if (!document.isObject()) {
        *error = parseError.error != QJsonParseError::NoError
            ? QStringLiteral("vm.info is not valid JSON (%1)").arg(parseError.errorString())
            : QStringLiteral("vm.info is not a JSON object");
        return false;
    }
    const QString key
        = device == Device::Serial ? QStringLiteral("serial") : QStringLiteral("console");
    const QJsonValue config = document.object().value(QLatin1String("config"));
    const QJsonValue port = config.toObject().value(key);
    if (!config.isObject() || !port.isObject()) {
        *error = QStringLiteral("vm.info has no config.%1").arg(key);
        return false;
    }
    const QJsonObject object = port.toObject();
    const QString mode = object.value(QLatin1String("mode")).toString();
    if (mode == QLatin1String("Pty")) {
        const QString file = object.value(QLatin1String("file")).toString();
        if (file.isEmpty()) {
            *error = QStringLiteral("the VM's %1 is in Pty mode but has no pty yet").arg(key);
            return false;
        }
        *path = file;
        return true;
    }
    if (mode == QLatin1String("Socket")) {
        *error = QStringLiteral("the VM's %1 is a unix socket, not a pty: serve it as unix:%2")
                     .arg(key, object.value(QLatin1String("socket")).toString());
        return false;
    }
    *error = mode.isEmpty()
        ? QStringLiteral("the VM's %1 has no mode").arg(key)
        : QStringLiteral("the VM's %1 is in %2 mode, which has no pty (start the VM with "
                         "--%1 pty)")
              .arg(key, mode);
    return false;
}

void ChApiLocator::onConnected()
{
    m_parser = HttpResponseParser();
    send("GET /api/v1/vm.info HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
         "Connection: close\r\n\r\n");
}

void ChApiLocator::onBytes(QByteArrayView data)
{
    if (m_parser.feed(data) != HttpResponseParser::State::Incomplete)
        answer();
}

void ChApiLocator::onClosed()
{
    m_parser.finish();
    answer();
}

void ChApiLocator::answer()
{
    if (m_parser.state() == HttpResponseParser::State::Error) {
        fail(m_parser.errorString());
        return;
    }
    if (m_parser.status() != 200) {
        // The API says why in its body ("VM is not created", "VM is not booted").
        QString why = QString::fromUtf8(m_parser.body().left(200)).simplified();
        fail(QStringLiteral("vm.info answered %1 %2%3")
                 .arg(m_parser.status())
                 .arg(QString::fromLatin1(m_parser.reason()),
                      why.isEmpty() ? QString() : QStringLiteral(": ") + why));
        return;
    }
    QString path;
    QString error;
    if (ptyFromVmInfo(m_parser.body(), m_device, &path, &error))
        succeed(path);
    else
        fail(error);
}

} // namespace CloudConsole
