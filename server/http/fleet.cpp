#include "fleet.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSysInfo>

namespace CloudConsole {

namespace {

bool isHostName(const QString &name)
{
    static const QRegularExpression word(QStringLiteral("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}\\z"));
    return word.match(name).hasMatch();
}

} // namespace

QString parseFleet(const QString &text, std::vector<FleetHost> *hosts)
{
    // A path on the proxy's origin: the wall fetches it with the user's cookies, so another
    // origin would need its own login and CORS, which a fleet behind one proxy does not.
    static const QRegularExpression path(QStringLiteral("^/[A-Za-z0-9._~%/-]*\\z"));
    std::vector<FleetHost> parsed;
    for (const QString &item : text.split(u',', Qt::SkipEmptyParts)) {
        const QString trimmed = item.trimmed();
        const qsizetype equals = trimmed.indexOf(u'=');
        if (equals < 0)
            return QStringLiteral("\"%1\" is not NAME=/PATH/ (a host's name and its prefix on the "
                                  "proxy, such as host2=/h/host2/)")
                .arg(trimmed);
        const QString name = trimmed.left(equals).trimmed();
        QString prefix = trimmed.mid(equals + 1).trimmed();
        if (!isHostName(name))
            return QStringLiteral("host name \"%1\" must be 1 to 64 of A-Z a-z 0-9 . _ -, not "
                                  "starting with a dot")
                .arg(name);
        if (!path.match(prefix).hasMatch() || prefix.contains(QLatin1String("//"))
            || prefix.split(u'/').contains(QLatin1String("..")))
            return QStringLiteral("prefix \"%1\" of %2 must be an absolute path on this origin, "
                                  "such as /h/%2/ (no scheme, host, \"..\" or \"//\")")
                .arg(prefix, name);
        if (!prefix.endsWith(u'/'))
            prefix += u'/';
        for (const FleetHost &host : parsed) {
            if (host.name == name)
                return QStringLiteral("host %1 is named twice").arg(name);
        }
        parsed.push_back({name, prefix});
    }
    *hosts = std::move(parsed);
    return {};
}

QString parseFleetName(const QString &text, QString *name)
{
    if (!isHostName(text))
        return QStringLiteral("must be 1 to 64 of A-Z a-z 0-9 . _ -, not starting with a dot");
    *name = text;
    return {};
}

QString fleetText(const std::vector<FleetHost> &hosts)
{
    QStringList items;
    for (const FleetHost &host : hosts)
        items += host.name + u'=' + host.prefix;
    return items.join(QLatin1String(", "));
}

QByteArray renderFleetJson(const FleetSettings &fleet)
{
    QJsonArray hosts;
    for (const FleetHost &host : fleet.hosts)
        hosts.append(QJsonObject {{QStringLiteral("name"), host.name},
                                  {QStringLiteral("prefix"), host.prefix}});
    const QString self = fleet.self.isEmpty() ? QSysInfo::machineHostName() : fleet.self;
    return QJsonDocument(
               QJsonObject {{QStringLiteral("self"), self}, {QStringLiteral("hosts"), hosts}})
        .toJson(QJsonDocument::Compact);
}

} // namespace CloudConsole
