#pragma once

// ServerUnderTest is the cloud-console process the soak runs against: it makes the credentials
// (with the server's own --hash-password and --new-token), writes the configuration file (and
// the broken ones a reload fault needs), starts the server with --config, learns its port from
// the URL it prints, keeps its stderr in a file and counts the lines that matter as they come
// (reloads, log errors, sanitizer reports), sends it signals, and stops it.
//
// It owns the QProcess, the configuration file and the stderr file; it knows nothing about
// clients or faults beyond the signals it is asked to send.

#include <QElapsedTimer>
#include <QFile>
#include <QMap>
#include <QObject>
#include <QProcess>
#include <QStringList>

#include <optional>

namespace Soak {

struct Credentials
{
    QString userName = QStringLiteral("soak");
    QString password;
    QByteArray operatorToken; // the typist's
    QByteArray viewerToken; // the swarm's and the fuzzers'
    QString passwordHash;
    QString operatorTokenHash;
    QString viewerTokenHash;
};

struct ServerSettings
{
    QString binary;
    QString workDir;
    QString sourceLink; // the pty symlink
    QString logPath;
    QString historySize = QStringLiteral("1M");
    QString pingInterval = QStringLiteral("5s");
};

class ServerUnderTest : public QObject
{
    Q_OBJECT
public:
    // What the server's stderr said, counted by kind.
    enum class Line {
        SourceUp,
        SourceDown,
        Reloaded,
        ReloadRefused,
        LogReopened,
        LogWriteError,
        LogWritingAgain,
        ConsoleClosed, // a reload closed or replaced the console: it should not
        ConnectionDropped, // the pending-request limit
        FailedLogin,
        Sanitizer, // AddressSanitizer, LeakSanitizer, UndefinedBehaviorSanitizer reports
        SanitizerDetail, // their summaries and leak lines, for the findings
        QtWarning, // "QObject::", "QSocketNotifier:" and other lines outside our categories
    };

    explicit ServerUnderTest(ServerSettings settings, QObject *parent = nullptr);
    ~ServerUnderTest() override;

    bool makeCredentials(QString *error);
    const Credentials &credentials() const { return m_credentials; }
    // Writes the good configuration (`variant` changes a comment and a harmless setting, so a
    // reload has something to read), or a broken one (each `variant` breaks it another way).
    bool writeConfig(int variant, QString *error);
    bool writeBrokenConfig(int variant, QString *what);
    QString configPath() const { return m_configPath; }
    QString stderrPath() const { return m_stderrPath; }

    bool start(QString *error);
    bool isRunning() const { return m_process.state() == QProcess::Running; }
    qint64 pid() const { return m_process.processId(); }
    quint16 port() const { return m_port; }
    void signal(int number);
    // SIGTERM, then waits (bounded); returns how long the server took to exit, or nullopt.
    std::optional<qint64> stop(int timeoutMs);
    int exitCode() const { return m_process.exitCode(); }
    bool crashed() const { return m_process.exitStatus() == QProcess::CrashExit; }
    // Whether the server ended by itself during the run (and how).
    QString unexpectedExit() const { return m_unexpectedExit; }

    int count(Line line) const { return m_counts.value(line); }
    qint64 stderrLines() const { return m_lines; }
    QStringList samples(Line line) const { return m_samples.value(line); }

Q_SIGNALS:
    void lineSeen(Line line);

private:
    bool runHelper(const QStringList &arguments, const QByteArray &input, QByteArray *output,
                   QString *error);
    QByteArray configText(int variant) const;
    void readStdout();
    void readStderr();
    void classify(const QByteArray &line);

    ServerSettings m_settings;
    Credentials m_credentials;
    QString m_configPath;
    QString m_stderrPath;
    QProcess m_process;
    QFile m_stderrFile;
    QByteArray m_stdout;
    QByteArray m_stderrPartial;
    quint16 m_port = 0;
    bool m_stopping = false;
    QString m_unexpectedExit;
    QMap<Line, int> m_counts;
    QMap<Line, QStringList> m_samples;
    qint64 m_lines = 0;
};

} // namespace Soak
