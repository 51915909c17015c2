#include "admission.h"

#include <QLoggingCategory>
#include <QTcpSocket>

#include <algorithm>

Q_LOGGING_CATEGORY(lcAdmission, "cloudconsole.http")

namespace CloudConsole {

Admission::Admission(Limits limits, QObject *parent) : QObject(parent), m_limits(limits)
{
    m_recheck.setInterval(250);
    connect(&m_recheck, &QTimer::timeout, this, &Admission::admitWaiting);
}

void Admission::offer(QTcpSocket *socket)
{
    const QHostAddress address = socket->peerAddress();
    // Newest first: a newcomer may take a slow connection's place even while others wait for a
    // fast one's, so that a flood of slow connections cannot keep anyone waiting behind it.
    if (tryAdmit(socket, address, true))
        return;
    if (int(m_waiting.size()) >= m_limits.maxWaiting) {
        ++m_dropped;
        drop(socket, "too many connections are waiting");
        return;
    }
    // A waiting peer that goes away frees its socket at once: a reset arrives as an error, not
    // as disconnected(). (Once admitted, the socket's new owner watches it.)
    connect(socket, &QTcpSocket::disconnected, this, [socket] { socket->deleteLater(); });
    connect(socket, &QTcpSocket::errorOccurred, this, [socket] { socket->deleteLater(); });
    Entry entry {socket, address, {}, 0};
    entry.since.start();
    m_waiting.push_back(std::move(entry));
    if (!m_recheck.isActive())
        m_recheck.start();
}

void Admission::release(Ticket ticket)
{
    const auto place = std::find_if(m_places.begin(), m_places.end(),
                                    [ticket](const Entry &e) { return e.ticket == ticket; });
    if (place == m_places.end())
        return; // evicted
    if (--m_placesByAddress[place->address] == 0)
        m_placesByAddress.remove(place->address);
    m_places.erase(place);
    if (!m_waiting.empty())
        admitWaiting();
}

bool Admission::tryAdmit(QTcpSocket *socket, const QHostAddress &address, bool mayEvict)
{
    if (m_placesByAddress.value(address) >= m_limits.perAddress) {
        const auto slowest = mayEvict ? slowestOf(address) : m_places.end();
        if (slowest == m_places.end())
            return false;
        evict(slowest);
    } else if (int(m_places.size()) >= m_limits.total) {
        // The address holding the most places gives one up, if it has a slow one.
        QHostAddress busiest;
        int most = 0;
        for (auto it = m_placesByAddress.cbegin(); it != m_placesByAddress.cend(); ++it) {
            if (it.value() > most) {
                most = it.value();
                busiest = it.key();
            }
        }
        const auto slowest = mayEvict ? slowestOf(busiest) : m_places.end();
        if (slowest == m_places.end())
            return false;
        evict(slowest);
    }
    QObject::disconnect(socket, nullptr, this, nullptr); // connected while it waited
    Entry entry {socket, address, {}, m_nextTicket++};
    entry.since.start();
    const Ticket ticket = entry.ticket;
    m_places.push_back(std::move(entry));
    ++m_placesByAddress[address];
    Q_EMIT admitted(socket, ticket);
    return true;
}

std::vector<Admission::Entry>::iterator Admission::slowestOf(const QHostAddress &address)
{
    // Places are kept in the order they were given: the first of an address is its oldest.
    const auto oldest = std::find_if(m_places.begin(), m_places.end(),
                                     [&address](const Entry &e) { return e.address == address; });
    if (oldest == m_places.end() || oldest->since.elapsed() < m_limits.slowAfterMs)
        return m_places.end();
    return oldest;
}

void Admission::evict(std::vector<Entry>::iterator place)
{
    ++m_evicted;
    QPointer<QTcpSocket> socket = place->socket;
    if (--m_placesByAddress[place->address] == 0)
        m_placesByAddress.remove(place->address);
    m_places.erase(place);
    if (socket)
        drop(socket, "its request is slow and its place is wanted");
}

void Admission::admitWaiting()
{
    for (auto it = m_waiting.begin(); it != m_waiting.end();) {
        QTcpSocket *socket = it->socket;
        if (!socket || socket->state() != QAbstractSocket::ConnectedState) {
            it = m_waiting.erase(it);
            continue;
        }
        if (it->since.elapsed() >= m_limits.waitLimitMs) {
            ++m_dropped;
            it = m_waiting.erase(it);
            drop(socket, "no place for its request came free in time");
            continue;
        }
        // Out of the queue before admitted() is emitted, whose receiver may offer or release.
        Entry entry = std::move(*it);
        it = m_waiting.erase(it);
        const auto index = it - m_waiting.begin();
        if (!tryAdmit(entry.socket, entry.address, false)) {
            it = m_waiting.insert(m_waiting.begin() + index, std::move(entry));
            ++it;
            continue;
        }
        it = m_waiting.begin() + std::min<qsizetype>(index, qsizetype(m_waiting.size()));
    }
    if (m_waiting.empty())
        m_recheck.stop();
}

void Admission::drop(QTcpSocket *socket, const char *why)
{
    qint64 heldBack = 0;
    if (m_log.allow(&heldBack)) {
        qCInfo(lcAdmission).noquote()
            << "closing a connection from" << socket->peerAddress().toString() << ":" << why
            << QStringLiteral("(%1 places taken, %2 waiting%3)")
                   .arg(m_places.size())
                   .arg(m_waiting.size())
                   .arg(heldBack ? QStringLiteral("; %1 such lines held back").arg(heldBack)
                                 : QString());
    }
    socket->abort();
    socket->deleteLater();
}

} // namespace CloudConsole
