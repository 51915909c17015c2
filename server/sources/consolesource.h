#pragma once

// ConsoleSource is where a console's bytes come from and where its input goes: a pty path, a
// program spawned in a pty, a stream socket, a serial line, a pty a VMM's API names.
//
// A source connects by itself once started, reports up() and down() with a reason, and keeps
// retrying while it is down. It knows nothing about history, clients or logs; the Console that
// owns it does. Defaults describe a source without a size and without BREAK.

#include <QByteArrayView>
#include <QObject>
#include <QString>

namespace CloudConsole {

class ConsoleSource : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    virtual void start() = 0;
    virtual bool isUp() const = 0;
    // What the source is attached to when up ("/dev/pts/3"), or why it is down.
    virtual QString stateReason() const = 0;

    // Queues input for the console and returns how many bytes were taken (0 while down or
    // while the queue is full). Every source keeps the contract in writequeue.h: a queue of at
    // most WriteQueueLimit bytes, and writable() once it has drained to half after a refusal.
    virtual qsizetype write(QByteArrayView data) = 0;

    virtual bool canResize() const { return false; }
    virtual void resize(int cols, int rows)
    {
        Q_UNUSED(cols);
        Q_UNUSED(rows);
    }
    virtual bool canBreak() const { return false; }
    virtual bool sendBreak() { return false; }

Q_SIGNALS:
    // Output, as a view valid only during the emission.
    void dataRead(QByteArrayView data);
    void up(const QString &what);
    void down(const QString &reason);
    void writable();
};

} // namespace CloudConsole
