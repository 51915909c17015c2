#include "webhookmessage.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>

namespace CloudConsole::WebhookMessage {

QByteArray body(const QString &console, const Alert &alert, const QString &link)
{
    QJsonObject object {
        {QLatin1String("console"), console},
        {QLatin1String("rule"), alert.rule},
        {QLatin1String("severity"), toString(alert.severity)},
        {QLatin1String("line"), alert.line},
        {QLatin1String("time"),
         QDateTime::fromMSecsSinceEpoch(alert.timeMs, Qt::UTC).toString(Qt::ISODateWithMs)},
        {QLatin1String("offset"), alert.offset},
        {QLatin1String("link"), link},
    };
    if (!alert.state.isEmpty())
        object.insert(QLatin1String("state"), alert.state);
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray signature(const QByteArray &body, const QByteArray &key)
{
    return "sha256="
        + QMessageAuthenticationCode::hash(body, key, QCryptographicHash::Sha256).toHex();
}

} // namespace CloudConsole::WebhookMessage
