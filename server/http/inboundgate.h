#pragma once

// InboundGate stands between a WebSocket client's socket and QWebSocket, for the two things
// Qt 6.4 does not do on the server side:
// - it reads every frame header before QWebSocket does, and reports a frame that RFC 6455
//   forbids and Qt would accept (an unmasked one, see ClientFrameCheck), then discards what is
//   buffered so that no byte of it becomes input;
// - it pauses reading: while the client's input waits for the console, nothing more is read
//   from its socket (the kernel's buffers fill and TCP slows the client down), instead of
//   refusing input the console cannot take yet.
//
// How it gets there first: QWebSocket reads its socket in a slot on readyRead connected when it
// takes the socket over, so a slot connected before that runs first and can peek at what
// arrived. The gate is therefore made on the socket (its parent) before the handshake is handed
// to QWebSocketServer, and armed once the client's session exists: the handshake's own bytes
// are not frames. A second slot, connected when it is armed and so after QWebSocket's, notes how
// much QWebSocket left in the buffer (the start of a frame), already checked.
//
// How it pauses: it takes what is buffered out of QWebSocket's reach (QWebSocket reads all
// there is on each readyRead) and turns off the socket's read notifier (Qt's own, found among
// the socket's children: Qt 6.4 has no public way to stop a QAbstractSocket from reading).
// Resuming puts the held bytes back in front, in order, and turns the notifier on again. A
// peer's hang-up while paused is noticed on resume.
//
// It owns the check and the held bytes, not the socket.

#include "clientframecheck.h"

#include <QObject>
#include <QPointer>
#include <QTcpSocket>

namespace CloudConsole {

class InboundGate : public QObject
{
    Q_OBJECT
public:
    // A child of the socket, which must not have been handed to QWebSocketServer yet.
    explicit InboundGate(QTcpSocket *transport);

    // From now on every byte is a frame: checks what the socket holds (frames sent with the
    // handshake) at once, and all that follows. Connect violation() first.
    void arm();
    bool violated() const { return m_check.verdict() != ClientFrameCheck::Verdict::Fine; }

    // Stops QWebSocket and the socket from reading more; may be called while QWebSocket is
    // delivering a message (it then delivers no more). resume() undoes it.
    void pause();
    void resume();
    bool isPaused() const { return m_paused; }
    // Bytes held while paused.
    qsizetype held() const { return m_held.size(); }

Q_SIGNALS:
    // Once: close the connection with 1002.
    void violation(const QString &reason);

private:
    void checkArrived();
    void noteLeftOver();
    void hold();
    void setReading(bool on);

    QTcpSocket *m_transport; // the parent
    bool m_armed = false;
    bool m_paused = false;
    ClientFrameCheck m_check;
    qint64 m_checked = 0; // bytes at the front of the socket's buffer already checked
    QByteArray m_held; // checked bytes taken out while paused, in order
};

} // namespace CloudConsole
