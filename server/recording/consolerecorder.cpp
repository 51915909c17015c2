#include "consolerecorder.h"

#include "castrecorder.h"
#include "timeindex.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonDocument>

namespace CloudConsole {

namespace {

// "alice (operator) from 127.0.0.1", or "operator from 127.0.0.1" without access control.
QString whoText(const QJsonObject &who)
{
    const QString user = who.value(QLatin1String("user")).toString();
    const QString role = who.value(QLatin1String("role")).toString();
    const QString address = who.value(QLatin1String("address")).toString();
    QString text = user.isEmpty() ? role : QStringLiteral("%1 (%2)").arg(user, role);
    if (!address.isEmpty())
        text += QStringLiteral(" from ") + address;
    return text;
}

// A marker's label for an event; empty for none.
QString labelOf(const QString &type, const QJsonObject &detail)
{
    const QString text = detail.value(QLatin1String("detail")).toString();
    if (type == QLatin1String("source-up"))
        return QStringLiteral("source up: ") + text;
    if (type == QLatin1String("source-down"))
        return QStringLiteral("source down: ") + text;
    if (type == QLatin1String("client-join"))
        return QStringLiteral("client joined: ") + whoText(detail);
    if (type == QLatin1String("client-leave"))
        return QStringLiteral("client left: ") + whoText(detail);
    if (type == QLatin1String("break"))
        return detail.isEmpty() ? QStringLiteral("break")
                                : QStringLiteral("break by ") + whoText(detail);
    if (type == QLatin1String("alert"))
        return QStringLiteral("alert %1 (%2): %3")
            .arg(detail.value(QLatin1String("rule")).toString(),
                 detail.value(QLatin1String("severity")).toString(),
                 detail.value(QLatin1String("line")).toString().left(200));
    if (type == QLatin1String("resize"))
        return {}; // an "r" event
    // Events of kinds added later: their type and detail as they are.
    return type + QLatin1Char(' ')
        + QString::fromUtf8(QJsonDocument(detail).toJson(QJsonDocument::Compact));
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace

ConsoleRecorder::ConsoleRecorder(const QString &console, QSize size)
    : m_console(console), m_size(size)
{ }

ConsoleRecorder::~ConsoleRecorder() = default;

std::shared_ptr<LogIndex> ConsoleRecorder::indexFor(const QString &logPath, const QString &epoch)
{
    if (!m_index)
        m_index = std::make_shared<LogIndex>(TimeIndexFormat::pathFor(logPath), epoch);
    return m_index;
}

QString ConsoleRecorder::directory(const RecordingSettings &settings, const QString &logPath)
{
    if (!settings.dir.isEmpty())
        return settings.dir;
    if (!logPath.isEmpty())
        return QFileInfo(logPath).absolutePath();
    return {};
}

bool ConsoleRecorder::setRecording(const RecordingSettings &settings, const QString &logPath,
                                   QString *error)
{
    RecordingSettings resolved = settings;
    resolved.dir = directory(settings, logPath);
    if (resolved.enabled && resolved.dir.isEmpty()) {
        *error = QStringLiteral("record = on needs record-dir, or a log file whose folder it uses");
        return false;
    }
    if (m_cast && resolved == m_settings)
        return true;
    m_settings = resolved;
    m_cast.reset(); // the old file ends with its last complete event
    if (m_settings.enabled)
        m_cast = std::make_unique<CastRecorder>(m_console, m_settings, m_size);
    return true;
}

void ConsoleRecorder::noteTime(qint64 offset)
{
    // An alert's offset is its line's, read a moment ago: the index keeps times in order only.
    if (offset < m_lastNoted)
        return;
    m_lastNoted = offset;
    m_sinceMark.start();
    if (m_index)
        m_index->note(offset, nowMs());
}

void ConsoleRecorder::output(qint64 offset, QByteArrayView bytes)
{
    // A mark at the first read a second after the last one: the output between two marks
    // arrived within a second of the first.
    if (!m_sinceMark.isValid() || m_sinceMark.elapsed() >= 1000)
        noteTime(offset);
    if (m_cast)
        m_cast->output(bytes);
}

void ConsoleRecorder::input(QByteArrayView bytes, const QJsonObject &who)
{
    if (m_cast && m_settings.input)
        m_cast->input(bytes, whoText(who));
}

void ConsoleRecorder::event(const QString &type, qint64 offset, const QJsonObject &detail)
{
    noteTime(offset);
    if (type == QLatin1String("resize")) {
        m_size = QSize(detail.value(QLatin1String("cols")).toInt(),
                       detail.value(QLatin1String("rows")).toInt());
        if (m_cast)
            m_cast->resize(m_size);
        return;
    }
    if (m_cast) {
        const QString label = labelOf(type, detail);
        if (!label.isEmpty())
            m_cast->marker(label);
    }
}

} // namespace CloudConsole
