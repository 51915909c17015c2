#include "inboundgate.h"

#include <QSocketNotifier>
#include <QTimer>

#include <algorithm>

namespace CloudConsole {

InboundGate::InboundGate(QTcpSocket *transport) : QObject(transport), m_transport(transport)
{
    connect(transport, &QIODevice::readyRead, this, &InboundGate::checkArrived);
}

void InboundGate::arm()
{
    // QWebSocket's slot is connected by now: this one runs after it, on the same emission.
    connect(m_transport, &QIODevice::readyRead, this, &InboundGate::noteLeftOver);
    m_armed = true;
    m_checked = 0;
    checkArrived();
}

void InboundGate::checkArrived()
{
    if (!m_armed || !m_transport->isOpen())
        return;
    const qint64 buffered = m_transport->bytesAvailable();
    if (!violated() && buffered > m_checked) {
        const QByteArray bytes = m_transport->peek(buffered);
        m_check.feed(QByteArrayView(bytes).sliced(m_checked));
        m_checked = buffered;
        if (violated()) {
            Q_EMIT violation(QStringLiteral("a client frame without a mask (RFC 6455 section "
                                            "5.1 requires clients to mask every frame)"));
        }
    }
    // Nothing after a bad frame may reach QWebSocket: it would become input.
    if (violated() && m_transport->isOpen()) {
        m_transport->skip(m_transport->bytesAvailable());
        m_held.clear();
        m_checked = 0;
        return;
    }
    if (m_paused)
        hold();
}

void InboundGate::noteLeftOver()
{
    // QWebSocket has read what it could; the rest (a frame's beginning) was checked.
    if (m_armed && m_transport->isOpen())
        m_checked = std::min(m_checked, m_transport->bytesAvailable());
}

void InboundGate::pause()
{
    if (m_paused || violated())
        return;
    m_paused = true;
    hold();
}

void InboundGate::hold()
{
    // Called between QWebSocket's messages, or before it reads: the buffer starts at a frame.
    // Checked first: whatever is taken out here has been through the frame check.
    const qint64 buffered = m_transport->bytesAvailable();
    if (buffered > m_checked) {
        const QByteArray bytes = m_transport->peek(buffered);
        m_check.feed(QByteArrayView(bytes).sliced(m_checked));
        m_checked = buffered;
        if (violated()) {
            m_transport->skip(buffered);
            m_held.clear();
            m_checked = 0;
            Q_EMIT violation(QStringLiteral("a client frame without a mask (RFC 6455 section "
                                            "5.1 requires clients to mask every frame)"));
            return;
        }
    }
    m_held += m_transport->read(buffered);
    m_checked = 0;
    // Reading turned Qt's notifier back on; off again, so the kernel keeps the rest.
    setReading(false);
}

void InboundGate::resume()
{
    if (!m_paused)
        return;
    m_paused = false;
    // The held bytes go back in front of anything buffered since (nothing, normally), in order.
    for (qsizetype i = m_held.size() - 1; i >= 0; --i)
        m_transport->ungetChar(m_held.at(i));
    m_checked += m_held.size();
    m_held.clear();
    setReading(true);
    // QWebSocket reads on readyRead only; what is buffered needs one of its own.
    if (m_transport->bytesAvailable() > 0) {
        QTimer::singleShot(0, m_transport,
                           [transport = m_transport] { Q_EMIT transport->readyRead(); });
    }
}

void InboundGate::setReading(bool on)
{
    // Qt's notifier for this socket's descriptor (a TLS socket's is its plain socket's).
    const qintptr descriptor = m_transport->socketDescriptor();
    const auto notifiers = m_transport->findChildren<QSocketNotifier *>();
    for (QSocketNotifier *notifier : notifiers) {
        if (notifier->type() == QSocketNotifier::Read && notifier->socket() == descriptor)
            notifier->setEnabled(on);
    }
}

} // namespace CloudConsole
