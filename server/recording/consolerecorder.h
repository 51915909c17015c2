#pragma once

// ConsoleRecorder is the console's thread's side of time travel: it notes when output arrives
// for the log's time index (a LogIndex, written on the log writer's thread) and, with record =
// on, hands output, input, events and resizes to a CastRecorder (its own thread). Console calls it
// where bytes arrive, where input is taken and where events are recorded, and nothing of it ever
// waits for a file.
//
// It owns the CastRecorder and shares the LogIndex with the log writer. It knows nothing of
// sessions, HTTP or the log file's queue: who typed is handed to it as a client's detail.

#include "recordingsettings.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QSize>
#include <QString>

#include <memory>

namespace CloudConsole {

class CastRecorder;
class LogIndex;

class ConsoleRecorder
{
public:
    ConsoleRecorder(const QString &console, QSize size);
    ~ConsoleRecorder();

    // The time index of the log at logPath, for LogWriter::setIndex(); made once.
    std::shared_ptr<LogIndex> indexFor(const QString &logPath, const QString &epoch);
    // Starts, changes or stops recording (a reload); *error when record = on has no folder.
    bool setRecording(const RecordingSettings &settings, const QString &logPath, QString *error);
    const RecordingSettings &recording() const { return m_settings; }
    // Where the files go: record-dir, else the log's folder; empty when neither.
    static QString directory(const RecordingSettings &settings, const QString &logPath);

    // Output just appended at offset.
    void output(qint64 offset, QByteArrayView bytes);
    // Input a client's turn gave the source; who: its address, role and user (clientDetail()).
    void input(QByteArrayView bytes, const QJsonObject &who);
    // An event of the console (ConsoleEvents' types and details).
    void event(const QString &type, qint64 offset, const QJsonObject &detail);

    CastRecorder *cast() const { return m_cast.get(); }
    LogIndex *index() const { return m_index.get(); }

private:
    void noteTime(qint64 offset);

    const QString m_console;
    QSize m_size;
    RecordingSettings m_settings;
    std::unique_ptr<CastRecorder> m_cast;
    std::shared_ptr<LogIndex> m_index;
    QElapsedTimer m_sinceMark; // invalid until the first mark
    qint64 m_lastNoted = 0; // the offset of the last mark
};

} // namespace CloudConsole
