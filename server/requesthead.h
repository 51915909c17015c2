#pragma once

// RequestHeadReader reads the head of one HTTP/1.x request (request line and header fields) as
// its bytes arrive, so the server can decide before anything else reads the socket whether the
// request is a WebSocket upgrade it must check itself. It accepts CRLF or bare LF line ends,
// refuses heads over MaxHeadSize, and never reads past the blank line that ends the head.

#include <QByteArray>
#include <QList>
#include <QString>

#include <utility>

namespace CloudConsole {

struct RequestHead
{
    QByteArray method;
    QByteArray target; // as sent: "/c/vm1/ws?offset=42"
    QByteArray version; // "HTTP/1.1"
    QList<std::pair<QByteArray, QByteArray>> fields;

    // The field's value, repeated fields joined with ", "; names compare case-insensitively.
    QByteArray value(QByteArrayView name) const;
    // Whether a comma-separated field contains token, case-insensitively ("Connection: Upgrade").
    bool hasToken(QByteArrayView name, QByteArrayView token) const;
    bool isWebSocketUpgrade() const;
    // The head as parsed, written again with CRLF line ends and nothing before it: what a
    // stricter parser behind this one reads, so both see the same request.
    QByteArray toCanonicalBytes() const;
};

class RequestHeadReader
{
public:
    static constexpr qsizetype MaxHeadSize = 16 * 1024;
    enum class Status { NeedMore, Complete, Malformed, TooLarge };

    // Takes the next bytes of the stream; returns the status after them. Once Complete,
    // Malformed or TooLarge, further bytes are ignored.
    Status feed(QByteArrayView bytes);
    Status status() const { return m_status; }
    const RequestHead &head() const { return m_head; }
    // Bytes of the stream that belong to the head, once Complete.
    qsizetype headSize() const { return m_headSize; }
    QString error() const { return m_error; }

private:
    Status parse(QByteArrayView head);
    Status malformed(const QString &why);

    QByteArray m_buffer;
    Status m_status = Status::NeedMore;
    RequestHead m_head;
    qsizetype m_headSize = 0;
    qsizetype m_skipped = 0; // empty lines before the request line
    QString m_error;
};

} // namespace CloudConsole
