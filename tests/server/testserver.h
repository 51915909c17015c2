#pragma once

// TestServer is the whole server in the test's process, the one fixture of the loopback tests:
// consoles on real ptys (or paths that are not there yet), an HttpFrontend on an ephemeral
// loopback port, and helpers to reach it as a WebSocket client or as a raw HTTP peer from any
// loopback address (127.0.0.x stand for different machines). The server runs in the test's
// thread: every wait here runs the event loop. Raw WebSocket bytes are rawframe.h's.

#include "console.h"
#include "consoleregistry.h"
#include "httpfrontend.h"
#include "ptysource.h"

#include <QElapsedTimer>
#include <QNetworkRequest>
#include <QTcpSocket>
#include <QTest>
#include <QUrl>

#include <sys/resource.h>

#include <memory>
#include <utility>
#include <vector>

namespace CloudConsole::Test {

// Settings whose stream holds the guest's bytes alone, for tests that count or compare them.
inline ConsoleSettings plainConsoleSettings(const QString &name = QStringLiteral("default"))
{
    ConsoleSettings settings;
    settings.name = name;
    settings.markers = false;
    // Tests type far faster than a person; tst_limits tests the input rate.
    settings.limits.inputBytesPerSecond = 0;
    return settings;
}

struct TestServer
{
    // Consoles, each with its settings, on a pty (or on a path that is not there yet).
    using ConsoleList = std::vector<std::pair<ConsoleSettings, QString>>;

    // Made empty: add() consoles, then start().
    TestServer() = default;
    // Started at once; the first console is the default one (/ws).
    explicit TestServer(const ConsoleList &consolesOnPtys, FrontendSettings frontendSettings = {})
    {
        for (const auto &[settings, ptyPath] : consolesOnPtys)
            add(ptyPath, settings);
        start(std::move(frontendSettings));
    }
    // One console, with settings of the test's own.
    TestServer(const QString &ptyPath, const ConsoleSettings &settings,
               FrontendSettings frontendSettings = {})
        : TestServer(ConsoleList {{settings, ptyPath}}, std::move(frontendSettings))
    { }
    explicit TestServer(const QString &ptyPath, FrontendSettings frontendSettings = {})
        : TestServer(ptyPath, plainConsoleSettings(), std::move(frontendSettings))
    { }
    ~TestServer()
    {
        frontend.reset();
        consoles.clear();
    }

    Console *add(const QString &ptyPath, const ConsoleSettings &settings)
    {
        auto owned = std::make_unique<Console>(settings, std::make_unique<PtySource>(ptyPath));
        Console *added = owned.get();
        consoles.add(std::move(owned));
        if (!console)
            console = added;
        return added;
    }
    // Listens on an ephemeral port (of a loopback address unless told otherwise) and starts every
    // console; says why not on stderr.
    bool start(FrontendSettings frontendSettings = {},
               const QHostAddress &on = QHostAddress(QHostAddress::LocalHost))
    {
        frontend = std::make_unique<HttpFrontend>(consoles, std::move(frontendSettings));
        address = on;
        QString error;
        listening = frontend->listen(on, 0, &error);
        for (Console *c : consoles.consoles())
            listening = listening && c->start(&error);
        if (!listening)
            qWarning() << "server did not start:" << error;
        return listening;
    }

    quint16 port() const { return frontend->port(); }
    int clients() const { return consoles.totalClients(); }
    QUrl url(const QString &path = QStringLiteral("/ws"), const QString &query = QString()) const
    {
        QUrl u(QStringLiteral("ws://%1:%2%3").arg(address.toString()).arg(port()).arg(path));
        if (!query.isEmpty())
            u.setQuery(query);
        return u;
    }
    // A console's own WebSocket, /c/NAME/ws; the default console's without a name.
    QUrl consoleUrl(const QString &name = QString()) const
    {
        return url(QStringLiteral("/c/%1/ws").arg(name.isEmpty() ? console->name() : name));
    }
    // A WebSocket request with the credentials and origin of the test's choice.
    QNetworkRequest request(const QString &path, const QByteArray &authorization = {},
                            const QByteArray &cookie = {}, const QByteArray &origin = {}) const
    {
        QNetworkRequest r(url(path));
        for (const auto &[name, value] :
             {std::pair {"Authorization", authorization}, std::pair {"Cookie", cookie},
              std::pair {"Origin", origin}}) {
            if (!value.isEmpty())
                r.setRawHeader(name, value);
        }
        return r;
    }

    ConsoleRegistry consoles;
    Console *console = nullptr; // the default one: the first added
    std::unique_ptr<HttpFrontend> frontend;
    QHostAddress address; // listened on
    bool listening = false;
};

// A connection from a loopback address of the test's choice (to 127.0.0.1), or to the server's
// own address where it listens on another.
inline std::unique_ptr<QTcpSocket> connectFrom(const QHostAddress &from, quint16 port,
                                               const QHostAddress &to
                                               = QHostAddress(QHostAddress::LocalHost))
{
    auto socket = std::make_unique<QTcpSocket>();
    if (from != QHostAddress(QHostAddress::LocalHost))
        socket->bind(from);
    socket->connectToHost(to, port);
    return socket;
}

// A raw connection to the server that gathers everything the server sends into answer, for a
// test that writes by hand what no well-behaved client would.
struct RawConnection
{
    explicit RawConnection(quint16 port)
    {
        QObject::connect(&socket, &QTcpSocket::readyRead, &socket,
                         [this] { answer += socket.readAll(); });
        socket.connectToHost(QHostAddress::LocalHost, port);
    }

    QTcpSocket socket;
    QByteArray answer;
};

// Sends raw bytes and returns the whole answer: until the server closes, a complete answer with
// a length arrives, or timeoutMs pass.
inline QByteArray exchange(quint16 port, const QByteArray &request,
                           const QHostAddress &from = QHostAddress(QHostAddress::LocalHost),
                           int timeoutMs = 5000,
                           const QHostAddress &to = QHostAddress(QHostAddress::LocalHost))
{
    const auto socket = connectFrom(from, port, to);
    QByteArray answer;
    bool sent = false;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        QTest::qWait(2);
        if (!sent && socket->state() == QAbstractSocket::ConnectedState) {
            socket->write(request);
            sent = true;
        }
        answer += socket->readAll();
        if (sent && socket->state() == QAbstractSocket::UnconnectedState)
            break;
        const qsizetype end = answer.indexOf("\r\n\r\n");
        if (end >= 0) {
            const QByteArray head = answer.left(end).toLower();
            const qsizetype at = head.indexOf("content-length:");
            const qsizetype length = at < 0
                ? 0
                : head.mid(at + 15, head.indexOf('\r', at) - at - 15).trimmed().toLongLong();
            if (answer.size() >= end + 4 + length)
                break;
        }
    }
    return answer + socket->readAll();
}

inline QByteArray statusLine(const QByteArray &answer)
{
    return answer.left(answer.indexOf("\r\n"));
}

// Tests that open hundreds of connections, both ends in this process, need more descriptors
// than the usual soft limit.
inline void raiseDescriptorLimit()
{
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

} // namespace CloudConsole::Test
