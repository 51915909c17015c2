#pragma once

// TestHttpsEndpoint is a real HTTPS server for tests of what the server sends out (webhooks): a
// QSslServer on an ephemeral loopback port with a certificate for 127.0.0.1 signed by a CA of the
// test's own (TestCertificates: made at test time with the openssl command, so nothing secret is
// in the tree), recording every request it reads (method, path, headers, body) and answering each
// as told: a status, or never (the request is read and the connection stays open, unanswered).
// Connections are kept alive, as a real endpoint's are.
//
// It owns its server and connections; it knows nothing of cloud-console.

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QMap>
#include <QMessageAuthenticationCode>
#include <QProcess>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QString>

#include <memory>
#include <vector>

namespace CloudConsole::Test {

// A CA and a certificate for 127.0.0.1 (and localhost) that it signed, in dir: ca.pem,
// server.pem, server.key.
class TestCertificates
{
public:
    explicit TestCertificates(const QString &dir) : m_dir(dir) { }

    // Runs openssl; false with error() when it cannot.
    bool make()
    {
        QFile extensions(path("server.ext"));
        if (!extensions.open(QIODevice::WriteOnly)
            || extensions.write("basicConstraints = CA:FALSE\n"
                                "keyUsage = digitalSignature\n"
                                "extendedKeyUsage = serverAuth\n"
                                "subjectAltName = IP:127.0.0.1, DNS:localhost\n")
                < 0)
            return fail(QStringLiteral("cannot write %1").arg(extensions.fileName()));
        extensions.close();
        const QStringList ec {
            QStringLiteral("-newkey"), QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
            QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes")};
        return run(QStringList {QStringLiteral("req"), QStringLiteral("-x509")} + ec
                   + QStringList {QStringLiteral("-keyout"), path("ca.key"), QStringLiteral("-out"),
                                  path("ca.pem"), QStringLiteral("-days"), QStringLiteral("2"),
                                  QStringLiteral("-subj"),
                                  QStringLiteral("/CN=cloud-console test CA"),
                                  QStringLiteral("-addext"),
                                  QStringLiteral("basicConstraints=critical,CA:TRUE"),
                                  QStringLiteral("-addext"),
                                  QStringLiteral("keyUsage=critical,keyCertSign,cRLSign")})
            && run(QStringList {QStringLiteral("req")} + ec
                   + QStringList {QStringLiteral("-keyout"), path("server.key"),
                                  QStringLiteral("-out"), path("server.csr"),
                                  QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1")})
            && run({QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"),
                    path("server.csr"), QStringLiteral("-CA"), path("ca.pem"),
                    QStringLiteral("-CAkey"), path("ca.key"), QStringLiteral("-CAcreateserial"),
                    QStringLiteral("-out"), path("server.pem"), QStringLiteral("-days"),
                    QStringLiteral("2"), QStringLiteral("-extfile"), path("server.ext")});
    }

    QString caPath() const { return path("ca.pem"); }
    QString certificatePath() const { return path("server.pem"); }
    QString keyPath() const { return path("server.key"); }
    QString error() const { return m_error; }

private:
    QString path(const char *name) const { return QDir(m_dir).filePath(QLatin1String(name)); }
    bool fail(const QString &why)
    {
        m_error = why;
        return false;
    }
    bool run(const QStringList &arguments)
    {
        QProcess openssl;
        openssl.setProcessChannelMode(QProcess::MergedChannels);
        openssl.start(QStringLiteral("openssl"), arguments);
        if (!openssl.waitForFinished(60000) || openssl.exitStatus() != QProcess::NormalExit
            || openssl.exitCode() != 0)
            return fail(QStringLiteral("openssl %1: %2 %3")
                            .arg(arguments.join(u' '), openssl.errorString(),
                                 QString::fromLocal8Bit(openssl.readAll())));
        return true;
    }

    QString m_dir;
    QString m_error;
};

// "sha256=" and the lowercase hex HMAC-SHA256 of body with key, as a receiver checks it.
inline QByteArray hmacSignature(const QByteArray &body, const QByteArray &key)
{
    return "sha256="
        + QMessageAuthenticationCode::hash(body, key, QCryptographicHash::Sha256).toHex();
}

class TestHttpsEndpoint : public QObject
{
public:
    struct Request
    {
        QByteArray method;
        QByteArray path;
        QMap<QByteArray, QByteArray> headers; // names in lower case
        QByteArray body;
        QByteArray header(const char *name) const { return headers.value(QByteArray(name)); }
    };

    explicit TestHttpsEndpoint(const TestCertificates &certificates)
    {
        QFile certificate(certificates.certificatePath());
        QFile key(certificates.keyPath());
        if (!certificate.open(QIODevice::ReadOnly) || !key.open(QIODevice::ReadOnly))
            return;
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.setLocalCertificate(QSslCertificate(certificate.readAll(), QSsl::Pem));
        ssl.setPrivateKey(QSslKey(key.readAll(), QSsl::Ec, QSsl::Pem));
        ssl.setPeerVerifyMode(QSslSocket::VerifyNone);
        m_server.setSslConfiguration(ssl);
        QObject::connect(&m_server, &QTcpServer::pendingConnectionAvailable, this,
                         [this] { accept(); });
        m_server.listen(QHostAddress::LocalHost, 0);
    }

    bool isListening() const { return m_server.isListening(); }
    quint16 port() const { return m_server.serverPort(); }
    QString url(const QString &path = QStringLiteral("/hook")) const
    {
        return QStringLiteral("https://127.0.0.1:%1%2").arg(port()).arg(path);
    }

    // From now on, each request is answered with status (0: never answered).
    void answerWith(int status) { m_status = status; }
    void hang() { m_status = 0; }

    // Every request read, in order.
    std::vector<Request> requests;
    int connections = 0; // TLS connections accepted
    int answered = 0;

    // Requests read and not answered, on connections still open.
    int waiting() const
    {
        int count = 0;
        for (const auto &connection : m_connections)
            count += connection->state() == QAbstractSocket::ConnectedState
                ? connection->property("waiting").toInt()
                : 0;
        return count;
    }

private:
    void accept()
    {
        while (QTcpSocket *socket = m_server.nextPendingConnection()) {
            ++connections;
            m_connections.emplace_back(socket);
            auto buffer = std::make_shared<QByteArray>();
            QObject::connect(socket, &QIODevice::readyRead, this,
                             [this, socket, buffer] { read(socket, *buffer); });
        }
    }

    void read(QTcpSocket *socket, QByteArray &buffer)
    {
        buffer += socket->readAll();
        for (;;) {
            const qsizetype end = buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const QList<QByteArray> lines = buffer.left(end).split('\n');
            Request request;
            const QList<QByteArray> first = lines.value(0).trimmed().split(' ');
            request.method = first.value(0);
            request.path = first.value(1);
            for (qsizetype i = 1; i < lines.size(); ++i) {
                const qsizetype colon = lines[i].indexOf(':');
                if (colon > 0)
                    request.headers.insert(lines[i].left(colon).trimmed().toLower(),
                                           lines[i].mid(colon + 1).trimmed());
            }
            const qsizetype length = request.header("content-length").toLongLong();
            if (buffer.size() < end + 4 + length)
                return;
            request.body = buffer.mid(end + 4, length);
            buffer.remove(0, end + 4 + length);
            requests.push_back(request);
            if (m_status == 0) {
                socket->setProperty("waiting", socket->property("waiting").toInt() + 1);
                continue;
            }
            ++answered;
            socket->write(QByteArrayLiteral("HTTP/1.1 ") + QByteArray::number(m_status)
                          + QByteArrayLiteral(" Test\r\nContent-Type: text/plain\r\n"
                                              "Content-Length: 2\r\n\r\nok"));
        }
    }

    QSslServer m_server;
    std::vector<std::unique_ptr<QTcpSocket>> m_connections;
    int m_status = 200;
};

} // namespace CloudConsole::Test
