#include "consoleregistry.h"

#include "clientsession.h"

namespace CloudConsole {

bool ConsoleRegistry::isValidName(const QString &name)
{
    if (name.isEmpty() || name.size() > 64 || name.startsWith(QLatin1Char('.')))
        return false;
    for (QChar c : name) {
        const bool ok = (c >= QLatin1Char('a') && c <= QLatin1Char('z'))
            || (c >= QLatin1Char('A') && c <= QLatin1Char('Z'))
            || (c >= QLatin1Char('0') && c <= QLatin1Char('9')) || c == QLatin1Char('.')
            || c == QLatin1Char('_') || c == QLatin1Char('-');
        if (!ok)
            return false;
    }
    return true;
}

void ConsoleRegistry::add(std::unique_ptr<Console> console)
{
    if (m_consoles.empty())
        m_defaultName = console->name();
    const QString name = console->name();
    m_consoles[name] = std::move(console);
}

Console *ConsoleRegistry::find(const QString &name) const
{
    const auto it = m_consoles.find(name);
    return it == m_consoles.end() ? nullptr : it->second.get();
}

std::unique_ptr<Console> ConsoleRegistry::take(const QString &name)
{
    const auto it = m_consoles.find(name);
    if (it == m_consoles.end())
        return nullptr;
    std::unique_ptr<Console> console = std::move(it->second);
    m_consoles.erase(it);
    m_discovered.erase(name);
    return console;
}

std::optional<DiscoveryMark> ConsoleRegistry::discoveryMark(const QString &name) const
{
    const auto it = m_discovered.find(name);
    if (it == m_discovered.end())
        return std::nullopt;
    return it->second;
}

int ConsoleRegistry::totalClients() const
{
    int total = 0;
    for (const auto &entry : m_consoles)
        total += entry.second->clientCount();
    return total;
}

int ConsoleRegistry::clientsFrom(const QHostAddress &address) const
{
    int total = 0;
    for (const auto &entry : m_consoles) {
        for (const ClientSession *client : entry.second->clients())
            total += client->peerAddress() == address ? 1 : 0;
    }
    return total;
}

std::vector<Console *> ConsoleRegistry::consoles() const
{
    std::vector<Console *> all;
    for (const auto &entry : m_consoles)
        all.push_back(entry.second.get());
    return all;
}

} // namespace CloudConsole
