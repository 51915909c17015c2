#include "proxytrust.h"

#include <QRegularExpression>
#include <QStringList>

namespace CloudConsole {

namespace {

// The peer as the networks are written: an IPv4 client of a dual-stack socket arrives as
// ::ffff:a.b.c.d.
QHostAddress plain(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4) : address;
}

} // namespace

QString parseTrustedProxies(const QString &text,
                            std::vector<std::pair<QHostAddress, int>> *networks)
{
    std::vector<std::pair<QHostAddress, int>> parsed;
    for (const QString &item : text.split(u',', Qt::SkipEmptyParts)) {
        const QString trimmed = item.trimmed();
        std::pair<QHostAddress, int> network;
        if (trimmed.contains(u'/')) {
            network = QHostAddress::parseSubnet(trimmed);
        } else {
            const QHostAddress address(trimmed);
            if (!address.isNull())
                network = {address, address.protocol() == QAbstractSocket::IPv4Protocol ? 32 : 128};
        }
        if (network.first.isNull())
            return QStringLiteral("\"%1\" is not an IP address or network (such as 127.0.0.1, "
                                  "10.0.0.0/8 or fd00::/8)")
                .arg(trimmed);
        parsed.push_back(network);
    }
    *networks = std::move(parsed);
    return {};
}

QString trustedProxiesText(const std::vector<std::pair<QHostAddress, int>> &networks)
{
    QStringList items;
    for (const auto &[address, prefix] : networks)
        items += QStringLiteral("%1/%2").arg(address.toString()).arg(prefix);
    return items.join(QLatin1String(", "));
}

QString parseUserHeader(const QString &text, QByteArray *header)
{
    static const QRegularExpression token(QStringLiteral("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}\\z"));
    if (!token.match(text).hasMatch())
        return QStringLiteral("\"%1\" is not an HTTP header name").arg(text);
    if (text.compare(QLatin1String("Authorization"), Qt::CaseInsensitive) == 0
        || text.compare(QLatin1String("Cookie"), Qt::CaseInsensitive) == 0)
        return QStringLiteral("%1 carries the server's own credentials, not a proxy's user")
            .arg(text);
    *header = text.toLatin1();
    return {};
}

bool ProxyTrust::trusts(const ProxyTrustSettings &settings, const QHostAddress &peer)
{
    const QHostAddress address = plain(peer);
    for (const auto &network : settings.networks) {
        if (address.isInSubnet(network))
            return true;
    }
    return false;
}

ProxyTrust::Answer ProxyTrust::judge(const ProxyTrustSettings &settings, const QHostAddress &peer,
                                     QByteArrayView headerValue, bool present)
{
    Answer answer;
    if (!present || !settings.enabled())
        return answer;
    if (!trusts(settings, peer)) {
        answer.verdict = Verdict::Untrusted;
        answer.reason = QStringLiteral("a %1 header from %2, which is not a trusted proxy, is "
                                       "ignored")
                            .arg(QString::fromLatin1(settings.userHeader), plain(peer).toString());
        return answer;
    }
    // A name as the configuration's [user NAME] sections write them; anything else (an empty
    // value, several names, control characters) is the proxy's mistake, refused.
    static const QRegularExpression name(QStringLiteral("^[A-Za-z0-9_@.+-]{1,128}\\z"));
    const QString value = QString::fromUtf8(headerValue.trimmed());
    if (!name.match(value).hasMatch()) {
        answer.verdict = Verdict::Malformed;
        answer.reason = QStringLiteral("the trusted proxy's %1 header is not a user name")
                            .arg(QString::fromLatin1(settings.userHeader));
        return answer;
    }
    answer.verdict = Verdict::User;
    answer.user = value;
    return answer;
}

} // namespace CloudConsole
