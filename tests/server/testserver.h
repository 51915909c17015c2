#pragma once

// TestServer is the whole server in the test's process: consoles on real ptys (or any source),
// an HttpFrontend on an ephemeral loopback port, and helpers to reach it as a WebSocket client
// or as a raw HTTP peer from any loopback address (127.0.0.x stand for different machines).
// The server runs in the test's thread: every wait here runs the event loop.

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
    // One console per settings and pty path; the first is the default console.
    TestServer(const std::vector<std::pair<ConsoleSettings, QString>> &consolesOnPtys,
               FrontendSettings frontendSettings = {})
    {
        for (const auto &[settings, ptyPath] : consolesOnPtys)
            consoles.add(std::make_unique<Console>(settings, std::make_unique<PtySource>(ptyPath)));
        frontend = std::make_unique<HttpFrontend>(consoles, std::move(frontendSettings));
        QString error;
        listening = frontend->listen(QHostAddress::LocalHost, 0, &error);
        for (Console *c : consoles.consoles())
            listening = listening && c->start(&error);
        if (!listening)
            qWarning() << "server did not start:" << error;
        console = consoles.consoles().empty() ? nullptr : consoles.consoles().front();
    }
    explicit TestServer(const QString &ptyPath, FrontendSettings frontendSettings = {})
        : TestServer({{plainConsoleSettings(), ptyPath}}, std::move(frontendSettings))
    { }
    ~TestServer()
    {
        frontend.reset();
        consoles.clear();
    }

    quint16 port() const { return frontend->port(); }
    QUrl url(const QString &path = QStringLiteral("/ws"), const QString &query = QString()) const
    {
        QUrl u(QStringLiteral("ws://127.0.0.1:%1%2").arg(port()).arg(path));
        if (!query.isEmpty())
            u.setQuery(query);
        return u;
    }
    QNetworkRequest request(const QString &path, const QByteArray &authorization = {}) const
    {
        QNetworkRequest r(url(path));
        if (!authorization.isEmpty())
            r.setRawHeader("Authorization", authorization);
        return r;
    }

    ConsoleRegistry consoles;
    Console *console = nullptr; // the default one
    std::unique_ptr<HttpFrontend> frontend;
    bool listening = false;
};

// A connection from a loopback address of the test's choice.
inline std::unique_ptr<QTcpSocket> connectFrom(const QHostAddress &from, quint16 port)
{
    auto socket = std::make_unique<QTcpSocket>();
    if (from != QHostAddress(QHostAddress::LocalHost))
        socket->bind(from);
    socket->connectToHost(QHostAddress::LocalHost, port);
    return socket;
}

// Sends raw bytes and returns the whole answer: until the server closes, a complete answer with
// a length arrives, or timeoutMs pass.
inline QByteArray exchange(quint16 port, const QByteArray &request,
                           const QHostAddress &from = QHostAddress(QHostAddress::LocalHost),
                           int timeoutMs = 5000)
{
    const auto socket = connectFrom(from, port);
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
