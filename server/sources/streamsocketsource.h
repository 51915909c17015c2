#pragma once

// StreamSocketSource is a console on the client end of a stream socket: a unix socket
// (`unix:/run/vm1.serial`, Cloud-Hypervisor's `--serial socket=` or QEMU's `-serial unix:`), a
// TCP connection (`tcp:127.0.0.1:4555`), or a TCP connection that speaks telnet
// (`telnet:127.0.0.1:4556`, QEMU's `-serial telnet:`), decoded by a TelnetCodec.
//
// It connects by itself once started and reports up() with the peer's name. When the peer
// refuses, is absent, does not answer within ConnectTimeout, or hangs up, it reports why (the
// socket's error text; down() only after having been up) and connects again through a Retry
// with a bounded backoff, so an absent peer costs one attempt per backoff step and no CPU in
// between. The backoff starts over once the peer has sent data.
//
// Input follows the sources' one contract (writequeue.h): it waits in Qt's socket buffer, held
// to WriteQueueLimit by a Backpressure; write() takes what fits (counted in input bytes; telnet
// escaping counts against the room) and writable() comes once the buffer has drained to half.
// Telnet negotiation replies and BREAK bypass the bound: they are a few bytes, and the codec
// answers each option a bounded number of times.
//
// It owns its socket (one per connection attempt), its timers and the codec. It knows nothing
// about consoles, clients or spec syntax beyond its own endpoint.

#include "consolesource.h"
#include "retry.h"
#include "telnetcodec.h"
#include "writequeue.h"

#include <QPointer>
#include <QTimer>

#include <chrono>
#include <optional>

class QIODevice;

namespace CloudConsole {

class StreamSocketSource : public ConsoleSource
{
    Q_OBJECT
public:
    static constexpr qsizetype WriteQueueLimit = CloudConsole::WriteQueueLimit;
    static constexpr qsizetype MaxReadBurst = CloudConsole::MaxReadBurst;
    static constexpr std::chrono::milliseconds ConnectTimeout {10000};

    enum class Transport { Unix, Tcp, Telnet };

    struct Endpoint
    {
        Transport transport = Transport::Unix;
        QString path; // Unix
        QString host; // Tcp, Telnet
        quint16 port = 0;

        // The spec it was parsed from, in canonical form ("tcp:127.0.0.1:4555").
        QString toString() const;
    };

    // Parses `unix:PATH`, `tcp:HOST:PORT` or `telnet:HOST:PORT` (an IPv6 host in brackets).
    static std::optional<Endpoint> parseEndpoint(QStringView spec, QString *error);

    explicit StreamSocketSource(const Endpoint &endpoint, QObject *parent = nullptr);
    StreamSocketSource(const Endpoint &endpoint, Backoff backoff, QObject *parent = nullptr);
    ~StreamSocketSource() override;

    const Endpoint &endpoint() const { return m_endpoint; }

    void start() override;
    bool isUp() const override { return m_up; }
    QString stateReason() const override { return m_reason; }
    qsizetype write(QByteArrayView data) override;
    // Input taken but not yet handed to the kernel.
    qsizetype queuedBytes() const;

    bool canBreak() const override { return m_endpoint.transport == Transport::Telnet; }
    bool sendBreak() override;

private:
    void connectToPeer();
    void onConnected(QIODevice *socket);
    void onReadyRead(QIODevice *socket);
    void onBytesWritten(QIODevice *socket);
    void onGone(QIODevice *socket, const QString &reason);
    void onConnectTimeout();
    void dropSocket();
    QString peerName() const;

    Endpoint m_endpoint;
    QPointer<QIODevice> m_socket; // a child; the current attempt or connection
    Retry m_retry;
    QTimer m_connectTimer;
    Backpressure m_backpressure;
    TelnetCodec m_telnet;
    TelnetCodec::Decoded m_decoded; // reused for every read
    QByteArray m_readBuffer;
    QString m_reason;
    bool m_up = false;
};

} // namespace CloudConsole
