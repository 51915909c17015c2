#include "accesssettings.h"

#include <QFile>
#include <QRegularExpression>

namespace CloudConsole {

bool TlsSettings::load(QString *error)
{
    if (certificatePath.isEmpty() != keyPath.isEmpty()) {
        *error = QStringLiteral("TLS needs both a certificate (tls-cert) and a key (tls-key)");
        return false;
    }
    if (!enabled())
        return true;
    QFile certificateFile(certificatePath);
    if (!certificateFile.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read the TLS certificate %1: %2")
                     .arg(certificatePath, certificateFile.errorString());
        return false;
    }
    certificateChain = QSslCertificate::fromData(certificateFile.readAll(), QSsl::Pem);
    if (certificateChain.isEmpty()) {
        *error = QStringLiteral("%1 holds no PEM certificate").arg(certificatePath);
        return false;
    }
    QFile keyFile(keyPath);
    if (!keyFile.open(QIODevice::ReadOnly)) {
        *error
            = QStringLiteral("cannot read the TLS key %1: %2").arg(keyPath, keyFile.errorString());
        return false;
    }
    const QByteArray pem = keyFile.readAll();
    for (QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec}) {
        key = QSslKey(pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            break;
    }
    if (key.isNull()) {
        *error = QStringLiteral("%1 holds no unencrypted PEM RSA or EC private key").arg(keyPath);
        return false;
    }
    return true;
}

} // namespace CloudConsole
