#pragma once

// The presence event of a console: who is attached (name, role, kind, address, when they joined
// and last typed), whether its input is shared or exclusive, who holds the keyboard, and which
// of them the event is for. A function of the sessions as they are; it keeps nothing.

#include "protocol.h"

#include <optional>
#include <vector>

namespace CloudConsole {

class ClientSession;

// hideAddresses: every address left empty, for a share link's visitor (someone from outside,
// who is shown who is here but not where they connect from).
Protocol::ClientsEvent presence(const std::vector<ClientSession *> &clients,
                                const ClientSession &you, bool exclusive,
                                std::optional<qint64> holder, bool hideAddresses = false);

} // namespace CloudConsole
