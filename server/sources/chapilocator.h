#pragma once

// ChApiLocator finds a Cloud-Hypervisor VM's console pty by asking the VMM's REST API on its
// unix socket (`--api-socket`): GET /api/v1/vm.info, then config.serial (the 8250 serial port,
// ttyS0 in the guest) or config.console (virtio-console, hvc0) whose mode is "Pty" and whose
// "file" is the pty's path. Cloud-Hypervisor makes a new pty, at a new path, on every guest
// reboot, and a restarted VMM makes one too; PtySource asks again after every hang-up, so the
// console follows the VM without any client reconnecting.
//
// A console in another mode cannot be followed this way and is reported as such: "Socket" mode
// names the unix: source to use instead; "Tty", "File", "Null" and "Off" have no pty. It owns
// nothing but the connection of the question in flight (see ApiSocketLocator).

#include "apisocketlocator.h"
#include "httpresponseparser.h"

namespace CloudConsole {

class ChApiLocator : public ApiSocketLocator
{
    Q_OBJECT
public:
    enum class Device { Serial, Console };

    ChApiLocator(const QString &apiSocket, Device device, QObject *parent = nullptr);

    // The pty path from a vm.info answer body, or an error saying why there is none.
    static bool ptyFromVmInfo(QByteArrayView json, Device device, QString *path, QString *error);

protected:
    void onConnected() override;
    void onBytes(QByteArrayView data) override;
    void onClosed() override;

private:
    void answer();

    Device m_device;
    HttpResponseParser m_parser;
};

} // namespace CloudConsole
