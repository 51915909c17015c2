#pragma once

// LibvirtStreamSource reads a domain's console through libvirt's console stream
// (virDomainOpenConsole, what `virsh console` uses) instead of opening its pty: the way to serve a
// domain on another host (qemu+ssh://), or one whose pty this host's server may not open. The
// stream is non-blocking and served by libvirt's events on the Qt loop (LibvirtEventLoop); input
// waits in a queue of at most WriteQueueLimit bytes (writequeue.h's contract).
//
// When the stream ends the source is down. The console's end of file means the domain's QEMU
// went: that run is spent (libvirt may still open a console on a domain being torn down), and
// the next run is attached to when its discoverer says it started. A stream that broke (libvirtd
// went away) is opened again when the domain changes (the scan after reconnecting) or after a
// backoff; nothing polls. libvirt grants one console session per
// device: one held elsewhere (a `virsh console`) is reported, not taken over.
//
// It owns its stream; the connection and the domain's state are its discoverer's.

#include "consolesource.h"
#include "retry.h"
#include "writequeue.h"

#include <QPointer>

typedef struct _virStream virStream;

namespace CloudConsole {

class LibvirtDiscoverer;

class LibvirtStreamSource : public ConsoleSource
{
    Q_OBJECT
public:
    LibvirtStreamSource(LibvirtDiscoverer *discoverer, const QString &vmName,
                        QObject *parent = nullptr);
    ~LibvirtStreamSource() override;

    void start() override;
    bool isUp() const override { return m_stream != nullptr; }
    QString stateReason() const override { return m_reason; }
    qsizetype write(QByteArrayView data) override;

private:
    void attach();
    // runEnded: the console closed its end (the domain's QEMU went), so this run is spent.
    void detach(const QString &reason, bool runEnded);
    void onEvents(int events);
    void readAll();
    void flush();
    void updateEvents();

    QPointer<LibvirtDiscoverer> m_discoverer;
    QString m_vmName;
    QString m_description;
    QString m_reason;
    virStream *m_stream = nullptr;
    int m_attachedId = -1; // the domain run the stream belongs to
    int m_spentId = -1; // a run whose console ended: not attached to again
    QByteArray m_out; // input waiting for the stream, at most WriteQueueLimit bytes
    Backpressure m_pressure;
    Retry m_retry;
    bool m_started = false;

    friend struct LibvirtStreamCallbacks;
};

} // namespace CloudConsole
