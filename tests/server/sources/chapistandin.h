#pragma once

// The stand-in for Cloud-Hypervisor's REST API that the tests of ch: consoles and of CH discovery
// share: a unix socket that answers GET /api/v1/vm.info as Cloud-Hypervisor does, with a VmInfo of
// the documented shape. It owns its QLocalServer; closing it (or destroying it) removes the
// socket, as Cloud-Hypervisor does when it exits.

#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QLocalServer>
#include <QLocalSocket>

namespace CloudConsole::Test {

inline QByteArray vmInfo(const QString &serialMode, const QString &serialFile,
                         const QString &consoleMode = QStringLiteral("Off"),
                         const QString &consoleFile = QString())
{
    // The shape Cloud-Hypervisor's API documents for VmInfo (most of VmConfig left out).
    const auto port = [](const QString &mode, const QString &file) {
        QJsonObject object {{QStringLiteral("mode"), mode},
                            {QStringLiteral("iommu"), false},
                            {QStringLiteral("socket"), QJsonValue::Null}};
        object.insert(QStringLiteral("file"),
                      file.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(file));
        if (mode == QLatin1String("Socket"))
            object.insert(QStringLiteral("socket"), QStringLiteral("/run/vm1/serial.sock"));
        return object;
    };
    const QJsonObject config {
        {QStringLiteral("cpus"), QJsonObject {{QStringLiteral("boot_vcpus"), 2}}},
        {QStringLiteral("serial"), port(serialMode, serialFile)},
        {QStringLiteral("console"), port(consoleMode, consoleFile)},
    };
    return QJsonDocument(QJsonObject {{QStringLiteral("config"), config},
                                      {QStringLiteral("state"), QStringLiteral("Running")},
                                      {QStringLiteral("memory_actual_size"), 536870912}})
        .toJson(QJsonDocument::Compact);
}

// Answers GET /api/v1/vm.info as Cloud-Hypervisor does: HTTP/1.1 on a unix socket, keeping the
// connection open after the answer.
class ChApiStandIn : public QObject
{
public:
    explicit ChApiStandIn(const QString &path)
    {
        QLocalServer::removeServer(path);
        listening = server.listen(path);
        connect(&server, &QLocalServer::newConnection, this, [this] {
            while (QLocalSocket *socket = server.nextPendingConnection()) {
                connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
                    QByteArray &request = pending[socket];
                    request += socket->readAll();
                    if (!request.contains("\r\n\r\n"))
                        return;
                    requests.append(request);
                    if (silent)
                        return;
                    socket->write("HTTP/1.1 " + QByteArray::number(status) + " " + reason
                                  + "\r\nServer: Cloud Hypervisor API\r\n"
                                  + "Connection: keep-alive\r\nContent-Type: application/json\r\n"
                                  + "Content-Length: " + QByteArray::number(body.size())
                                  + "\r\n\r\n" + body);
                });
            }
        });
    }

    QLocalServer server;
    bool listening = false;
    int status = 200;
    QByteArray reason = "OK";
    QByteArray body;
    bool silent = false;
    QList<QByteArray> requests;
    QHash<QLocalSocket *, QByteArray> pending;
};

} // namespace CloudConsole::Test
