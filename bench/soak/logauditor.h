#pragma once

// LogAuditor follows the console's log file as the server writes it, across every rotation,
// and checks it as one stream with a StreamChecker: every frame the feeder wrote is in the log,
// or behind one of the log's own "N bytes missing" lines.
//
// rotate() is logrotate: the file is renamed, the server is sent SIGHUP, and once the server has
// made the file again the auditor reads the renamed one to its end and deletes it, which is what
// frees the small disk the log lives on. A rotation the server does not follow within 5 s is a
// failure.
//
// It owns its file descriptors and checker; it knows nothing about the server but the signal it
// is handed.

#include "streamchecker.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <sys/types.h>

#include <functional>

namespace Soak {

class LogAuditor : public QObject
{
    Q_OBJECT
public:
    struct Totals
    {
        StreamTotals stream;
        qint64 rotations = 0; // done, with the new file made by the server
        qint64 rotationsFailed = 0;
        QStringList rotationFailures;
        qint64 files = 0; // files read to their end
    };

    LogAuditor(const FrameOracle &oracle, QString path, std::function<void()> sendHangupSignal,
               QObject *parent = nullptr);
    ~LogAuditor() override;

    void setExcuse(StreamChecker::Excuse excuse) { m_checker.setExcuse(std::move(excuse)); }
    void start();
    // Asynchronous; rotated(ok) says how it went.
    void rotate();
    bool rotating() const { return m_oldFd >= 0; }
    // Reads what is there now.
    void poll();
    std::optional<quint64> lastSeq() const { return m_checker.lastSeq(); }
    Totals totals() const;

Q_SIGNALS:
    void rotated(bool ok, const QString &detail);

private:
    void readAll(int fd);
    void checkRotation();
    int openCurrent();

    QString m_path;
    std::function<void()> m_sendHangup;
    StreamChecker m_checker;
    QTimer m_timer;
    int m_fd = -1;
    ino_t m_inode = 0;
    int m_oldFd = -1; // the renamed file, while the server has not made a new one
    QString m_oldPath;
    QElapsedTimer m_rotationClock;
    qint64 m_rotationNumber = 0;
    Totals m_totals;
};

} // namespace Soak
