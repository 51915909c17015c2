#pragma once

// LogWriter appends every byte a console reads to a log file, on a thread of its own, so that a
// file that blocks (a pipe nobody reads, a hung disk, an NFS mount whose server is gone) never
// holds up the console's thread and its clients.
//
// The console's thread hands the output over: write() copies each read into a queue of at most
// MaxQueued bytes and returns; the writer thread writes the queue to the file with blocking
// writes. Output that does not fit waits in the console's HistoryRing: the writer keeps a cursor
// into it and takes from it when the queue has room again. Only bytes the ring moved past
// meanwhile are missing from the log, and then the log says so in a marker line that names them
// (how many, and their offsets in the console's output), and bytesLost() counts them.
//
// After a write error (a full disk, say) it reports once and retries every second; while it
// fails it keeps no queue: the ring is the record, and the writer catches up from it. reopen() is
// for logrotate (SIGHUP): it is done in order with the output, on the writer thread, so the
// console never waits for the open either. It owns the writer thread and its LogFile, not the ring,
// which must outlive it.
//
// Threads. The console's thread calls everything public and is the only one to read the ring:
// this class is that thread's half. The writer thread's half, the file and the queue they share,
// is LogFile (logfile.h), which knows nothing of the ring. When this object goes, the writer
// thread is given FlushTimeout to finish at shutdown (after the event loop), no time at all while
// the event loop runs; one still busy then is left behind with the LogFile, which it owns from
// then on: it writes what it was handed, and exits.

#include "historyring.h"
#include "logfile.h"

#include <QObject>

#include <chrono>
#include <memory>
#include <thread>

namespace CloudConsole {

class LogWriter : public QObject
{
    Q_OBJECT
public:
    // Output waiting for a slow or blocked file; beyond it output waits in the history only.
    static constexpr qsizetype MaxQueued = LogFile::MaxQueued;
    static constexpr std::chrono::milliseconds RetryInterval = LogFile::RetryInterval;
    // The longest flush() and the destructor wait for the file.
    static constexpr std::chrono::milliseconds FlushTimeout {2000};

    LogWriter(const QString &path, const HistoryRing &ring, QObject *parent = nullptr);
    // Writes what is queued: waiting at most FlushTimeout after the event loop ended (shutdown),
    // in the background while it runs. Says on stderr what the file did not get.
    ~LogWriter() override;

    // Opens the file at start-up, before anything else, on the caller's thread; an error here is
    // the caller's to report and exit with. Then starts the writer thread.
    bool open(QString *error);
    // The time index the writer thread keeps beside the log (recording/timeindex.h); before open().
    void setIndex(std::shared_ptr<LogIndex> index) { m_file->index = std::move(index); }
    // Hands the writer everything the ring has that the log does not, and waits until it is
    // written or the file fails; false, said on stderr, when FlushTimeout passed first. It blocks
    // the caller: for shutdown and tests.
    bool flush();
    // Called after each append with the bytes just appended: the log takes them from here, since
    // a ring smaller than one read keeps only their tail. Never waits for the file.
    void write(QByteArrayView appended);
    // Closes and opens the path again (after logrotate moved the file away), after the output
    // handed over before it is written. Never waits for the file.
    void reopen();

    QString path() const { return m_path; }
    // The output offset up to which the file has the output: it trails the ring while the
    // writer works.
    qint64 cursor() const;
    qint64 bytesLost() const;
    bool isFailing() const;
    // Attempts to write or reopen the file that failed, since the start.
    qint64 errorCount() const;

private:
    void startWriter();
    // Queues what the ring (and the bytes just appended) have beyond what was handed over, as
    // much as the queue takes.
    void handOver(QByteArrayView appended);
    QByteArray copyOutput(qint64 offset, qsizetype size, QByteArrayView appended) const;
    // The writer thread takes output again, or has room for it.
    void onWriterReady();
    bool waitUntilWritten(std::chrono::steady_clock::time_point deadline);

    const QString m_path;
    const HistoryRing &m_ring;
    const std::shared_ptr<LogFile> m_file; // shared with the writer thread
    bool m_behind = false; // the queue was full: said once, until the writer keeps up again
    bool m_gaveUp = false; // a flush() timed out: the writer is stuck, the destructor won't wait
    std::thread m_writer; // runs LogFile::run(); started by open() (or the first use)
};

} // namespace CloudConsole
