#include "typist.h"

#include "benchutil.h"
#include "soakutil.h"

namespace Soak {

namespace {
constexpr int KeyIntervalMs = 50;
constexpr int PasteIntervalMs = 20'000;
// A paste of this many records (48,000 bytes) passes a full bucket of 64 KiB; the second, sent
// right behind it, finds the bucket nearly empty and is refused whole.
constexpr int PasteKeys = 3000;
// Keys whose echo did not come within this long are forgotten (refused, or behind a gap).
constexpr qint64 EchoGiveUpMs = 30'000;
constexpr size_t MaxSlow = 30;

} // namespace

Typist::Typist(const FrameOracle &oracle, quint16 port, QByteArray token, QObject *parent)
    : QObject(parent)
    , m_port(port)
    , m_token(std::move(token))
    , m_client(oracle, QStringLiteral("typist"))
{
    m_clock.start();
    m_client.setFrameHook([this](quint64, QByteArrayView line) { onFrame(line); });
    connect(&m_client, &SoakClient::closed, this, [this] {
        if (m_typing)
            QTimer::singleShot(500, this, &Typist::connectNow);
    });
    connect(&m_client, &SoakClient::errorReceived, this,
            [this](const QString &code, const QString &message) {
                if (!message.contains(QLatin1String(" refused"))
                    && !message.contains(QLatin1String(" dropped")))
                    return;
                const qint64 keys = leadingNumber(message) / Keys::RecordSize;
                m_totals.keysRefused += keys;
                m_totals.refusals[code] += keys;
            });
    connect(&m_keyTimer, &QTimer::timeout, this, &Typist::typeOne);
    connect(&m_pasteTimer, &QTimer::timeout, this, &Typist::paste);
}

void Typist::start()
{
    connectNow();
    m_keyTimer.start(KeyIntervalMs);
    m_pasteTimer.start(PasteIntervalMs);
}

void Typist::connectNow()
{
    SoakClient::Setup setup;
    setup.url = QUrl(QStringLiteral("ws://127.0.0.1:%1/c/soak/ws").arg(m_port));
    setup.authorization = "Bearer " + m_token;
    setup.resume = true;
    m_client.open(setup);
}

void Typist::stopTyping()
{
    m_typing = false;
    m_keyTimer.stop();
    m_pasteTimer.stop();
}

void Typist::typeOne()
{
    if (!m_client.isOpen() || m_held)
        return;
    const quint64 key = m_nextKey++;
    m_sentAt.insert(key, m_clock.elapsed());
    m_client.sendBinary(Keys::record(key));
    ++m_totals.keysTyped;
    // Forget keys that will not be echoed (refused, or their echo fell into a gap).
    if (m_sentAt.size() > 1000) {
        const qint64 now = m_clock.elapsed();
        for (auto it = m_sentAt.begin(); it != m_sentAt.end();)
            it = now - it.value() > EchoGiveUpMs ? m_sentAt.erase(it) : std::next(it);
    }
}

void Typist::paste()
{
    if (!m_client.isOpen() || m_held)
        return;
    for (int round = 0; round < 2; ++round) {
        QByteArray text;
        text.reserve(PasteKeys * Keys::RecordSize);
        for (int i = 0; i < PasteKeys; ++i)
            text += Keys::record(m_nextKey++);
        m_client.sendBinary(text);
        m_totals.keysTyped += PasteKeys;
        ++m_totals.pastes;
    }
}

void Typist::onFrame(QByteArrayView line)
{
    const std::optional<quint64> key = FrameOracle::echoedKey(line);
    if (!key)
        return;
    ++m_totals.echoes;
    const auto it = m_sentAt.find(*key);
    if (it == m_sentAt.end())
        return;
    const double ms = double(m_clock.elapsed() - it.value());
    m_sentAt.erase(it);
    m_totals.echoMs.push_back(ms);
    if (ms > 500 && m_totals.slowEchoes.size() < MaxSlow)
        m_totals.slowEchoes.emplace_back(double(Bench::nowNs() - m_originNs) / 1e9 - ms / 1000, ms);
}

} // namespace Soak
