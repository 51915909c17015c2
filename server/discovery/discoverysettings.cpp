#include "discoverysettings.h"

#include "consoleregistry.h"
#include "serveroptions.h"
#include "settingtable.h"
#include "values.h"

#include <QSet>
#include <QUrl>

namespace CloudConsole {

QString DiscoverySettings::kindName() const
{
    return kind == Kind::Libvirt ? QStringLiteral("libvirt") : QStringLiteral("ch");
}

bool DiscoverySettings::usesStream() const
{
    if (attach != Attach::Auto)
        return attach == Attach::Stream;
    // qemu+ssh://host/system names a host; qemu:///system and test:///default do not.
    return !QUrl(uri).host().isEmpty();
}

bool DiscoverySettings::sameSource(const DiscoverySettings &other) const
{
    return kind == other.kind && uri == other.uri && attach == other.attach
        && sockets == other.sockets && namePrefix == other.namePrefix && device == other.device;
}

QString consoleNameFor(const QString &prefix, const QString &vmName)
{
    QString name = prefix;
    for (QChar c : vmName) {
        const bool ok = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z')
            || (c >= u'0' && c <= u'9') || c == u'.' || c == u'_' || c == u'-';
        name += ok ? c : QChar(u'_');
    }
    name.truncate(64);
    if (name.startsWith(u'.'))
        name[0] = u'_';
    return ConsoleRegistry::isValidName(name) ? name : QString();
}

QStringList discoveryKeys(DiscoverySettings::Kind kind)
{
    QStringList keys {QStringLiteral("device"), QStringLiteral("keep-after-gone"),
                      QStringLiteral("name-prefix")};
    if (kind == DiscoverySettings::Kind::Libvirt)
        keys << QStringLiteral("uri") << QStringLiteral("attach");
    else
        keys << QStringLiteral("sockets");
    keys.sort();
    return keys;
}

QString applyDiscoveryKey(DiscoverySettings &settings, const QString &key, const QString &value)
{
    if (key == QLatin1String("uri")) {
        // libvirt says what is wrong with a URI when it is opened; here only that there is one.
        if (!value.contains(QLatin1String(":")))
            return QStringLiteral("\"%1\" is not a libvirt URI such as qemu:///system").arg(value);
        settings.uri = value;
        return {};
    }
    if (key == QLatin1String("attach")) {
        if (value == QLatin1String("auto"))
            settings.attach = DiscoverySettings::Attach::Auto;
        else if (value == QLatin1String("pty"))
            settings.attach = DiscoverySettings::Attach::Pty;
        else if (value == QLatin1String("stream"))
            settings.attach = DiscoverySettings::Attach::Stream;
        else
            return QStringLiteral("\"%1\" is not auto, pty or stream").arg(value);
        return {};
    }
    if (key == QLatin1String("sockets")) {
        if (!value.startsWith(u'/'))
            return QStringLiteral("\"%1\" is not an absolute path or glob, such as "
                                  "/run/cloud-hypervisor/*.sock")
                .arg(value);
        if (value.endsWith(u'/'))
            return QStringLiteral("\"%1\" names a directory: add the sockets' names, such as "
                                  "%1*.sock")
                .arg(value);
        settings.sockets = value;
        return {};
    }
    if (key == QLatin1String("name-prefix")) {
        // A prefix is a name's start: it may be empty, and a VM's name completes it.
        if (!value.isEmpty() && !ConsoleRegistry::isValidName(value))
            return QStringLiteral("\"%1\" is not the start of a console name: 1 to 63 of A-Z "
                                  "a-z 0-9 . _ -, not starting with a dot")
                .arg(value);
        if (value.size() > 63)
            return QStringLiteral("\"%1\" leaves no room for the VM's name: at most 63 "
                                  "characters")
                .arg(value.left(64));
        settings.namePrefix = value;
        return {};
    }
    if (key == QLatin1String("keep-after-gone"))
        return parseDuration(value, &settings.keepAfterGone);
    if (key == QLatin1String("device")) {
        if (value == QLatin1String("serial"))
            settings.device = PtySource::Device::Serial;
        else if (value == QLatin1String("console"))
            settings.device = PtySource::Device::VirtioConsole;
        else
            return QStringLiteral("\"%1\" is not serial or console").arg(value);
        return {};
    }
    return QStringLiteral("unknown key");
}

const DiscoverySettings *DiscoveryOptions::section(DiscoverySettings::Kind kind) const
{
    for (const DiscoverySettings &s : sections) {
        if (s.kind == kind)
            return &s;
    }
    return nullptr;
}

bool DiscoveryOptions::mayDiscover(const QString &consoleName) const
{
    if (overrides.count(consoleName))
        return true;
    for (const DiscoverySettings &s : sections) {
        if (consoleName.startsWith(s.namePrefix) && consoleName.size() > s.namePrefix.size())
            return true;
    }
    return false;
}

ConsoleOptions DiscoveryOptions::consoleFor(const ServerOptions &server,
                                            const DiscoverySettings &section,
                                            const QString &consoleName) const
{
    ConsoleOptions console;
    console.name = consoleName;
    std::vector<std::pair<QString, QString>> keys = section.consoleKeys;
    if (const auto it = overrides.find(consoleName); it != overrides.end()) {
        // The override's keys replace the section's: later assignments win.
        keys.insert(keys.end(), it->second.begin(), it->second.end());
    }
    QSet<QString> seen;
    for (const auto &[key, value] : keys) {
        const Setting *setting = findKey(Setting::Scope::Console, key);
        if (!setting || !setting->applyConsole)
            continue; // refused when the file was read
        seen.insert(key);
        QString text = value;
        if (key == QLatin1String("log") || key == QLatin1String("record-dir"))
            text.replace(QLatin1String(NamePlaceholder), consoleName);
        // Checked when the file was read; the replaced name is a valid file name part.
        setting->applyConsole(console, text);
    }
    for (const Setting &setting : allSettings()) {
        if (setting.scope != Setting::Scope::Console || !setting.key || !setting.inherit
            || seen.contains(QLatin1String(setting.key)))
            continue;
        setting.inherit(server, console);
    }
    return console;
}

} // namespace CloudConsole
