#include "libvirtstreamsource.h"

#include "libvirtdiscoverer.h"

#include <QLoggingCategory>
#include <QTimer>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

Q_DECLARE_LOGGING_CATEGORY(lcDiscovery)

namespace CloudConsole {

// libvirt's C callback, forwarding to one member.
struct LibvirtStreamCallbacks
{
    static void onStream(virStreamPtr, int events, void *opaque)
    {
        static_cast<LibvirtStreamSource *>(opaque)->onEvents(events);
    }
};

LibvirtStreamSource::LibvirtStreamSource(LibvirtDiscoverer *discoverer, const QString &vmName,
                                         QObject *parent)
    : ConsoleSource(parent)
    , m_discoverer(discoverer)
    , m_vmName(vmName)
    , m_description(QStringLiteral("console stream of libvirt domain %1 at %2")
                        .arg(vmName, discoverer->settings().uri))
    , m_reason(QStringLiteral("not opened yet"))
{
    connect(&m_retry, &Retry::due, this, &LibvirtStreamSource::attach);
    connect(discoverer, &LibvirtDiscoverer::domainChanged, this, [this](const QString &name) {
        if (name == m_vmName && m_started && !isUp())
            attach();
    });
}

LibvirtStreamSource::~LibvirtStreamSource()
{
    if (m_stream) {
        virStreamEventRemoveCallback(m_stream);
        virStreamAbort(m_stream);
        virStreamFree(m_stream);
    }
}

void LibvirtStreamSource::start()
{
    m_started = true;
    attach();
}

void LibvirtStreamSource::attach()
{
    if (isUp() || !m_discoverer)
        return;
    QString why;
    int id = -1;
    virStream *stream = m_discoverer->openConsole(m_vmName, m_spentId, &id, &why);
    if (!stream) {
        // Said once per reason; the next try comes with the domain's next change.
        if (m_retry.noteFailure(why))
            qCInfo(lcDiscovery).noquote() << m_description + QStringLiteral(": ") + why;
        m_reason = why;
        return;
    }
    if (virStreamEventAddCallback(
            stream, VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP,
            &LibvirtStreamCallbacks::onStream, this, nullptr)
        < 0) {
        m_reason = QStringLiteral("cannot watch the console stream: %1")
                       .arg(QString::fromUtf8(virGetLastErrorMessage()));
        virStreamAbort(stream);
        virStreamFree(stream);
        return;
    }
    m_stream = stream;
    m_attachedId = id;
    m_out.clear();
    m_pressure.reset();
    m_retry.noteAttached();
    m_reason = m_description;
    qCInfo(lcDiscovery).noquote() << "attached to the" << m_description;
    Q_EMIT up(m_reason);
}

void LibvirtStreamSource::detach(const QString &reason, bool runEnded)
{
    if (!m_stream)
        return;
    // Allowed from within the stream's own callback (virsh console does the same).
    virStreamEventRemoveCallback(m_stream);
    virStreamAbort(m_stream);
    virStreamFree(m_stream);
    m_stream = nullptr;
    m_out.clear();
    m_reason = QStringLiteral("%1 ended (%2)").arg(m_description, reason);
    qCInfo(lcDiscovery).noquote() << m_reason;
    Q_EMIT down(m_reason);
    if (runEnded) {
        m_spentId = m_attachedId; // the next run, when it starts
        return;
    }
    // The domain may run on (the stream broke, not the VM): try again after the backoff.
    m_retry.schedule();
}

void LibvirtStreamSource::onEvents(int events)
{
    if (events & VIR_STREAM_EVENT_READABLE)
        readAll();
    if (m_stream && (events & VIR_STREAM_EVENT_WRITABLE))
        flush();
    if (m_stream && (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP)))
        detach(events & VIR_STREAM_EVENT_HANGUP ? QStringLiteral("hang-up")
                                                : QStringLiteral("stream error"),
               false);
}

void LibvirtStreamSource::readAll()
{
    char buffer[16384];
    qsizetype burst = 0;
    while (m_stream && burst < MaxReadBurst) {
        const int got = virStreamRecv(m_stream, buffer, sizeof buffer);
        if (got == -2)
            return; // nothing more now
        if (got == 0) {
            detach(QStringLiteral("end of file"), true);
            return;
        }
        if (got < 0) {
            detach(QString::fromUtf8(virGetLastErrorMessage()), false);
            return;
        }
        burst += got;
        m_retry.noteWorking();
        Q_EMIT dataRead(QByteArrayView(buffer, got));
    }
}

qsizetype LibvirtStreamSource::write(QByteArrayView data)
{
    if (!m_stream)
        return 0;
    const qsizetype taken = m_pressure.admit(data.size(), m_out.size());
    m_out.append(data.first(taken));
    flush();
    return taken;
}

void LibvirtStreamSource::flush()
{
    while (m_stream && !m_out.isEmpty()) {
        const int sent = virStreamSend(m_stream, m_out.constData(), size_t(m_out.size()));
        if (sent == -2)
            break; // full: the stream says when it is writable
        if (sent < 0) {
            detach(QString::fromUtf8(virGetLastErrorMessage()), false);
            return;
        }
        m_out.remove(0, sent);
    }
    if (!m_stream)
        return;
    updateEvents();
    if (m_pressure.takeRoomAgain(m_out.size())) {
        // Never from inside write(): the caller is in its own bookkeeping.
        QTimer::singleShot(0, this, [this] { Q_EMIT writable(); });
    }
}

void LibvirtStreamSource::updateEvents()
{
    int events = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;
    if (!m_out.isEmpty())
        events |= VIR_STREAM_EVENT_WRITABLE;
    virStreamEventUpdateCallback(m_stream, events);
}

} // namespace CloudConsole
