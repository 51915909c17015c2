#pragma once

// ClientSwarm is the crowd of viewers: N clients (read-only, by the viewer token) that connect,
// read, stall, ask for the screen, try to type, and leave, each at random, over and over. Some
// go through the StallProxy so that they can stop reading; a few use raw mode, whose gaps come
// inline. Every byte each receives is checked (SoakClient); the swarm adds up their counts.
//
// It owns its clients, their timers and the proxy; it knows nothing about faults.

#include "soakclient.h"

#include <QObject>
#include <QRandomGenerator>
#include <QTimer>

#include <memory>
#include <vector>

namespace Soak {

class StallProxy;

class ClientSwarm : public QObject
{
    Q_OBJECT
public:
    struct Settings
    {
        int clients = 100;
        quint16 serverPort = 0;
        QByteArray viewerToken;
        quint32 seed = 1;
        double proxiedShare = 0.4; // clients that may stall
        double rawShare = 0.1; // of the others, clients in raw mode
    };
    struct Totals
    {
        ClientCounts counts;
        StreamTotals stream;
        qint64 stalls = 0;
        qint64 typedWhileViewer = 0; // messages a viewer typed (each must be refused)
        qint64 screenRequests = 0;
        int connectedAtEnd = 0;
        int clients = 0;
        QStringList traces; // of the first few clients with a finding
    };

    ClientSwarm(const FrameOracle &oracle, Settings settings, QObject *parent = nullptr);
    ~ClientSwarm() override;

    bool start(const StreamChecker::Excuse &excuse, QString *error);
    // Stops the churn: clients stay as they are, stalled ones read again.
    void settle();
    void closeAll();
    // Every connected client's last frame, for waiting until all have the end of the stream.
    std::vector<std::optional<quint64>> connectedLastSeqs() const;
    Totals totals() const;

private:
    struct Member;
    void schedule(Member &member);
    void step(Member &member);
    void connectMember(Member &member);

    const FrameOracle &m_oracle;
    Settings m_settings;
    QRandomGenerator m_random;
    std::unique_ptr<StallProxy> m_proxy;
    std::vector<std::unique_ptr<Member>> m_members;
    bool m_settled = false;
};

} // namespace Soak
