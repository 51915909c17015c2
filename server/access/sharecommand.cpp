#include "sharecommand.h"

#include "sharelinks.h"

#include <QHostInfo>

#include <pwd.h>
#include <unistd.h>

namespace CloudConsole {

namespace {

int fail(std::FILE *err, const QString &message)
{
    std::fprintf(err, "cloud-console: %s\n", qPrintable(message));
    return 1;
}

// Who makes a link from the command line, for the list: "cli:" and the user's name.
QString commandLineUser()
{
    const passwd *user = ::getpwuid(::geteuid());
    return QStringLiteral("cli:")
        + (user ? QString::fromLocal8Bit(user->pw_name) : QString::number(::geteuid()));
}

// Where the server is reached: public-url, else the address it listens on (a wildcard address
// stands for this host's name). Empty and *error when neither says.
QUrl serverUrl(const ServerOptions &options, QString *error)
{
    if (!options.publicUrl.isEmpty())
        return options.publicUrl;
    if (options.port == 0) {
        *error = QStringLiteral("the server picks its port when it starts (listen = ...:0): set "
                                "public-url in [server] so that links can name it");
        return {};
    }
    QString host;
    const QHostAddress &address = options.address;
    if (address == QHostAddress::Any || address == QHostAddress::AnyIPv4
        || address == QHostAddress::AnyIPv6)
        host = QHostInfo::localHostName();
    else if (address.protocol() == QAbstractSocket::IPv6Protocol)
        host = u'[' + address.toString() + u']';
    else
        host = address.toString();
    return QUrl(
        QStringLiteral("%1://%2:%3/")
            .arg(options.tls.enabled() ? QStringLiteral("https") : QStringLiteral("http"), host)
            .arg(options.port));
}

QString utc(const QDateTime &time)
{
    return time.isValid() ? time.toUTC().toString(Qt::ISODate) : QStringLiteral("-");
}

QString stateName(const ShareLink &link)
{
    switch (link.state(QDateTime::currentDateTimeUtc())) {
    case ShareLink::State::Live:
        return QStringLiteral("live");
    case ShareLink::State::Expired:
        return QStringLiteral("expired");
    case ShareLink::State::Revoked:
        return QStringLiteral("revoked");
    case ShareLink::State::Used:
        return QStringLiteral("used");
    }
    return {};
}

} // namespace

int runShareCommand(const ParsedOptions &parsed, std::FILE *out, std::FILE *err)
{
    const ServerOptions &options = parsed.options;
    const ShareCommand &command = parsed.share;
    ShareLinks links(options.access.stateDir);
    QString error;
    switch (command.action) {
    case ShareCommand::Action::Create: {
        const QUrl base = serverUrl(options, &error);
        if (base.isEmpty())
            return fail(err, error);
        const std::optional<ShareLinks::Issued> issued = links.create(
            command.console, command.lifetime, command.singleUse, commandLineUser(), &error);
        if (!issued)
            return fail(err, QStringLiteral("cannot make a share link: ") + error);
        // The URL alone on standard output, for scripts; the rest on standard error.
        std::fprintf(
            out, "%s\n",
            qPrintable(base.resolved(QUrl(QStringLiteral("share/") + issued->token)).toString()));
        std::fprintf(err,
                     "cloud-console: share link %s: console \"%s\" read-only until %s%s; "
                     "revoke it with --revoke %s\n",
                     qPrintable(issued->link.id), qPrintable(command.console),
                     qPrintable(utc(issued->link.expires)), command.singleUse ? ", single-use" : "",
                     qPrintable(issued->link.id));
        return 0;
    }
    case ShareCommand::Action::List: {
        const std::vector<ShareLink> list = links.list(command.console, &error);
        if (!error.isEmpty())
            return fail(err, error);
        std::fprintf(out, "%-12s  %-16s  %-7s  %-20s  %-10s  %s\n", "ID", "CONSOLE", "STATE",
                     "EXPIRES", "SINGLE-USE", "CREATED-BY");
        for (const ShareLink &link : list) {
            std::fprintf(out, "%-12s  %-16s  %-7s  %-20s  %-10s  %s\n", qPrintable(link.id),
                         qPrintable(link.console), qPrintable(stateName(link)),
                         qPrintable(utc(link.expires)),
                         link.singleUse ? (link.usedAt.isValid() ? "used" : "yes") : "no",
                         qPrintable(link.createdBy));
        }
        return 0;
    }
    case ShareCommand::Action::Revoke: {
        ShareLink revoked;
        if (!links.revoke(command.id, &revoked, &error))
            return fail(err, error);
        std::fprintf(out, "cloud-console: revoked share link %s of console \"%s\"\n",
                     qPrintable(revoked.id), qPrintable(revoked.console));
        return 0;
    }
    }
    return 1;
}

} // namespace CloudConsole
