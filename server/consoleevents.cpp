#include "consoleevents.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrlQuery>

namespace CloudConsole {

void ConsoleEvents::record(QString type, qint64 offset, QJsonObject detail)
{
    record(std::move(type), offset, QDateTime::currentMSecsSinceEpoch(), std::move(detail));
}

void ConsoleEvents::record(QString type, qint64 offset, qint64 timeMs, QJsonObject detail)
{
    if (m_events.size() >= MaxEvents) {
        m_events.pop_front();
        ++m_forgotten;
    }
    m_events.push_back({m_nextId++, timeMs, offset, std::move(type), std::move(detail)});
}

const QStringList &ConsoleEvents::knownTypes()
{
    static const QStringList types {QStringLiteral("alert"),        QStringLiteral("source-up"),
                                    QStringLiteral("source-down"),  QStringLiteral("client-join"),
                                    QStringLiteral("client-leave"), QStringLiteral("resize"),
                                    QStringLiteral("break"),        QStringLiteral("control")};
    return types;
}

std::optional<ConsoleEvents::Query> ConsoleEvents::parseQuery(const QString &query, QString *error)
{
    Query parsed;
    const QUrlQuery items(query);
    for (const auto &[key, value] : items.queryItems(QUrl::FullyDecoded)) {
        bool ok = false;
        if (key == QLatin1String("since")) {
            parsed.since = value.toLongLong(&ok);
            if (!ok || parsed.since < 0) {
                *error = QStringLiteral("since must be an event id, 0 or more");
                return std::nullopt;
            }
        } else if (key == QLatin1String("limit")) {
            parsed.limit = value.toLongLong(&ok);
            if (!ok || parsed.limit < 1 || parsed.limit > MaxEvents) {
                *error = QStringLiteral("limit must be a number from 1 to %1").arg(MaxEvents);
                return std::nullopt;
            }
        } else if (key == QLatin1String("type")) {
            for (const QString &type : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
                if (!knownTypes().contains(type)) {
                    *error = QStringLiteral("unknown event type \"%1\" (known: %2)")
                                 .arg(type.left(40), knownTypes().join(QLatin1String(", ")));
                    return std::nullopt;
                }
                parsed.types += type;
            }
        } else {
            *error = QStringLiteral("unknown parameter \"%1\" (since, type and limit are known)")
                         .arg(key.left(40));
            return std::nullopt;
        }
    }
    return parsed;
}

QByteArray ConsoleEvents::json(const QString &console, const Query &query) const
{
    // The newest `limit` of those asked for, oldest first.
    std::vector<const ConsoleEvent *> chosen;
    for (auto it = m_events.rbegin(); it != m_events.rend(); ++it) {
        if (it->id <= query.since || qsizetype(chosen.size()) >= query.limit)
            break;
        if (query.types.isEmpty() || query.types.contains(it->type))
            chosen.push_back(&*it);
    }
    QJsonArray list;
    for (auto it = chosen.rbegin(); it != chosen.rend(); ++it) {
        const ConsoleEvent &event = **it;
        QJsonObject object = event.detail;
        object.insert(QLatin1String("id"), event.id);
        object.insert(
            QLatin1String("time"),
            QDateTime::fromMSecsSinceEpoch(event.timeMs, Qt::UTC).toString(Qt::ISODateWithMs));
        object.insert(QLatin1String("offset"), event.offset);
        object.insert(QLatin1String("type"), event.type);
        list.append(object);
    }
    QJsonObject document;
    document.insert(QLatin1String("console"), console);
    document.insert(QLatin1String("events"), list);
    document.insert(QLatin1String("forgotten"), m_forgotten);
    document.insert(QLatin1String("next"), m_nextId - 1);
    return QJsonDocument(document).toJson(QJsonDocument::Compact);
}

} // namespace CloudConsole
