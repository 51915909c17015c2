#include "libvirtdomainxml.h"

#include <QXmlStreamReader>

#include <vector>

namespace CloudConsole {

namespace {

// A <serial> or <console> as written.
struct Device
{
    QString element; // serial, console
    QString type; // pty, unix, tcp, file, ...
    QString targetType; // console: serial, virtio, ...
    QString sourceMode; // bind, connect
    QString sourcePath;
    QString sourceHost;
    QString sourceService;
    QString protocol; // tcp: raw, telnet
    QString alias;
};

std::vector<Device> readDevices(const QString &xml, QString *error)
{
    std::vector<Device> devices;
    QXmlStreamReader reader(xml);
    // The path of elements down from <domain>, so only <domain><devices><serial|console> count.
    std::vector<QString> path;
    Device *current = nullptr;
    while (!reader.atEnd()) {
        const auto token = reader.readNext();
        if (token == QXmlStreamReader::StartElement) {
            const QString name = reader.name().toString();
            path.push_back(name);
            const auto attribute = [&](const char *key) {
                return reader.attributes().value(QLatin1String(key)).toString();
            };
            if (path.size() == 3 && path[0] == QLatin1String("domain")
                && path[1] == QLatin1String("devices")
                && (name == QLatin1String("serial") || name == QLatin1String("console"))) {
                devices.push_back(Device {name, attribute("type"), {}, {}, {}, {}, {}, {}, {}});
                current = &devices.back();
            } else if (current && path.size() == 4) {
                if (name == QLatin1String("target")) {
                    current->targetType = attribute("type");
                } else if (name == QLatin1String("source") && current->sourcePath.isEmpty()
                           && current->sourceHost.isEmpty()) {
                    current->sourceMode = attribute("mode");
                    current->sourcePath = attribute("path");
                    current->sourceHost = attribute("host");
                    current->sourceService = attribute("service");
                } else if (name == QLatin1String("protocol")) {
                    current->protocol = attribute("type");
                } else if (name == QLatin1String("alias")) {
                    current->alias = attribute("name");
                }
            }
        } else if (token == QXmlStreamReader::EndElement) {
            if (path.size() == 3)
                current = nullptr;
            if (!path.empty())
                path.pop_back();
        }
    }
    if (reader.hasError())
        *error = QStringLiteral("the domain's XML does not parse: %1").arg(reader.errorString());
    return devices;
}

} // namespace

std::optional<LibvirtConsoleDevice> consoleDeviceFromXml(const QString &xml, bool virtio,
                                                         QString *why)
{
    QString error;
    const std::vector<Device> devices = readDevices(xml, &error);
    if (!error.isEmpty()) {
        *why = error;
        return std::nullopt;
    }
    const Device *chosen = nullptr;
    for (const Device &device : devices) {
        const bool isVirtio = device.element == QLatin1String("console")
            && device.targetType == QLatin1String("virtio");
        const bool isSerial = device.element == QLatin1String("serial")
            || (device.element == QLatin1String("console")
                && (device.targetType.isEmpty() || device.targetType == QLatin1String("serial")));
        if ((virtio && isVirtio) || (!virtio && isSerial)) {
            chosen = &device;
            break;
        }
    }
    if (!chosen) {
        *why = virtio ? QStringLiteral("the domain has no virtio console (<console> with <target "
                                       "type='virtio'/>)")
                      : QStringLiteral("the domain has no serial port (<serial> or <console>)");
        return std::nullopt;
    }
    LibvirtConsoleDevice device;
    device.virtio = virtio;
    device.alias = chosen->alias;
    const QString &type = chosen->type;
    if (type == QLatin1String("pty")) {
        device.type = LibvirtConsoleDevice::Type::Pty;
        device.path = chosen->sourcePath;
        return device;
    }
    // Sockets QEMU listens on; one QEMU connects out of has no server to connect to.
    const bool listening = chosen->sourceMode == QLatin1String("bind");
    if (type == QLatin1String("unix") && listening && !chosen->sourcePath.isEmpty()) {
        device.type = LibvirtConsoleDevice::Type::Unix;
        device.path = chosen->sourcePath;
        return device;
    }
    if (type == QLatin1String("tcp") && listening && !chosen->sourceService.isEmpty()) {
        device.type = chosen->protocol == QLatin1String("telnet")
            ? LibvirtConsoleDevice::Type::Telnet
            : LibvirtConsoleDevice::Type::Tcp;
        device.host
            = chosen->sourceHost.isEmpty() ? QStringLiteral("127.0.0.1") : chosen->sourceHost;
        device.port = chosen->sourceService;
        return device;
    }
    *why = QStringLiteral("the domain's <%1 type='%2'> cannot be served (pty, a unix socket or "
                          "a tcp port QEMU listens on can)")
               .arg(chosen->element, type);
    return std::nullopt;
}

} // namespace CloudConsole
