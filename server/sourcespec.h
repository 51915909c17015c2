#pragma once

// SourceSpec names where a console's bytes come from, as written on the command line:
//
//   /dev/pts/3, pty:/run/vm1.pty   a pty path, or a symlink to one (a bare path means pty:)
//   exec:COMMAND                   COMMAND run by /bin/sh in a new pty owned by the server
//   unix:/run/vm1.serial           a unix socket, connected to as a client
//   tcp:HOST:PORT                  a TCP connection, raw bytes (IPv6 hosts in brackets)
//   telnet:HOST:PORT               a TCP connection speaking telnet (BREAK supported)
//   serial:/dev/ttyUSB0?baud=9600  a serial line; query keys baud, parity, data, stop, flow
//                                  (defaults 115200, none, 8, 1, none; BREAK supported)
//
// Parsing is pure, so the command line can refuse a bad spec before anything starts; probe()
// checks what can be checked at start-up, and createSource() makes the source.

#include "consolesource.h"
#include "execsource.h"
#include "serialsource.h"
#include "streamsocketsource.h"

#include <QString>

#include <memory>
#include <optional>

namespace CloudConsole {

struct SourceSpec
{
    enum class Kind { Pty, Exec, Socket, Serial };
    Kind kind = Kind::Pty;
    QString target; // the pty path, or the command
    StreamSocketSource::Endpoint endpoint; // for Socket
    SerialSettings serial; // for Serial
    ExecSource::RestartPolicy restart = ExecSource::RestartPolicy::Never; // for Exec

    QString toString() const;
};

std::optional<SourceSpec> parseSourceSpec(const QString &text, QString *error);
// A pty must exist and be a terminal at start-up; sockets and serial devices may come later.
bool probeSource(const SourceSpec &spec, QString *error);
std::unique_ptr<ConsoleSource> createSource(const SourceSpec &spec);

} // namespace CloudConsole
