#include "inboundframeguard.h"

#include <algorithm>

namespace CloudConsole {

InboundFrameGuard::InboundFrameGuard(QTcpSocket *transport)
    : QObject(transport), m_transport(transport)
{
    connect(transport, &QIODevice::readyRead, this, &InboundFrameGuard::checkArrived);
    connect(transport, &QIODevice::readyRead, this, &InboundFrameGuard::noteLeftOver,
            Qt::QueuedConnection);
}

void InboundFrameGuard::arm()
{
    m_armed = true;
    m_checked = 0;
    checkArrived();
}

void InboundFrameGuard::checkArrived()
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
        m_checked = 0;
    }
}

void InboundFrameGuard::noteLeftOver()
{
    // QWebSocket has read what it could; the rest (a frame's beginning) was checked.
    if (m_armed && m_transport->isOpen())
        m_checked = std::min(m_checked, m_transport->bytesAvailable());
}

} // namespace CloudConsole
