#include "qmplocator.h"

#include <QJsonDocument>

namespace CloudConsole {

bool QmpReader::feed(QByteArrayView data, QList<QJsonObject> *messages, QString *error)
{
    while (!data.isEmpty()) {
        const qsizetype newline = data.indexOf('\n');
        const QByteArrayView piece = newline < 0 ? data : data.first(newline);
        if (m_line.size() + piece.size() > MaxMessageSize) {
            *error = QStringLiteral("a QMP message is larger than %1 bytes").arg(MaxMessageSize);
            m_line.clear();
            return false;
        }
        m_line.append(piece);
        if (newline < 0)
            return true;
        data = data.sliced(newline + 1);
        const QByteArray line = std::exchange(m_line, {}).trimmed();
        if (line.isEmpty())
            continue;
        QJsonParseError parseError {};
        const QJsonDocument document = QJsonDocument::fromJson(line, &parseError);
        if (!document.isObject()) {
            *error
                = QStringLiteral("not a QMP message: \"%1\"").arg(QString::fromUtf8(line.left(64)));
            return false;
        }
        messages->append(document.object());
    }
    return true;
}

QmpLocator::QmpLocator(const QString &qmpSocket, const QString &chardev, QObject *parent)
    : ApiSocketLocator(qmpSocket, QStringLiteral("QEMU QMP"), parent), m_chardev(chardev)
{ }

bool QmpLocator::ptyFromChardevs(const QJsonArray &chardevs, const QString &chardev, QString *path,
                                 QString *error)
{
    QStringList labels;
    for (const QJsonValue &value : chardevs) {
        const QJsonObject device = value.toObject();
        const QString label = device.value(QLatin1String("label")).toString();
        labels.append(label);
        if (label != chardev)
            continue;
        const QString filename = device.value(QLatin1String("filename")).toString();
        if (!filename.startsWith(QLatin1String("pty:")) || filename.size() == 4) {
            *error = QStringLiteral("chardev \"%1\" is \"%2\", not a pty")
                         .arg(chardev, filename.left(128));
            return false;
        }
        *path = filename.sliced(4);
        return true;
    }
    *error = QStringLiteral("QEMU has no chardev \"%1\" (it has: %2)")
                 .arg(chardev, labels.isEmpty() ? QStringLiteral("none") : labels.join(u", "));
    return false;
}

void QmpLocator::onConnected()
{
    m_reader = QmpReader();
    m_step = Step::Greeting;
}

void QmpLocator::onBytes(QByteArrayView data)
{
    QList<QJsonObject> messages;
    QString error;
    const bool ok = m_reader.feed(data, &messages, &error);
    for (const QJsonObject &message : messages) {
        // An answer ends the question; whatever came after it is not for us.
        if (!isAsking())
            return;
        onMessage(message);
    }
    if (!ok && isAsking())
        fail(error);
}

void QmpLocator::onClosed()
{
    fail(QStringLiteral("QEMU closed the connection (is another client using this QMP socket?)"));
}

void QmpLocator::onMessage(const QJsonObject &message)
{
    if (message.contains(QLatin1String("event")))
        return; // asynchronous, and not what was asked
    if (message.contains(QLatin1String("error"))) {
        const QJsonObject error = message.value(QLatin1String("error")).toObject();
        fail(QStringLiteral("QEMU refused: %1").arg(error.value(QLatin1String("desc")).toString()));
        return;
    }
    switch (m_step) {
    case Step::Greeting:
        if (!message.contains(QLatin1String("QMP"))) {
            fail(QStringLiteral("no QMP greeting (is this a QMP socket?)"));
            return;
        }
        m_step = Step::Capabilities;
        send("{\"execute\":\"qmp_capabilities\"}\r\n");
        return;
    case Step::Capabilities:
        if (!message.contains(QLatin1String("return")))
            return;
        m_step = Step::Query;
        send("{\"execute\":\"query-chardev\"}\r\n");
        return;
    case Step::Query: {
        if (!message.contains(QLatin1String("return")))
            return;
        QString path;
        QString error;
        if (ptyFromChardevs(message.value(QLatin1String("return")).toArray(), m_chardev, &path,
                            &error))
            succeed(path);
        else
            fail(error);
        return;
    }
    }
}

} // namespace CloudConsole
