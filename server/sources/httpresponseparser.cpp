#include "httpresponseparser.h"

#include <QRegularExpression>

#include <algorithm>

namespace CloudConsole {

HttpResponseParser::State HttpResponseParser::feed(QByteArrayView data)
{
    if (m_state != State::Incomplete)
        return m_state;
    m_buffer.append(data);
    if (!m_haveHead) {
        const qsizetype end = m_buffer.indexOf("\r\n\r\n");
        if (end < 0) {
            if (m_buffer.size() > MaxHeadSize)
                return fail(
                    QStringLiteral("the response head is larger than %1 bytes").arg(MaxHeadSize));
            return m_state;
        }
        if (end + 4 > MaxHeadSize)
            return fail(
                QStringLiteral("the response head is larger than %1 bytes").arg(MaxHeadSize));
        const QByteArray head = m_buffer.first(end);
        m_buffer.remove(0, end + 4);
        m_haveHead = true;
        if (parseHead(head) == State::Error)
            return m_state;
    }
    return takeBody();
}

HttpResponseParser::State HttpResponseParser::finish()
{
    if (m_state != State::Incomplete)
        return m_state;
    if (!m_haveHead)
        return fail(m_buffer.isEmpty()
                        ? QStringLiteral("the connection closed without a response")
                        : QStringLiteral("the connection closed in the middle of the response "
                                         "head"));
    if (m_contentLength >= 0)
        return fail(QStringLiteral("the connection closed after %1 of %2 body bytes")
                        .arg(m_buffer.size())
                        .arg(m_contentLength));
    m_body = std::exchange(m_buffer, {});
    m_state = State::Complete;
    return m_state;
}

QByteArray HttpResponseParser::header(QByteArrayView name) const
{
    for (const auto &[key, value] : m_headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

HttpResponseParser::State HttpResponseParser::fail(const QString &error)
{
    m_error = error;
    m_state = State::Error;
    m_buffer.clear();
    return m_state;
}

HttpResponseParser::State HttpResponseParser::parseHead(QByteArrayView head)
{
    const QList<QByteArrayView> lines = [&] {
        QList<QByteArrayView> out;
        qsizetype from = 0;
        for (;;) {
            const qsizetype end = head.indexOf(QByteArrayView("\r\n"), from);
            out.append(head.sliced(from, (end < 0 ? head.size() : end) - from));
            if (end < 0)
                return out;
            from = end + 2;
        }
    }();
    static const QRegularExpression statusLine(
        QStringLiteral("^HTTP/1\\.[01] ([1-9][0-9][0-9])(?: (.*))?$"));
    const auto match = statusLine.match(QString::fromLatin1(lines.first()));
    if (!match.hasMatch())
        return fail(QStringLiteral("not an HTTP response: \"%1\"")
                        .arg(QString::fromLatin1(
                            lines.first().first(std::min<qsizetype>(64, lines.first().size())))));
    m_status = match.captured(1).toInt();
    m_reason = match.captured(2).toLatin1();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArrayView line = lines[i];
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return fail(
                QStringLiteral("malformed header line \"%1\"")
                    .arg(QString::fromLatin1(line.first(std::min<qsizetype>(64, line.size())))));
        m_headers.append({line.first(colon).trimmed().toByteArray(),
                          line.sliced(colon + 1).trimmed().toByteArray()});
    }
    if (!header("Transfer-Encoding").isNull())
        return fail(QStringLiteral("Transfer-Encoding \"%1\" is not supported")
                        .arg(QString::fromLatin1(header("Transfer-Encoding"))));
    const QByteArray length = header("Content-Length");
    // Informational, No Content and Not Modified answers have no body.
    if (m_status < 200 || m_status == 204 || m_status == 304) {
        m_contentLength = 0;
    } else if (!length.isNull()) {
        static const QRegularExpression digits(QStringLiteral("^[0-9]{1,10}$"));
        if (!digits.match(QString::fromLatin1(length)).hasMatch())
            return fail(QStringLiteral("invalid Content-Length \"%1\"")
                            .arg(QString::fromLatin1(length.left(32))));
        m_contentLength = length.toLongLong();
    }
    if (m_contentLength > MaxBodySize)
        return fail(QStringLiteral("the response body of %1 bytes is larger than %2")
                        .arg(m_contentLength)
                        .arg(MaxBodySize));
    return m_state;
}

HttpResponseParser::State HttpResponseParser::takeBody()
{
    if (m_contentLength < 0) {
        if (m_buffer.size() > MaxBodySize)
            return fail(
                QStringLiteral("the response body is larger than %1 bytes").arg(MaxBodySize));
        return m_state;
    }
    if (m_buffer.size() < m_contentLength)
        return m_state;
    m_body = m_buffer.first(qsizetype(m_contentLength));
    m_buffer.clear();
    m_state = State::Complete;
    return m_state;
}

} // namespace CloudConsole
