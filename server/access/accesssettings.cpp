#include "accesssettings.h"

#include <QFile>
#include <QRegularExpression>

namespace CloudConsole {

bool isConsolePattern(const QString &item)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9._*-]{1,64}\\z"));
    return item.contains(u'*') && pattern.match(item).hasMatch();
}

bool consoleListAllows(const QStringList &consoles, const QString &console)
{
    if (consoles.isEmpty() || consoles.contains(console))
        return true;
    for (const QString &item : consoles) {
        if (!item.contains(u'*'))
            continue;
        // Console names hold no characters a wildcard treats specially but * itself.
        const QRegularExpression wildcard(QRegularExpression::anchoredPattern(
            QRegularExpression::escape(item).replace(QLatin1String("\\*"), QLatin1String(".*"))));
        if (wildcard.match(console).hasMatch())
            return true;
    }
    return false;
}

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
