#pragma once

// HttpResponseParser reads one HTTP/1.x response from a byte stream that arrives in pieces of
// any size: the status line, the headers, and a body delimited by Content-Length or by the end
// of the connection. It is how a console asks a VMM's REST API (Cloud-Hypervisor's, over a unix
// socket) where its pty is, so it keeps to what such an answer needs and refuses the rest
// clearly: heads over MaxHeadSize, bodies over MaxBodySize, chunked transfer encoding.
//
// It owns the bytes it has buffered and knows nothing about sockets.

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <utility>

namespace CloudConsole {

class HttpResponseParser
{
public:
    static constexpr qsizetype MaxHeadSize = 16 * 1024;
    static constexpr qsizetype MaxBodySize = 1024 * 1024;

    enum class State { Incomplete, Complete, Error };

    // Takes more bytes; bytes after a complete response are ignored.
    State feed(QByteArrayView data);
    // The peer closed the connection: a body that runs to the end of the connection is complete
    // now, anything else cut short is an error.
    State finish();

    State state() const { return m_state; }
    int status() const { return m_status; }
    const QByteArray &reason() const { return m_reason; }
    const QByteArray &body() const { return m_body; }
    // The value of a header (name compared without case), or a null array.
    QByteArray header(QByteArrayView name) const;
    const QString &errorString() const { return m_error; }

private:
    State fail(const QString &error);
    State parseHead(QByteArrayView head);
    State takeBody();

    State m_state = State::Incomplete;
    QByteArray m_buffer;
    bool m_haveHead = false;
    int m_status = 0;
    QByteArray m_reason;
    QList<std::pair<QByteArray, QByteArray>> m_headers;
    qint64 m_contentLength = -1; // -1: the body runs to the end of the connection
    QByteArray m_body;
    QString m_error;
};

} // namespace CloudConsole
