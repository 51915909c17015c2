#include "libvirteventloop.h"

#include <QCoreApplication>
#include <QMutex>
#include <QPointer>
#include <QSocketNotifier>
#include <QThread>
#include <QTimer>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <poll.h>

#include <map>
#include <memory>
#include <vector>

namespace CloudConsole::LibvirtEventLoop {

namespace {

// One of libvirt's file descriptors: a read and a write notifier, on while libvirt asks for them.
struct Handle
{
    int fd = -1;
    int events = 0;
    virEventHandleCallback callback = nullptr;
    void *opaque = nullptr;
    virFreeCallback free = nullptr;
    std::unique_ptr<QSocketNotifier> read;
    std::unique_ptr<QSocketNotifier> write;
};

// One of libvirt's timeouts: -1 off, 0 on every turn of the loop, N every N ms.
struct Timeout
{
    int frequency = -1;
    virEventTimeoutCallback callback = nullptr;
    void *opaque = nullptr;
    virFreeCallback free = nullptr;
    std::unique_ptr<QTimer> timer;
};

void switchOff(QSocketNotifier *notifier)
{
    if (notifier)
        notifier->setEnabled(false);
}

void switchOff(QTimer *timer)
{
    if (timer)
        timer->stop();
}

// The implementation's state. Tables are touched under the mutex; notifiers and timers only on
// the loop's thread.
class Loop : public QObject
{
public:
    Loop()
    {
        m_flush.setSingleShot(true);
        m_flush.setInterval(0);
        connect(&m_flush, &QTimer::timeout, this, &Loop::flush);
    }

    // Runs f on the loop's thread: now when called there, else on its next turn.
    template<typename F> void onLoopThread(F f)
    {
        if (QThread::currentThread() == thread())
            f();
        else
            QMetaObject::invokeMethod(this, std::move(f), Qt::QueuedConnection);
    }

    int addHandle(int fd, int events, virEventHandleCallback cb, void *opaque, virFreeCallback ff)
    {
        int id = 0;
        {
            QMutexLocker lock(&m_mutex);
            id = ++m_nextHandle;
            Handle &handle = m_handles[id];
            handle.fd = fd;
            handle.events = events;
            handle.callback = cb;
            handle.opaque = opaque;
            handle.free = ff;
        }
        onLoopThread([this, id] { makeNotifiers(id); });
        return id;
    }

    void updateHandle(int id, int events)
    {
        {
            QMutexLocker lock(&m_mutex);
            const auto it = m_handles.find(id);
            if (it == m_handles.end())
                return;
            it->second.events = events;
        }
        onLoopThread([this, id] { applyEvents(id); });
    }

    int removeHandle(int id)
    {
        Handle removed;
        {
            QMutexLocker lock(&m_mutex);
            const auto it = m_handles.find(id);
            if (it == m_handles.end())
                return -1;
            removed = std::move(it->second);
            m_handles.erase(it);
        }
        // The notifier may be the one whose activation is running this: off now, deleted and
        // libvirt's data freed on the next turn.
        finish(std::move(removed.read), std::move(removed.write), removed.free, removed.opaque);
        return 0;
    }

    int addTimeout(int frequency, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff)
    {
        int id = 0;
        {
            QMutexLocker lock(&m_mutex);
            id = ++m_nextTimeout;
            Timeout &timeout = m_timeouts[id];
            timeout.frequency = frequency;
            timeout.callback = cb;
            timeout.opaque = opaque;
            timeout.free = ff;
        }
        onLoopThread([this, id] { makeTimer(id); });
        return id;
    }

    void updateTimeout(int id, int frequency)
    {
        {
            QMutexLocker lock(&m_mutex);
            const auto it = m_timeouts.find(id);
            if (it == m_timeouts.end())
                return;
            it->second.frequency = frequency;
        }
        onLoopThread([this, id] { applyFrequency(id); });
    }

    int removeTimeout(int id)
    {
        Timeout removed;
        {
            QMutexLocker lock(&m_mutex);
            const auto it = m_timeouts.find(id);
            if (it == m_timeouts.end())
                return -1;
            removed = std::move(it->second);
            m_timeouts.erase(it);
        }
        finish(std::move(removed.timer), std::unique_ptr<QTimer>(), removed.free, removed.opaque);
        return 0;
    }

    int handles()
    {
        QMutexLocker lock(&m_mutex);
        return int(m_handles.size());
    }
    int timeouts()
    {
        QMutexLocker lock(&m_mutex);
        return int(m_timeouts.size());
    }

private:
    template<typename A, typename B>
    void finish(std::unique_ptr<A> first, std::unique_ptr<B> second, virFreeCallback ff,
                void *opaque)
    {
        // Shared, since a queued functor must be copyable.
        auto a = std::shared_ptr<A>(std::move(first));
        auto b = std::shared_ptr<B>(std::move(second));
        {
            QMutexLocker lock(&m_mutex);
            m_graveyard.push_back({a, b, ff, opaque});
        }
        onLoopThread([this, a, b] {
            switchOff(a.get());
            switchOff(b.get());
            m_flush.start();
        });
    }

public:
    // What was removed, freed now: on the next turn of the loop, and once more when the
    // application goes (qAddPostRoutine), so nothing libvirt handed over is left unfreed.
    void flush()
    {
        std::vector<Removed> removed;
        {
            QMutexLocker lock(&m_mutex);
            removed.swap(m_graveyard);
        }
        for (Removed &r : removed) {
            r.first.reset();
            r.second.reset();
            if (r.free)
                r.free(r.opaque);
        }
    }

private:
    void makeNotifiers(int id)
    {
        QMutexLocker lock(&m_mutex);
        const auto it = m_handles.find(id);
        if (it == m_handles.end())
            return;
        Handle &handle = it->second;
        handle.read = std::make_unique<QSocketNotifier>(handle.fd, QSocketNotifier::Read);
        handle.write = std::make_unique<QSocketNotifier>(handle.fd, QSocketNotifier::Write);
        connect(handle.read.get(), &QSocketNotifier::activated, this, [this, id] { dispatch(id); });
        connect(handle.write.get(), &QSocketNotifier::activated, this,
                [this, id] { dispatch(id); });
        lock.unlock();
        applyEvents(id);
    }

    void applyEvents(int id)
    {
        QMutexLocker lock(&m_mutex);
        const auto it = m_handles.find(id);
        if (it == m_handles.end() || !it->second.read)
            return;
        Handle &handle = it->second;
        handle.read->setEnabled(handle.events & VIR_EVENT_HANDLE_READABLE);
        handle.write->setEnabled(handle.events & VIR_EVENT_HANDLE_WRITABLE);
    }

    void dispatch(int id)
    {
        int fd = -1;
        int wanted = 0;
        virEventHandleCallback callback = nullptr;
        void *opaque = nullptr;
        {
            QMutexLocker lock(&m_mutex);
            const auto it = m_handles.find(id);
            if (it == m_handles.end())
                return;
            fd = it->second.fd;
            wanted = it->second.events;
            callback = it->second.callback;
            opaque = it->second.opaque;
        }
        // A notifier says only that the descriptor is ready; poll says which way, and whether
        // it hung up or failed (which libvirt wants to hear whatever it asked for).
        pollfd ready {fd,
                      short(((wanted & VIR_EVENT_HANDLE_READABLE) ? POLLIN : 0)
                            | ((wanted & VIR_EVENT_HANDLE_WRITABLE) ? POLLOUT : 0)),
                      0};
        if (::poll(&ready, 1, 0) <= 0)
            return;
        int events = 0;
        events |= (ready.revents & POLLIN) ? VIR_EVENT_HANDLE_READABLE : 0;
        events |= (ready.revents & POLLOUT) ? VIR_EVENT_HANDLE_WRITABLE : 0;
        events |= (ready.revents & POLLERR) ? VIR_EVENT_HANDLE_ERROR : 0;
        events |= (ready.revents & POLLHUP) ? VIR_EVENT_HANDLE_HANGUP : 0;
        if (events)
            callback(id, fd, events, opaque);
    }

    void makeTimer(int id)
    {
        QMutexLocker lock(&m_mutex);
        const auto it = m_timeouts.find(id);
        if (it == m_timeouts.end())
            return;
        it->second.timer = std::make_unique<QTimer>();
        connect(it->second.timer.get(), &QTimer::timeout, this, [this, id] { fire(id); });
        lock.unlock();
        applyFrequency(id);
    }

    void applyFrequency(int id)
    {
        QMutexLocker lock(&m_mutex);
        const auto it = m_timeouts.find(id);
        if (it == m_timeouts.end() || !it->second.timer)
            return;
        QTimer &timer = *it->second.timer;
        if (it->second.frequency < 0) {
            timer.stop();
            return;
        }
        // 0: on every turn of the loop, as libvirt means it (it sets one to flush its events).
        if (!timer.isActive() || timer.interval() != it->second.frequency)
            timer.start(it->second.frequency);
    }

    void fire(int id)
    {
        virEventTimeoutCallback callback = nullptr;
        void *opaque = nullptr;
        {
            QMutexLocker lock(&m_mutex);
            const auto it = m_timeouts.find(id);
            if (it == m_timeouts.end())
                return;
            callback = it->second.callback;
            opaque = it->second.opaque;
        }
        callback(id, opaque);
    }

    // A removed handle's or timeout's objects and libvirt's data, until flush().
    struct Removed
    {
        std::shared_ptr<QObject> first;
        std::shared_ptr<QObject> second;
        virFreeCallback free = nullptr;
        void *opaque = nullptr;
    };

    QMutex m_mutex;
    std::vector<Removed> m_graveyard;
    QTimer m_flush;
    int m_nextHandle = 0;
    int m_nextTimeout = 0;
    std::map<int, Handle> m_handles;
    std::map<int, Timeout> m_timeouts;
};

// Never destroyed: see the header. Made on the first install(), on the loop's thread.
Loop *theLoop = nullptr;

} // namespace

void install()
{
    if (theLoop)
        return;
    theLoop = new Loop; // deliberately never deleted (see the header)
    qAddPostRoutine([] { theLoop->flush(); });
    virSetErrorFunc(nullptr, [](void *, virErrorPtr) {});
    virEventRegisterImpl(
        [](int fd, int events, virEventHandleCallback cb, void *opaque, virFreeCallback ff) {
            return theLoop->addHandle(fd, events, cb, opaque, ff);
        },
        [](int watch, int events) { theLoop->updateHandle(watch, events); },
        [](int watch) { return theLoop->removeHandle(watch); },
        [](int frequency, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff) {
            return theLoop->addTimeout(frequency, cb, opaque, ff);
        },
        [](int timer, int frequency) { theLoop->updateTimeout(timer, frequency); },
        [](int timer) { return theLoop->removeTimeout(timer); });
}

int handleCount()
{
    return theLoop ? theLoop->handles() : 0;
}

int timeoutCount()
{
    return theLoop ? theLoop->timeouts() : 0;
}

} // namespace CloudConsole::LibvirtEventLoop
