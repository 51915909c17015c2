#pragma once

// DiscoverySettings is one `[discover libvirt]` or `[discover ch]` section of the configuration:
// where the VMs are found (libvirt's URI, or a glob of Cloud-Hypervisor API sockets), how their
// consoles are named (name-prefix), how long a console outlives its VM (keep-after-gone), and the
// settings every console it finds starts from (the keys of `[console NAME]`: history-size, log
// with {name}, record, input, ...). DiscoveryOptions holds the sections and the per-name
// overrides: a `[console NAME]` section without a source, whose keys win over its section's for
// the console of that name.
//
// Plain data and pure functions; configfile.cpp fills it, DiscoveryManager makes consoles from it.
// It knows nothing of libvirt, sockets or running consoles.

#include "ptysource.h"

#include <QString>
#include <QStringList>

#include <chrono>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace CloudConsole {

struct ConsoleOptions;
struct ServerOptions;

struct DiscoverySettings
{
    enum class Kind { Libvirt, Ch };
    // libvirt: how a pty device is read. Directly (the pty libvirt names, on this host), or
    // through libvirt's console stream (virDomainOpenConsole: any host, a read-write connection);
    // auto is the stream for a URI that names a host, else the pty.
    enum class Attach { Auto, Pty, Stream };

    Kind kind = Kind::Libvirt;
    QString uri = QStringLiteral("qemu:///system"); // libvirt: the connection
    Attach attach = Attach::Auto; // libvirt
    QString sockets; // ch: a glob of API sockets, such as /run/cloud-hypervisor/*.sock
    QString namePrefix; // put before every VM name ("kvm-" makes kvm-vm1)
    // How long a VM that no longer exists keeps its console; 0: removed at once.
    std::chrono::seconds keepAfterGone {3600};
    // Which of the VM's devices: the serial port (ttyS0, the default) or the virtio console (hvc0).
    PtySource::Device device = PtySource::Device::Serial;
    // The [console NAME] keys of the section, as written and in order: what every console found
    // starts from (its name and source are the VM's). In log and record-dir, {name} stands for
    // the console's name. Checked when the file is read.
    std::vector<std::pair<QString, QString>> consoleKeys;

    // "libvirt" or "ch": the section's name, and the "discovered" mark of its consoles.
    QString kindName() const;
    // libvirt: whether pty devices are read through libvirt's console stream (attach resolved).
    bool usesStream() const;
    // What makes another discoverer: the section's keys that say where and how VMs are found.
    bool sameSource(const DiscoverySettings &other) const;
};

// The keys of a [discover KIND] section besides those of [console NAME], sorted.
QStringList discoveryKeys(DiscoverySettings::Kind kind);
// Stores one of discoveryKeys(); what is wrong with the value, or empty.
QString applyDiscoveryKey(DiscoverySettings &settings, const QString &key, const QString &value);

// The text of {name} in log and record-dir.
inline constexpr char NamePlaceholder[] = "{name}";

// A VM's name as a console name: characters a console name may not hold become '_', and it is cut
// at 64; empty when nothing is left (see ConsoleRegistry::isValidName).
QString consoleNameFor(const QString &prefix, const QString &vmName);

struct DiscoveryOptions
{
    std::vector<DiscoverySettings> sections;
    // [console NAME] sections without a source: key and value as written, applied in order.
    std::map<QString, std::vector<std::pair<QString, QString>>> overrides;

    bool enabled() const { return !sections.empty(); }
    const DiscoverySettings *section(DiscoverySettings::Kind kind) const;
    // Whether a console of that name may appear: an override, or a name a section's prefix allows.
    bool mayDiscover(const QString &consoleName) const;
    // The console a section serves for a VM: every key at its default (those that follow [server]
    // following it), then the section's keys with {name} replaced, then the override of that
    // name. The caller sets the source.
    ConsoleOptions consoleFor(const ServerOptions &server, const DiscoverySettings &section,
                              const QString &consoleName) const;
};

} // namespace CloudConsole
