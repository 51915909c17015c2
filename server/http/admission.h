#pragma once

// Admission decides which new connections may hold one of the server's places for a request
// that is still arriving (its TLS handshake, its head, its body), so that no single address can
// take them all and a burst of honest clients is delayed rather than dropped.
//
// The rules, in order, for a connection that wants a place:
// - its address already holds perAddress places: if the oldest of them has been arriving for
//   longer than slowAfter, that one is closed and the newcomer takes its place; else the
//   newcomer waits;
// - every place is taken: the slowest connection of the address with the most places is
//   closed if it is slower than slowAfter, else the newcomer waits;
// - else it gets a place at once.
// A newcomer is admitted before those already waiting, and only a newcomer may close a slow
// connection to take its place, so that a flood of slow connections cannot keep a fast one
// waiting behind it; the waiting go as places free, in order.
// A waiting connection is not read (its bytes stay in the kernel and in its socket's bounded
// buffer); it gets the next place its address may take, and is closed if none comes within
// waitLimit. Places free when their owner calls release().
//
// It owns the bookkeeping of places and the waiting queue, not the sockets: it only closes
// the ones it evicts or gives up on. It knows nothing of HTTP.

#include "ratelimit.h"

#include <QElapsedTimer>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <deque>
#include <vector>

class QTcpSocket;

namespace CloudConsole {

class Admission : public QObject
{
    Q_OBJECT
public:
    struct Limits
    {
        int total = 256; // places over all addresses
        int perAddress = 32; // places one address may hold
        int slowAfterMs = 1000; // arriving this long, a place may go to someone else
        int waitLimitMs = 10'000; // how long a connection may wait for a place
        int maxWaiting = 2048; // waiting connections at most; more are closed at once
    };
    using Ticket = quint64;

    explicit Admission(Limits limits, QObject *parent = nullptr);

    // A new connection: admitted() comes at once, later, or never (then it is closed).
    void offer(QTcpSocket *socket);
    // The connection with this ticket no longer needs its place (its request arrived, or it
    // went away).
    void release(Ticket ticket);

    int placesTaken() const { return int(m_places.size()); }
    int waiting() const { return int(m_waiting.size()); }
    // Connections closed to give their place to another, and closed while waiting.
    qint64 evicted() const { return m_evicted; }
    qint64 dropped() const { return m_dropped; }

Q_SIGNALS:
    // The socket has a place now: read its request. The ticket goes back through release().
    void admitted(QTcpSocket *socket, Admission::Ticket ticket);

private:
    struct Entry
    {
        QPointer<QTcpSocket> socket;
        QHostAddress address;
        QElapsedTimer since; // when it got its place, or when it began to wait
        Ticket ticket = 0;
    };
    // Gives the socket a place, closing a slow one if the rules say so and mayEvict (only a
    // newcomer may: were the waiting to take slow places too, a flood's waiting connections
    // would keep every place young and a newcomer behind them); false: it must wait.
    bool tryAdmit(QTcpSocket *socket, const QHostAddress &address, bool mayEvict);
    // The oldest place of an address, if it is slower than slowAfter.
    std::vector<Entry>::iterator slowestOf(const QHostAddress &address);
    void evict(std::vector<Entry>::iterator place);
    void admitWaiting();
    void drop(QTcpSocket *socket, const char *why);

    Limits m_limits;
    Ticket m_nextTicket = 1;
    std::vector<Entry> m_places;
    QHash<QHostAddress, int> m_placesByAddress;
    std::deque<Entry> m_waiting;
    QTimer m_recheck; // while connections wait: those that waited too long are closed
    qint64 m_evicted = 0;
    qint64 m_dropped = 0;
    LogThrottle m_log;
};

} // namespace CloudConsole
