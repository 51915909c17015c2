#pragma once

// ConsoleSession joins a TerminalModel to a ConsoleConnection: console output into the model,
// keys and pastes from the model to the console, a marked line where output was lost, and the
// terminal size to the server once per change.
//
// It owns both (as QObject children). It is the "host" of the terminal; it knows nothing about
// widgets, so the end-to-end tests drive it without a window.

#include "consoleconnection.h"
#include "terminal.h"

#include <QObject>
#include <QSize>

namespace CloudConsole::Viewer {

class ConsoleSession : public QObject
{
    Q_OBJECT

public:
    explicit ConsoleSession(QObject *parent = nullptr);

    TerminalModel *model() const { return m_model; }
    ConsoleConnection *connection() const { return m_connection; }

    void open(const QUrl &url);
    // The size the user sees; sent now if connected (and the console can resize), and again
    // after every reconnect.
    void setTerminalSize(QSize gridSize);
    bool sendBreak();

    // Input dropped because the console was read-only or the connection was down.
    qint64 inputDropped() const { return m_inputDropped; }

    static QString gapText(qint64 bytes);

Q_SIGNALS:
    void inputDroppedChanged();

private:
    void onOutput(const QByteArray &bytes, bool replay);
    void onSkipped(qint64 bytes);
    void onRestarted();
    void onHello(const Protocol::Hello &hello, bool resumed);
    void onModelInput(const QByteArray &bytes);

    TerminalModel *m_model;
    ConsoleConnection *m_connection;
    QSize m_size;
    qint64 m_inputDropped = 0;
};

} // namespace CloudConsole::Viewer
