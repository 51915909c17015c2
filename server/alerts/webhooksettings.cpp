#include "webhooksettings.h"

#include <QFile>

namespace CloudConsole {

namespace {

// Secrets and CA bundles are small; anything larger is the wrong file.
constexpr qint64 MaxSecretFileSize = 4096;
constexpr qint64 MaxCaFileSize = 1024 * 1024;

QString checkHttpUrl(const QString &text, QUrl *url, const char *what)
{
    const QUrl parsed(text, QUrl::StrictMode);
    const QString scheme = parsed.scheme();
    if (text.isEmpty() || !parsed.isValid() || parsed.isRelative()
        || (scheme != QLatin1String("http") && scheme != QLatin1String("https"))
        || parsed.host().isEmpty())
        return QStringLiteral("\"%1\" is not %2: an http:// or https:// URL with a host")
            .arg(text, QLatin1String(what));
    if (!parsed.userInfo().isEmpty())
        return QStringLiteral("\"%1\": a user name or password in the URL is refused")
            .arg(parsed.toString(QUrl::RemoveUserInfo));
    *url = parsed;
    return {};
}

} // namespace

bool WebhookSettings::load(QString *error)
{
    const auto fail = [&](const QString &why) {
        *error = QStringLiteral("webhook \"%1\": %2").arg(name, why);
        return false;
    };
    if (!secretFile.isEmpty()) {
        QFile file(secretFile);
        if (!file.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("cannot read the secret-file %1: %2")
                            .arg(secretFile, file.errorString()));
        if (file.size() > MaxSecretFileSize)
            return fail(QStringLiteral("the secret-file %1 is larger than 4 KiB").arg(secretFile));
        QByteArray text = file.read(MaxSecretFileSize + 1);
        while (text.endsWith('\n') || text.endsWith('\r'))
            text.chop(1);
        if (text.isEmpty())
            return fail(QStringLiteral("the secret-file %1 is empty").arg(secretFile));
        key = text;
    } else {
        key = secret.toUtf8();
    }
    caCertificates.clear();
    if (!caFile.isEmpty()) {
        QFile file(caFile);
        if (!file.open(QIODevice::ReadOnly))
            return fail(
                QStringLiteral("cannot read the ca %1: %2").arg(caFile, file.errorString()));
        if (file.size() > MaxCaFileSize)
            return fail(QStringLiteral("the ca %1 is larger than 1 MiB").arg(caFile));
        caCertificates = QSslCertificate::fromData(file.read(MaxCaFileSize + 1), QSsl::Pem);
        if (caCertificates.isEmpty())
            return fail(QStringLiteral("the ca %1 holds no PEM certificate").arg(caFile));
    }
    return true;
}

QString parseWebhookUrl(const QString &text, QUrl *url)
{
    return checkHttpUrl(text, url, "a webhook URL");
}

QString parsePublicUrl(const QString &text, QUrl *url)
{
    QUrl parsed;
    if (QString why = checkHttpUrl(text, &parsed, "the server's public URL"); !why.isEmpty())
        return why;
    if (parsed.hasQuery() || parsed.hasFragment())
        return QStringLiteral("\"%1\": the public URL takes no query or fragment").arg(text);
    if (!parsed.path().endsWith(u'/'))
        parsed.setPath(parsed.path() + u'/');
    *url = parsed;
    return {};
}

QString consoleLink(const QUrl &base, const QString &console, qint64 offset)
{
    // Console names are of A-Z a-z 0-9 . _ - (ConsoleRegistry::isValidName): safe in a path.
    return base.resolved(QUrl(QStringLiteral("c/%1/").arg(console))).toString()
        + QStringLiteral("#offset=%1").arg(offset);
}

} // namespace CloudConsole
