#pragma once

// ApiSocketLocator is the part shared by locators that ask a VMM over its unix API socket where
// a console's pty is (Cloud-Hypervisor's REST API, QEMU's QMP): one short connection per
// question, closed as soon as the answer is in (QEMU serves one QMP client at a time, so holding
// the socket would lock out its other users), bounded by a timeout, with every failure turned
// into one readable reason.
//
// Subclasses speak the protocol through onConnected(), onBytes() and onClosed(), and end each
// question with succeed() or fail(). It owns the socket of the question in flight.

#include "ptylocator.h"

#include <QPointer>
#include <QTimer>

#include <chrono>

class QLocalSocket;

namespace CloudConsole {

class ApiSocketLocator : public PtyLocator
{
    Q_OBJECT
public:
    static constexpr std::chrono::milliseconds AnswerTimeout {5000};

    void locate() override;
    QString describe() const override;
    const QString &socketPath() const { return m_socketPath; }

protected:
    // apiName says whose API it is, for messages: "Cloud-Hypervisor API".
    ApiSocketLocator(const QString &socketPath, const QString &apiName, QObject *parent);
    ~ApiSocketLocator() override;

    virtual void onConnected() = 0;
    virtual void onBytes(QByteArrayView data) = 0;
    // The API closed the connection before the question ended.
    virtual void onClosed() = 0;

    // Whether a question is in flight (succeed() and fail() end it).
    bool isAsking() const { return !m_socket.isNull(); }
    void send(QByteArrayView data);
    void succeed(const QString &ptyPath);
    void fail(const QString &reason);

private:
    void endQuestion();

    QString m_socketPath;
    QString m_apiName;
    QPointer<QLocalSocket> m_socket;
    QTimer m_timeout;
};

} // namespace CloudConsole
