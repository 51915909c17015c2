#pragma once

// LibvirtDomainXml reads what discovery needs from a domain's XML (virDomainGetXMLDesc): the
// console device to serve and where it is now. libvirt's documented format: a `<serial>` is a
// serial port (ttyS0 in the guest), a `<console>` with `<target type='serial'>` is the same port
// again (libvirt lists the first serial port twice), one with `<target type='virtio'>` a virtio
// console (hvc0). The device's type says where its bytes are:
//
//   pty                      `<source path='/dev/pts/N'/>` in the live XML of a running domain
//   unix                     `<source mode='bind' path=…/>`: QEMU listens, the server connects
//   tcp                      `<source mode='bind' host=… service=…/>`, with `<protocol
//                            type='telnet'/>` for telnet, else raw
//
// Other types (file, pipe, stdio, null, vc, spicevmc, a unix or tcp socket that QEMU connects
// out of) are not served, and say so. A pty device may also be read through libvirt's console
// stream, by its alias. Pure: no libvirt calls.

#include <QString>

#include <optional>

namespace CloudConsole {

struct LibvirtConsoleDevice
{
    enum class Type { Pty, Unix, Tcp, Telnet };
    Type type = Type::Pty;
    bool virtio = false; // a virtio console (hvc0), not a serial port
    QString path; // pty: empty until the domain runs; unix: the socket
    QString host; // tcp, telnet
    QString port;
    QString alias; // libvirt's name of the device in the live XML ("serial0"), for its stream
};

// The device of the domain to serve: the first serial port (or a console whose target is one)
// unless virtio, else the first virtio console. Nothing, with *why, when there is none to serve.
std::optional<LibvirtConsoleDevice> consoleDeviceFromXml(const QString &xml, bool virtio,
                                                         QString *why);

} // namespace CloudConsole
