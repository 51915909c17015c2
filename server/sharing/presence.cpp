#include "presence.h"

#include "clientsession.h"

#include <QDateTime>

namespace CloudConsole {

namespace {

QString isoTime(qint64 ms)
{
    return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs)
                  : QString();
}

} // namespace

Protocol::ClientsEvent presence(const std::vector<ClientSession *> &clients,
                                const ClientSession &you, bool exclusive,
                                std::optional<qint64> holder, bool hideAddresses)
{
    Protocol::ClientsEvent event;
    event.you = you.id();
    event.input = exclusive ? QStringLiteral("exclusive") : QStringLiteral("shared");
    event.holder = exclusive ? holder : std::nullopt;
    event.clients.reserve(clients.size());
    for (const ClientSession *client : clients) {
        event.clients.push_back(Protocol::ClientInfo {
            client->id(),
            client->user().isEmpty() ? QStringLiteral("anonymous") : client->user(),
            client->isWritable() ? QStringLiteral("operator") : QStringLiteral("viewer"),
            client->kind().isEmpty() ? QStringLiteral("script") : client->kind(),
            hideAddresses ? QString() : client->peer(),
            isoTime(client->joinedMs()),
            isoTime(client->typedMs()),
        });
    }
    return event;
}

} // namespace CloudConsole
