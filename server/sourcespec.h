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
//   ch:/run/vm1/api.sock           the pty Cloud-Hypervisor's API names (vm.info), asked again
//                                  after every hang-up, so the console follows reboots
//   qmp:/run/vm1.qmp               the pty QEMU's QMP names (query-chardev), likewise
//
// pty:, ch: and qmp: take ?device=serial (the default) or ?device=console, for a virtio-console
// (hvc) pty, which has a size and takes BREAK as hvc's SysRq prefix; qmp: also takes
// ?chardev=NAME (default serial0, the chardev of `-serial pty`). Keys join with &.
//
// Parsing is pure, so the command line can refuse a bad spec before anything starts; probe()
// checks what can be checked at start-up, and createSource() makes the source.

#include "consolesource.h"
#include "execsource.h"
#include "ptysource.h"
#include "serialsource.h"
#include "streamsocketsource.h"

#include <QString>

#include <memory>
#include <optional>

namespace CloudConsole {

struct SourceSpec
{
    enum class Kind { Pty, Exec, Socket, Serial, ChApi, Qmp };
    Kind kind = Kind::Pty;
    QString target; // the pty path, the command, or the API socket's path
    PtySource::Device device = PtySource::Device::Serial; // for Pty, ChApi, Qmp
    QString chardev = QStringLiteral("serial0"); // for Qmp
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
