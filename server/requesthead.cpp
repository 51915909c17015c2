#include "requesthead.h"

namespace CloudConsole {

namespace {

bool isTokenChar(char c)
{
    // RFC 9110 tchar.
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

bool isToken(QByteArrayView text)
{
    if (text.isEmpty())
        return false;
    for (char c : text) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

bool hasControlCharacters(QByteArrayView text)
{
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f)
            return true;
    }
    return false;
}

// Offset one past the blank line that ends the head, or -1 while it has not arrived.
qsizetype findHeadEnd(QByteArrayView data, qsizetype from)
{
    for (qsizetype i = std::max<qsizetype>(from, 1); i < data.size(); ++i) {
        if (data[i] != '\n')
            continue;
        if (data[i - 1] == '\n')
            return i + 1;
        if (i >= 2 && data[i - 1] == '\r' && data[i - 2] == '\n')
            return i + 1;
    }
    return -1;
}

} // namespace

QByteArray RequestHead::value(QByteArrayView name) const
{
    QByteArray joined;
    for (const auto &[fieldName, fieldValue] : fields) {
        if (fieldName.compare(name, Qt::CaseInsensitive) != 0)
            continue;
        if (!joined.isEmpty())
            joined += ", ";
        joined += fieldValue;
    }
    return joined;
}

bool RequestHead::hasToken(QByteArrayView name, QByteArrayView token) const
{
    const QList<QByteArray> items = value(name).split(',');
    for (const QByteArray &item : items) {
        if (item.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

bool RequestHead::isWebSocketUpgrade() const
{
    return hasToken("Upgrade", "websocket") && hasToken("Connection", "upgrade");
}

QByteArray RequestHead::toCanonicalBytes() const
{
    QByteArray bytes = method + ' ' + target + ' ' + version + "\r\n";
    for (const auto &[name, fieldValue] : fields)
        bytes += name + ": " + fieldValue + "\r\n";
    return bytes + "\r\n";
}

RequestHeadReader::Status RequestHeadReader::feed(QByteArrayView bytes)
{
    if (m_status != Status::NeedMore)
        return m_status;
    // Clients may send empty lines before a request (RFC 9112 section 2.2): drop them.
    if (m_buffer.isEmpty()) {
        while (!bytes.isEmpty() && (bytes.front() == '\r' || bytes.front() == '\n')) {
            bytes = bytes.sliced(1);
            ++m_skipped;
        }
    }
    const qsizetype searchFrom = std::max<qsizetype>(0, m_buffer.size() - 2);
    // Empty lines before the request count against the limit too: the caller looks at no more
    // than MaxHeadSize + 1 bytes, and must get an answer from them.
    const qsizetype room = std::max<qsizetype>(0, MaxHeadSize + 1 - m_skipped - m_buffer.size());
    m_buffer.append(bytes.first(std::min(bytes.size(), room)));
    const qsizetype end = findHeadEnd(m_buffer, searchFrom);
    if (end < 0) {
        if (m_skipped + m_buffer.size() > MaxHeadSize) {
            m_error = QStringLiteral("request head larger than %1 bytes").arg(MaxHeadSize);
            m_status = Status::TooLarge;
        }
        return m_status;
    }
    if (m_skipped + end > MaxHeadSize) {
        m_error = QStringLiteral("request head larger than %1 bytes").arg(MaxHeadSize);
        return m_status = Status::TooLarge;
    }
    m_headSize = m_skipped + end;
    m_status = parse(QByteArrayView(m_buffer).first(end));
    m_buffer.clear();
    return m_status;
}

RequestHeadReader::Status RequestHeadReader::parse(QByteArrayView head)
{
    QList<QByteArrayView> lines;
    qsizetype start = 0;
    for (qsizetype i = 0; i < head.size(); ++i) {
        if (head[i] != '\n')
            continue;
        QByteArrayView line = head.sliced(start, i - start);
        if (line.endsWith('\r'))
            line.chop(1);
        lines.append(line);
        start = i + 1;
    }
    // The last line is the empty one that ends the head.
    if (lines.size() < 2 || !lines.last().isEmpty())
        return malformed(QStringLiteral("incomplete request head"));
    lines.removeLast();

    const QList<QByteArray> parts = lines.first().toByteArray().split(' ');
    if (parts.size() != 3)
        return malformed(QStringLiteral("request line must be METHOD TARGET VERSION"));
    if (!isToken(parts[0]))
        return malformed(QStringLiteral("bad method"));
    if (!parts[1].startsWith('/') || hasControlCharacters(parts[1]))
        return malformed(QStringLiteral("request target must be a path"));
    if (parts[2] != "HTTP/1.1" && parts[2] != "HTTP/1.0")
        return malformed(QStringLiteral("unsupported HTTP version"));
    m_head.method = parts[0];
    m_head.target = parts[1];
    m_head.version = parts[2];

    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArrayView line = lines[i];
        if (line.startsWith(' ') || line.startsWith('\t'))
            return malformed(QStringLiteral("folded header lines are not allowed"));
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0 || !isToken(line.first(colon)))
            return malformed(QStringLiteral("bad header field on line %1").arg(i + 1));
        const QByteArray value = line.sliced(colon + 1).toByteArray().trimmed();
        if (hasControlCharacters(value))
            return malformed(QStringLiteral("control character in header field"));
        m_head.fields.append({line.first(colon).toByteArray(), value});
    }
    return Status::Complete;
}

RequestHeadReader::Status RequestHeadReader::malformed(const QString &why)
{
    m_error = why;
    m_head = {};
    return Status::Malformed;
}

} // namespace CloudConsole
