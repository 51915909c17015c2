#include "clientswarm.h"

#include "stallproxy.h"

namespace Soak {

struct ClientSwarm::Member
{
    enum class State { Idle, Connecting, Reading, Stalled };

    std::unique_ptr<SoakClient> client;
    QTimer timer;
    bool proxied = false;
    bool raw = false;
    State state = State::Idle;
    quint16 stalledPort = 0;
    qint64 stalls = 0;
    qint64 typed = 0;
    qint64 screens = 0;
};

ClientSwarm::ClientSwarm(const FrameOracle &oracle, Settings settings, QObject *parent)
    : QObject(parent), m_oracle(oracle), m_settings(std::move(settings)), m_random(m_settings.seed)
{ }

ClientSwarm::~ClientSwarm() = default;

bool ClientSwarm::start(const StreamChecker::Excuse &excuse, QString *error)
{
    m_proxy = std::make_unique<StallProxy>(m_settings.serverPort);
    if (!m_proxy->listen(error))
        return false;
    for (int i = 0; i < m_settings.clients; ++i) {
        auto member = std::make_unique<Member>();
        member->proxied = m_random.generateDouble() < m_settings.proxiedShare;
        member->raw = !member->proxied && m_random.generateDouble() < m_settings.rawShare;
        member->client = std::make_unique<SoakClient>(
            m_oracle, QStringLiteral("swarm %1%2").arg(i).arg(member->raw ? " (raw)" : ""));
        member->client->setExcuse(excuse);
        Member *m = member.get();
        member->timer.setSingleShot(true);
        connect(&member->timer, &QTimer::timeout, this, [this, m] { step(*m); });
        connect(m->client.get(), &SoakClient::opened, this, [this, m] {
            m->state = Member::State::Reading;
            schedule(*m);
        });
        connect(m->client.get(), &SoakClient::closed, this, [this, m] {
            if (m->state == Member::State::Stalled)
                m_proxy->setStalled(m->stalledPort, false);
            m->state = Member::State::Idle;
            if (!m_settled)
                m->timer.start(200 + int(m_random.bounded(2800)));
        });
        // Spread the first connections over two seconds.
        member->timer.start(int(m_random.bounded(2000)));
        m_members.push_back(std::move(member));
    }
    return true;
}

void ClientSwarm::schedule(Member &member)
{
    if (!m_settled)
        member.timer.start(1000 + int(m_random.bounded(7000)));
}

void ClientSwarm::connectMember(Member &member)
{
    SoakClient::Setup setup;
    const quint16 port = member.proxied ? m_proxy->port() : m_settings.serverPort;
    setup.url = QUrl(QStringLiteral("ws://127.0.0.1:%1/c/soak/ws").arg(port));
    setup.mode = member.raw ? SoakClient::Mode::Raw : SoakClient::Mode::V1;
    setup.authorization = "Bearer " + m_settings.viewerToken;
    member.state = Member::State::Connecting;
    member.client->open(setup);
    // A handshake that hangs is given up and tried again.
    member.timer.start(15'000);
}

void ClientSwarm::step(Member &member)
{
    if (m_settled)
        return;
    switch (member.state) {
    case Member::State::Idle:
        connectMember(member);
        return;
    case Member::State::Connecting:
        member.client->close(true);
        member.state = Member::State::Idle;
        member.timer.start(500);
        return;
    case Member::State::Stalled:
        m_proxy->setStalled(member.stalledPort, false);
        member.state = Member::State::Reading;
        schedule(member);
        return;
    case Member::State::Reading:
        break;
    }
    const int roll = int(m_random.bounded(100));
    if (roll < 25 && member.proxied) {
        // Stop reading for 1 to 20 s: past the history (4 s at the default rate) the server
        // must skip this client ahead with a gap, past two ping intervals it closes it.
        member.stalledPort = member.client->localPort();
        m_proxy->setStalled(member.stalledPort, true);
        member.state = Member::State::Stalled;
        ++member.stalls;
        member.timer.start(1000 + int(m_random.bounded(19'000)));
        return;
    }
    if (roll < 33 && !member.raw) {
        ++member.screens;
        member.client->sendText(QStringLiteral("{\"type\":\"screen\"}"));
    } else if (roll < 40) {
        // A viewer types: refused with read-only, and must never reach the console.
        ++member.typed;
        member.client->sendBinary("a viewer typing\r\n");
    } else if (roll < 60) {
        member.client->close(m_random.bounded(2) == 0);
        return; // closed() schedules the next connection
    }
    schedule(member);
}

void ClientSwarm::settle()
{
    m_settled = true;
    for (const auto &member : m_members) {
        member->timer.stop();
        if (member->state == Member::State::Stalled)
            m_proxy->setStalled(member->stalledPort, false);
        if (member->state == Member::State::Connecting)
            member->client->close(true);
        if (member->state != Member::State::Idle)
            member->state = Member::State::Reading;
    }
}

void ClientSwarm::closeAll()
{
    m_settled = true;
    for (const auto &member : m_members) {
        member->timer.stop();
        member->client->close(false);
    }
}

std::vector<std::optional<quint64>> ClientSwarm::connectedLastSeqs() const
{
    std::vector<std::optional<quint64>> out;
    for (const auto &member : m_members) {
        if (member->client->isOpen())
            out.push_back(member->client->lastSeq());
    }
    return out;
}

ClientSwarm::Totals ClientSwarm::totals() const
{
    Totals t;
    t.clients = int(m_members.size());
    for (const auto &member : m_members) {
        const SoakClient &client = *member->client;
        t.counts.add(client.counts());
        t.stream.add(client.checker().totals());
        t.stalls += member->stalls;
        t.typedWhileViewer += member->typed;
        t.screenRequests += member->screens;
        if (client.isOpen())
            ++t.connectedAtEnd;
        if ((!client.checker().totals().clean() || client.counts().protocolFindings > 0)
            && t.traces.size() < 3)
            t.traces.append(client.checker().name() + QStringLiteral(": ")
                            + client.trace().join(QStringLiteral("; ")));
    }
    return t;
}

} // namespace Soak
