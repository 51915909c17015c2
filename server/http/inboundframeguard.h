#pragma once

// InboundFrameGuard reads every frame header a WebSocket client sends before QWebSocket does,
// and reports a frame that RFC 6455 forbids and Qt 6.4 would accept (an unmasked one, see
// ClientFrameCheck); it then discards what is buffered, so that no byte of it becomes input.
//
// How it gets there first: QWebSocket reads its socket in a slot on readyRead connected when it
// takes the socket over, so a slot connected before that runs first and can peek at what
// arrived. The guard is therefore made on the socket (its parent) before the handshake is
// handed to QWebSocketServer, and armed once the client's session exists: the handshake's own
// bytes are not frames. A second slot, queued, notes how much QWebSocket left in the buffer
// (the start of a frame), already checked.
//
// It owns the check, not the socket.

#include "clientframecheck.h"

#include <QObject>
#include <QPointer>
#include <QTcpSocket>

namespace CloudConsole {

class InboundFrameGuard : public QObject
{
    Q_OBJECT
public:
    // A child of the socket, which must not have been handed to QWebSocketServer yet.
    explicit InboundFrameGuard(QTcpSocket *transport);

    // From now on every byte is a frame: checks what the socket holds (frames sent with the
    // handshake) at once, and all that follows. Connect violation() first.
    void arm();
    bool violated() const { return m_check.verdict() != ClientFrameCheck::Verdict::Fine; }

Q_SIGNALS:
    // Once: close the connection with 1002.
    void violation(const QString &reason);

private:
    void checkArrived();
    void noteLeftOver();

    QTcpSocket *m_transport; // the parent
    bool m_armed = false;
    ClientFrameCheck m_check;
    qint64 m_checked = 0; // bytes at the front of the socket's buffer already checked
};

} // namespace CloudConsole
