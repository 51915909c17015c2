#pragma once

// SignalWatcher turns Unix signals into a Qt signal delivered by the event loop.
//
// The handler only writes the signal number into a socket pair (the one async-signal-safe way
// out of a handler); a QSocketNotifier on the other end emits received(). One instance per
// process, since signal dispositions are process-wide. It owns the socket pair.

#include "uniquefd.h"

#include <QObject>
#include <QSocketNotifier>

#include <initializer_list>
#include <memory>
#include <vector>

namespace CloudConsole {

class SignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit SignalWatcher(std::initializer_list<int> signals, QObject *parent = nullptr);
    ~SignalWatcher() override;

Q_SIGNALS:
    void received(int signal);

private:
    void onReadable();

    UniqueFd m_read;
    UniqueFd m_write;
    std::unique_ptr<QSocketNotifier> m_notifier;
    std::vector<int> m_signals;
};

} // namespace CloudConsole
