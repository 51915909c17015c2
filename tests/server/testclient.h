#pragma once

// TestClient is a real QWebSocket client of the server that records everything it receives:
// output bytes, decoded control messages, close code. It asks for protocol v1 unless told to
// use raw mode.

#include "protocol.h"
#include "streamcursor.h"

#include <QObject>
#include <QUrl>
#include <QWebSocket>
#include <QWebSocketHandshakeOptions>

#include <optional>
#include <vector>

namespace CloudConsole::Test {

class TestClient : public QObject
{
public:
    enum class Mode { V1, Raw };

    explicit TestClient(const QUrl &url, Mode mode = Mode::V1)
        : TestClient(QNetworkRequest(url), mode)
    { }
    // A request with headers of its own: Authorization, Cookie, Origin.
    explicit TestClient(const QNetworkRequest &request, Mode mode = Mode::V1)
    {
        connect(&socket, &QWebSocket::connected, this, [this] { connected = true; });
        connect(&socket, &QWebSocket::disconnected, this, [this] {
            closed = true;
            closeCode = socket.closeCode();
        });
        connect(&socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &m) {
            ++binaryFrames;
            received += m;
            const QByteArray fresh = cursor.acceptData(m).toByteArray();
            shown += fresh;
            display += fresh;
        });
        connect(&socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
            texts.append(text);
            const auto decoded = Protocol::decodeServerMessage(text.toUtf8());
            if (!std::holds_alternative<Protocol::ServerMessage>(decoded)) {
                badTexts.append(text);
                return;
            }
            const auto &message = std::get<Protocol::ServerMessage>(decoded);
            messages.push_back(message);
            if (const auto *h = std::get_if<Protocol::Hello>(&message)) {
                if (!hello)
                    hello = *h;
                skipped += cursor.acceptHello(*h).skipped;
            } else if (const auto *gap = std::get_if<Protocol::Gap>(&message)) {
                gaps.push_back(*gap);
                skipped += cursor.acceptGap(*gap);
            } else if (const auto *error = std::get_if<Protocol::Error>(&message)) {
                errors.push_back(*error);
            } else if (const auto *event = std::get_if<Protocol::SourceEvent>(&message)) {
                sourceEvents.push_back(*event);
            } else if (const auto *screen = std::get_if<Protocol::Screen>(&message)) {
                screens.push_back(*screen);
                cursor.acceptScreen(*screen);
                display = screen->data; // it starts with a reset: what came before is gone
            } else if (const auto *size = std::get_if<Protocol::SizeEvent>(&message)) {
                sizes.push_back(*size);
            }
        });
        QWebSocketHandshakeOptions options;
        if (mode == Mode::V1)
            options.setSubprotocols({QString::fromLatin1(Protocol::Subprotocol)});
        socket.open(request, options);
    }

    void sendText(const QByteArray &json) { socket.sendTextMessage(QString::fromUtf8(json)); }
    void send(const Protocol::ClientMessage &message) { sendText(Protocol::encode(message)); }

    QWebSocket socket;
    bool connected = false;
    bool closed = false;
    QWebSocketProtocol::CloseCode closeCode = QWebSocketProtocol::CloseCodeNormal;
    QByteArray received; // every output byte as sent
    QByteArray shown; // what the StreamCursor passes on: no duplicates
    // What a terminal of this client would be fed: the last screen, then the output after it.
    QByteArray display;
    StreamCursor cursor;
    int binaryFrames = 0;
    qint64 skipped = 0;
    std::optional<Protocol::Hello> hello;
    QStringList texts;
    QStringList badTexts;
    std::vector<Protocol::ServerMessage> messages;
    std::vector<Protocol::Gap> gaps;
    std::vector<Protocol::Error> errors;
    std::vector<Protocol::SourceEvent> sourceEvents;
    std::vector<Protocol::Screen> screens;
    std::vector<Protocol::SizeEvent> sizes;
};

} // namespace CloudConsole::Test
