#pragma once

// LogWriter appends every byte a console reads to a log file.
//
// It keeps its own cursor into the console's HistoryRing instead of a buffer of its own: after a
// write error (a full disk, say) it reports once, retries every second, and catches up from the
// ring when the file takes data again. Only if the ring moved past the cursor meanwhile are
// bytes missing from the log, and then the log says so in a marker line. reopen() is for
// logrotate (SIGHUP). It owns the file descriptor and the retry timer, not the ring.

#include "historyring.h"
#include "uniquefd.h"

#include <QObject>
#include <QTimer>

namespace CloudConsole {

class LogWriter : public QObject
{
    Q_OBJECT
public:
    LogWriter(const QString &path, const HistoryRing &ring, QObject *parent = nullptr);

    // Opens the file at start-up; an error here is the caller's to report and exit with.
    bool open(QString *error);
    // Writes everything the ring has that the log does not.
    void flush();
    // Called after each append with the bytes just appended: the log takes them from here when
    // it is caught up, since a ring smaller than one read keeps only their tail.
    void write(QByteArrayView appended);
    // Closes and opens the path again (after logrotate moved the file away).
    void reopen();

    QString path() const { return m_path; }
    qint64 cursor() const { return m_cursor; }
    qint64 bytesLost() const { return m_lost; }
    bool isFailing() const { return !m_failure.isEmpty(); }
    // Attempts to write or reopen the file that failed, since the start.
    qint64 errorCount() const { return m_errors; }

private:
    // Returns the bytes written; fewer than asked means an error, now being retried.
    qsizetype writeSome(QByteArrayView data);
    void setFailure(const QString &failure);

    QString m_path;
    const HistoryRing &m_ring;
    UniqueFd m_fd;
    qint64 m_cursor = 0;
    qint64 m_lost = 0;
    qint64 m_errors = 0;
    QString m_failure; // the error being retried; empty while writing works
    QTimer m_retryTimer;
};

} // namespace CloudConsole
