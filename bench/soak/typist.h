#pragma once

// Typist is an operator at the viewer: it connects with the operator token and types a
// keystroke record every 50 ms, and now and then pastes a few thousand at once (two pastes
// back to back, so the second runs into the input rate). The console's guest (ConsoleFeeder)
// echoes every record it reads; the typist finds its echoes in its own stream and times them.
// It counts what the server refused, so that keys typed = keys that reached the console + keys
// refused with an error, and nothing else.
//
// hold() stops the typing around a hang-up until every key typed has reached the console or been
// refused: keys in the pty when it closes are lost by the kernel, which is not the server's
// doing.
//
// It owns its SoakClient and timers; it knows nothing about the feeder.

#include "soakclient.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QTimer>

#include <vector>

namespace Soak {

class Typist : public QObject
{
    Q_OBJECT
public:
    struct Totals
    {
        qint64 keysTyped = 0; // sent in messages on an open connection
        qint64 keysRefused = 0; // in refusals (bytes refused / record size)
        qint64 pastes = 0;
        qint64 echoes = 0;
        std::vector<double> echoMs; // single keys only
        QMap<QString, qint64> refusals; // keys, by error code
        std::vector<std::pair<double, double>> slowEchoes; // (at s, ms) for echoes over 500 ms
    };

    Typist(const FrameOracle &oracle, quint16 port, QByteArray token, QObject *parent = nullptr);

    void setExcuse(StreamChecker::Excuse excuse) { m_client.setExcuse(std::move(excuse)); }
    // Where "at" of the slow echoes is counted from (Bench::nowNs()).
    void setOrigin(qint64 originNs) { m_originNs = originNs; }
    void start();
    void hold(bool held) { m_held = held; }
    void stopTyping();
    void close() { m_client.close(false); }
    bool isOpen() const { return m_client.isOpen(); }
    std::optional<quint64> lastSeq() const { return m_client.lastSeq(); }
    const Totals &totals() const { return m_totals; }
    const SoakClient &client() const { return m_client; }

private:
    void connectNow();
    void typeOne();
    void paste();
    void onFrame(QByteArrayView line);

    quint16 m_port;
    QByteArray m_token;
    SoakClient m_client;
    QTimer m_keyTimer;
    QTimer m_pasteTimer;
    QElapsedTimer m_clock;
    bool m_held = false;
    qint64 m_originNs = 0;
    quint64 m_nextKey = 0;
    QHash<quint64, qint64> m_sentAt; // single keys awaiting their echo, ms on m_clock
    Totals m_totals;
    bool m_typing = true;
};

} // namespace Soak
