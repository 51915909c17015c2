#pragma once

// CastRecorder writes one console's recording: asciicast v2 files (castformat.h) in a folder of
// their own, on a thread of its own, so that a slow or full disk never holds back the console,
// its clients or its log.
//
// The console's thread hands over output, input, markers and resizes (each with the time it
// happened) into a queue of at most MaxQueued bytes and returns; what does not fit is dropped,
// counted, logged once, and said in the recording by a marker where it was lost. The writer
// thread writes each event as one complete line, in order, so a file cut off by a crash plays up
// to its last complete event. After a write error (a full disk) it reports once, drops what comes
// meanwhile (counted, and said in a marker) and tries a new file every RetryInterval. A file ends
// before the event that would take it past rotateSize (output and input are cut to fit, at a
// character, and go on in the next file) or at rotateAge; after each new file (and hourly) the
// console's oldest files go while they are over keepSize together or older than keepAge; the file
// being written is never removed.
//
// Files are NAME-YYYYMMDD-HHMMSS-mmm.cast (UTC), never named before the newest, so their names
// sort by age. The thread lingers a few milliseconds after a wakeup, to take many reads in one
// go. It owns the thread, the queue and the files; it knows nothing of the
// console, clients or HTTP.

#include "recordingsettings.h"

#include <QByteArray>
#include <QFileInfo>
#include <QSize>
#include <QString>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace CloudConsole {

class CastRecorder
{
public:
    static constexpr qsizetype MaxQueued = 4 * 1024 * 1024;
    static constexpr std::chrono::milliseconds RetryInterval {1000};
    // How long the destructor waits for the thread to write what is queued.
    static constexpr std::chrono::milliseconds StopTimeout {1000};

    // settings.dir is where the files go (already resolved: never empty).
    CastRecorder(const QString &console, const RecordingSettings &settings, QSize size);
    ~CastRecorder();

    // The console's thread; none of these waits for the disk.
    void output(QByteArrayView bytes);
    // Input a client typed; author is said in a marker before it ("input by ...").
    void input(QByteArrayView bytes, const QString &author);
    void marker(const QString &label);
    void resize(QSize size);

    qint64 bytesDropped() const; // output and input never recorded, since the start
    qint64 errorCount() const;
    QString currentFile() const; // empty while none is open
    // Waits until everything queued is written (tests); false after timeout.
    bool flush(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

    // The recordings of a console in dir, oldest first.
    static std::vector<QFileInfo> files(const QString &dir, const QString &console);
    static bool isRecordingName(const QString &console, const QString &fileName);

    struct Shared; // the two threads' state: castrecorder.cpp

private:
    void enqueue(int kind, QByteArrayView bytes, const QString &text, QSize size);

    std::shared_ptr<Shared> m_shared;
    std::thread m_thread;
};

} // namespace CloudConsole
