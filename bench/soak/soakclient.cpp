#include "soakclient.h"

#include "protocol.h"
#include "soakutil.h"

#include <QRegularExpression>
#include <QUrlQuery>
#include <QWebSocketHandshakeOptions>

#include <variant>

namespace Soak {

using namespace CloudConsole;

namespace {
constexpr qsizetype MaxTrace = 40;

template<class... Ts> struct Overloaded : Ts...
{
    using Ts::operator()...;
};
template<class... Ts> Overloaded(Ts...) -> Overloaded<Ts...>;
} // namespace

void ClientCounts::add(const ClientCounts &o)
{
    sessions += o.sessions;
    failedOpens += o.failedOpens;
    resumes += o.resumes;
    exactResumes += o.exactResumes;
    resumesWithGap += o.resumesWithGap;
    gaps += o.gaps;
    gapBytes += o.gapBytes;
    screens += o.screens;
    sourceDown += o.sourceDown;
    sourceUp += o.sourceUp;
    protocolFindings += o.protocolFindings;
    bytesRefused += o.bytesRefused;
    for (auto it = o.errors.begin(); it != o.errors.end(); ++it)
        errors[it.key()] += it.value();
    for (auto it = o.closes.begin(); it != o.closes.end(); ++it)
        closes[it.key()] += it.value();
    for (auto it = o.openFailures.begin(); it != o.openFailures.end(); ++it)
        openFailures[it.key()] += it.value();
}

SoakClient::SoakClient(const FrameOracle &oracle, const QString &name, QObject *parent)
    : QObject(parent), m_name(name), m_checker(oracle, name)
{ }

SoakClient::~SoakClient()
{
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
}

void SoakClient::note(const QString &event)
{
    if (m_trace.size() >= MaxTrace)
        m_trace.removeFirst();
    m_trace.append(event);
    m_traceData = true;
}

void SoakClient::open(const Setup &setup)
{
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket.release()->deleteLater();
    }
    m_setup = setup;
    m_open = false;
    m_helloSeen = false;
    m_gapExpected = false;
    m_askedOffset.reset();
    QUrl url = setup.url;
    if (setup.mode == Mode::V1 && setup.resume && m_positionKnown) {
        QUrlQuery query;
        query.addQueryItem(QStringLiteral("offset"), QString::number(m_position));
        query.addQueryItem(QStringLiteral("epoch"), m_epoch);
        url.setQuery(query);
        m_askedOffset = m_position;
    }
    note(QStringLiteral("open%1 (position %2)")
             .arg(m_askedOffset ? QStringLiteral(" resuming at %1").arg(*m_askedOffset) : QString())
             .arg(m_position));
    m_socket = std::make_unique<QWebSocket>(setup.origin);
    connect(m_socket.get(), &QWebSocket::connected, this, &SoakClient::onConnected);
    connect(m_socket.get(), &QWebSocket::disconnected, this, &SoakClient::onDisconnected);
    connect(m_socket.get(), &QWebSocket::textMessageReceived, this, &SoakClient::onText);
    connect(m_socket.get(), &QWebSocket::binaryMessageReceived, this, &SoakClient::onBinary);
    QNetworkRequest request(url);
    if (!setup.authorization.isEmpty())
        request.setRawHeader("Authorization", setup.authorization);
    if (!setup.cookie.isEmpty())
        request.setRawHeader("Cookie", setup.cookie);
    QWebSocketHandshakeOptions options;
    if (setup.mode == Mode::V1)
        options.setSubprotocols({QString::fromLatin1(Protocol::Subprotocol)});
    m_socket->open(request, options);
}

void SoakClient::close(bool abort)
{
    if (!m_socket)
        return;
    // A close frame needs a connection to go on; otherwise just drop whatever is there.
    if (abort || m_socket->state() != QAbstractSocket::ConnectedState)
        m_socket->abort();
    else
        m_socket->close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("soak client leaves"));
}

bool SoakClient::isOpen() const
{
    return m_socket && m_open && m_socket->state() == QAbstractSocket::ConnectedState;
}

bool SoakClient::isConnecting() const
{
    return m_socket && !m_open && m_socket->state() != QAbstractSocket::UnconnectedState;
}

void SoakClient::sendText(const QString &text)
{
    if (isOpen())
        m_socket->sendTextMessage(text);
}

void SoakClient::sendBinary(const QByteArray &data)
{
    if (isOpen())
        m_socket->sendBinaryMessage(data);
}

quint16 SoakClient::localPort() const
{
    return m_socket ? m_socket->localPort() : 0;
}

void SoakClient::finding(const QString &what)
{
    ++m_counts.protocolFindings;
    m_checker.noteFinding(what);
}

void SoakClient::onConnected()
{
    m_open = true;
    if (m_setup.mode == Mode::Raw) {
        // Raw mode has no offsets: a new connection is a new stream, from a line start.
        ++m_counts.sessions;
        m_checker.restart();
    }
    Q_EMIT opened();
}

void SoakClient::onDisconnected()
{
    const bool wasOpen = m_open;
    m_open = false;
    m_helloSeen = false;
    int code = -1;
    QString reason;
    if (m_socket) {
        code = int(m_socket->closeCode());
        reason = m_socket->closeReason();
        if (!wasOpen) {
            ++m_counts.failedOpens;
            ++m_counts.openFailures[m_socket->errorString().left(120)];
        } else {
            // Numbers in reasons ("for 10 s") vary; the rest names the kind.
            QString kind = reason;
            kind.replace(QRegularExpression(QStringLiteral("[0-9]+")), QStringLiteral("N"));
            ++m_counts.closes[QStringLiteral("%1 %2").arg(code).arg(kind).trimmed()];
        }
    }
    note(QStringLiteral("closed %1 %2").arg(code).arg(reason));
    Q_EMIT closed(wasOpen ? code : -1, reason);
}

void SoakClient::onText(const QString &text)
{
    if (m_setup.mode == Mode::Raw)
        return;
    const auto decoded = Protocol::decodeServerMessage(text.toUtf8());
    if (const auto *error = std::get_if<Protocol::DecodeError>(&decoded)) {
        finding(QStringLiteral("a server message that does not decode: %1").arg(error->message));
        return;
    }
    std::visit(
        Overloaded {
            [this](const Protocol::Hello &hello) { onHello(hello); },
            [this](const Protocol::Gap &gap) {
                note(QStringLiteral("gap %1..%2 at %3").arg(gap.from).arg(gap.to).arg(m_position));
                ++m_counts.gaps;
                m_counts.gapBytes += gap.to - gap.from;
                // The server's cursor for this client is m_next: after a screen that went back,
                // bytes the client already had come again, and a gap may start among them.
                // Only what lies beyond what the checker has is missing for it. A resume from
                // before the history is told from the offset it asked for.
                const qint64 expectedFrom = m_gapExpected ? *m_askedOffset : m_next;
                if (m_gapExpected) {
                    ++m_counts.resumesWithGap;
                    m_gapExpected = false;
                }
                if (gap.from != expectedFrom)
                    finding(QStringLiteral("a gap from %1, but the stream was at %2")
                                .arg(gap.from)
                                .arg(expectedFrom));
                if (gap.to > m_position) {
                    m_checker.announceBreak(gap.to - std::max(gap.from, m_position));
                    m_position = gap.to;
                }
                m_next = gap.to;
            },
            [this](const Protocol::Screen &screen) {
                note(QStringLiteral("screen at %1 (next %2, position %3)")
                         .arg(screen.offset)
                         .arg(m_next)
                         .arg(m_position));
                ++m_counts.screens;
                if (!m_askedOffset && m_sessionBytes == 0) {
                    // A fresh client of a wrapped history starts at the screen.
                    m_next = m_position = screen.offset;
                    return;
                }
                if (screen.offset > m_position) {
                    finding(QStringLiteral("a screen moved the stream forward %1 bytes without "
                                           "a gap")
                                .arg(screen.offset - m_position));
                    m_position = screen.offset;
                }
                m_next = screen.offset; // back: the repeated bytes are trimmed
            },
            [this](const Protocol::SourceEvent &event) {
                if (event.state == Protocol::SourceState::Up)
                    ++m_counts.sourceUp;
                else
                    ++m_counts.sourceDown;
            },
            [this](const Protocol::Error &error) {
                ++m_counts.errors[error.code];
                if (error.message.contains(QLatin1String(" refused"))
                    || error.message.contains(QLatin1String(" dropped")))
                    m_counts.bytesRefused += leadingNumber(error.message);
                Q_EMIT errorReceived(error.code, error.message);
            },
            [](const Protocol::Pong &) {},
            [](const Protocol::SizeEvent &) {},
            [](const Protocol::AlertEvent &) {},
            [](const Protocol::ClientsEvent &) {},
            [](const Protocol::ControlEvent &) {},
            [](const Protocol::PasteEvent &) {},
        },
        std::get<Protocol::ServerMessage>(decoded));
}

void SoakClient::onHello(const Protocol::Hello &hello)
{
    note(QStringLiteral("hello offset %1, history %2..%3")
             .arg(hello.offset)
             .arg(hello.historyStart)
             .arg(hello.historyEnd));
    if (m_helloSeen)
        finding(QStringLiteral("a second hello on one connection"));
    m_helloSeen = true;
    m_sessionBytes = 0;
    ++m_counts.sessions;
    if (m_askedOffset) {
        ++m_counts.resumes;
        if (hello.epoch != m_epoch) {
            finding(QStringLiteral("the console's epoch changed (%1 -> %2): the server restarted "
                                   "its offsets")
                        .arg(m_epoch, hello.epoch));
            m_checker.restart();
            m_position = hello.offset;
        } else if (hello.offset == *m_askedOffset) {
            ++m_counts.exactResumes;
        } else if (hello.offset > *m_askedOffset) {
            m_gapExpected = true; // K was older than the history: a gap must say so
        } else {
            finding(QStringLiteral("asked to resume at %1, the hello starts at %2")
                        .arg(*m_askedOffset)
                        .arg(hello.offset));
        }
        m_next = hello.offset;
    } else {
        m_checker.restart();
        m_next = m_position = hello.offset;
    }
    m_epoch = hello.epoch;
    m_positionKnown = true;
}

void SoakClient::onBinary(const QByteArray &data)
{
    if (m_setup.mode == Mode::Raw) {
        m_checker.feed(data);
        return;
    }
    if (!m_helloSeen) {
        finding(QStringLiteral("output before the hello"));
        return;
    }
    if (m_gapExpected) {
        finding(QStringLiteral("a resume started after the offset asked for, without a gap"));
        m_gapExpected = false;
    }
    const qint64 start = m_next;
    m_next += data.size();
    m_sessionBytes += data.size();
    if (m_traceData) {
        note(QStringLiteral("output %1..%2 (position %3)").arg(start).arg(m_next).arg(m_position));
        m_traceData = false;
    }
    if (m_next <= m_position)
        return; // all of it repeats what the checker had (after a screen)
    if (start > m_position)
        finding(
            QStringLiteral("output jumped forward %1 bytes without a gap").arg(start - m_position));
    const qint64 repeated = std::max<qint64>(0, m_position - start);
    m_position = m_next;
    m_checker.feed(QByteArrayView(data).sliced(repeated));
}

} // namespace Soak
