#pragma once

// ConsoleRegistry holds a server's consoles by name and knows which one is the default (served
// at "/" and "/ws"). It owns the consoles; it knows nothing about HTTP.

#include "console.h"

#include <QHostAddress>

#include <map>
#include <memory>

namespace CloudConsole {

class ConsoleRegistry
{
public:
    // 1 to 64 characters of A-Z a-z 0-9 . _ -, not starting with a dot.
    static bool isValidName(const QString &name);

    // Adds a console; the first one added is the default.
    void add(std::unique_ptr<Console> console);
    Console *find(const QString &name) const;
    // Takes a console out (its clients are the caller's to close first); nullptr if unknown.
    std::unique_ptr<Console> take(const QString &name);
    void setDefault(const QString &name) { m_defaultName = name; }
    Console *defaultConsole() const { return find(m_defaultName); }
    int totalClients() const;
    // Clients over every console that connected from address.
    int clientsFrom(const QHostAddress &address) const;
    std::vector<Console *> consoles() const;
    // Destroys every console (and so their clients and sources), before the event loop goes.
    void clear() { m_consoles.clear(); }

private:
    std::map<QString, std::unique_ptr<Console>> m_consoles;
    QString m_defaultName;
};

} // namespace CloudConsole
