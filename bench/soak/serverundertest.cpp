#include "serverundertest.h"

#include "soakutil.h"

#include <QDir>
#include <QRandomGenerator>
#include <QSaveFile>

#include <csignal>

namespace Soak {

namespace {
constexpr int HelperTimeoutMs = 120'000; // the sanitized server starts slowly
constexpr qsizetype MaxSamples = 5;

QString randomPassword()
{
    static constexpr char Letters[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    QString out;
    for (int i = 0; i < 20; ++i)
        out += QChar::fromLatin1(
            Letters[QRandomGenerator::global()->bounded(int(sizeof Letters - 1))]);
    return out;
}

// The value of "key = value" or "key: value" in a helper's output.
QString valueOf(const QByteArray &output, const QByteArray &key)
{
    for (const QByteArray &line : output.split('\n')) {
        if (line.startsWith(key))
            return QString::fromUtf8(line.mid(key.size()).trimmed());
    }
    return {};
}
} // namespace

ServerUnderTest::ServerUnderTest(ServerSettings settings, QObject *parent)
    : QObject(parent)
    , m_settings(std::move(settings))
    , m_configPath(m_settings.workDir + QStringLiteral("/soak.conf"))
    , m_stderrPath(m_settings.workDir + QStringLiteral("/server-stderr.log"))
{
    connect(&m_process, &QProcess::readyReadStandardOutput, this, &ServerUnderTest::readStdout);
    connect(&m_process, &QProcess::readyReadStandardError, this, &ServerUnderTest::readStderr);
    connect(&m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        readStderr();
        if (!m_stopping)
            m_unexpectedExit = status == QProcess::CrashExit
                ? QStringLiteral("crashed (%1)").arg(m_process.errorString())
                : QStringLiteral("exited with status %1").arg(code);
    });
}

ServerUnderTest::~ServerUnderTest()
{
    if (isRunning())
        stop(5000);
}

bool ServerUnderTest::runHelper(const QStringList &arguments, const QByteArray &input,
                                QByteArray *output, QString *error)
{
    QProcess helper;
    helper.start(m_settings.binary, arguments);
    if (!helper.waitForStarted(HelperTimeoutMs)) {
        *error = QStringLiteral("cannot run %1: %2").arg(m_settings.binary, helper.errorString());
        return false;
    }
    helper.write(input);
    helper.closeWriteChannel();
    if (!helper.waitForFinished(HelperTimeoutMs) || helper.exitCode() != 0) {
        *error = QStringLiteral("%1 %2 failed: %3")
                     .arg(m_settings.binary, arguments.join(u' '),
                          QString::fromUtf8(helper.readAllStandardError()).trimmed());
        return false;
    }
    *output = helper.readAllStandardOutput();
    return true;
}

bool ServerUnderTest::makeCredentials(QString *error)
{
    m_credentials.password = randomPassword();
    QByteArray out;
    if (!runHelper({QStringLiteral("--hash-password")}, m_credentials.password.toUtf8() + '\n',
                   &out, error))
        return false;
    m_credentials.passwordHash = valueOf(out, "password-hash =");
    if (!runHelper({QStringLiteral("--new-token")}, {}, &out, error))
        return false;
    m_credentials.operatorToken = valueOf(out, "token:").toLatin1();
    m_credentials.operatorTokenHash = valueOf(out, "token-hash =");
    if (!runHelper({QStringLiteral("--new-token")}, {}, &out, error))
        return false;
    m_credentials.viewerToken = valueOf(out, "token:").toLatin1();
    m_credentials.viewerTokenHash = valueOf(out, "token-hash =");
    if (m_credentials.passwordHash.isEmpty() || m_credentials.operatorToken.isEmpty()
        || m_credentials.viewerToken.isEmpty()) {
        *error = QStringLiteral("the server's --hash-password or --new-token printed nothing "
                                "usable");
        return false;
    }
    return true;
}

QByteArray ServerUnderTest::configText(int variant) const
{
    const Credentials &c = m_credentials;
    QString text;
    text += QStringLiteral("# cloud-console soak, configuration %1\n").arg(variant);
    text += QStringLiteral("[server]\nlisten = 127.0.0.1:0\nping-interval = %1\n")
                .arg(m_settings.pingInterval);
    // Something a reload reads and applies without touching the console.
    text += QStringLiteral("session-lifetime = %1h\n\n").arg(8 + variant % 2);
    text += QStringLiteral("[console soak]\nsource = pty:%1\nhistory-size = %2\nlog = %3\n\n")
                .arg(m_settings.sourceLink, m_settings.historySize, m_settings.logPath);
    text += QStringLiteral("[user %1]\npassword-hash = %2\nrole = operator\nconsoles = *\n\n")
                .arg(c.userName, c.passwordHash);
    text += QStringLiteral("[token typist]\ntoken-hash = %1\nrole = operator\n\n")
                .arg(c.operatorTokenHash);
    text += QStringLiteral("[token watcher]\ntoken-hash = %1\nrole = viewer\nconsoles = soak\n")
                .arg(c.viewerTokenHash);
    return text.toUtf8();
}

bool ServerUnderTest::writeConfig(int variant, QString *error)
{
    QSaveFile file(m_configPath);
    if (!file.open(QIODevice::WriteOnly)) {
        *error = file.errorString();
        return false;
    }
    file.write(configText(variant));
    if (!file.commit()) {
        *error = file.errorString();
        return false;
    }
    return true;
}

bool ServerUnderTest::writeBrokenConfig(int variant, QString *what)
{
    QByteArray text = configText(variant);
    switch (variant % 6) {
    case 0:
        *what = QStringLiteral("an unknown key");
        text.replace("history-size =", "histroy-size =");
        break;
    case 1:
        *what = QStringLiteral("a size that does not parse");
        text.replace("history-size = " + m_settings.historySize.toUtf8(), "history-size = lots");
        break;
    case 2:
        *what = QStringLiteral("a console declared twice");
        text += "\n[console soak]\nsource = pty:/dev/null\n";
        break;
    case 3:
        *what = QStringLiteral("a token without a role");
        text.replace("role = viewer\n", "");
        break;
    case 4:
        *what = QStringLiteral("bytes that are not UTF-8");
        text.insert(text.indexOf('\n') + 1, "# \xff\xfe\xc3\x28\n");
        break;
    default:
        *what = QStringLiteral("a file cut short after a user's hash");
        text.truncate(text.indexOf("role = operator"));
        break;
    }
    QSaveFile file(m_configPath);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    file.write(text);
    return file.commit();
}

bool ServerUnderTest::start(QString *error)
{
    m_stderrFile.setFileName(m_stderrPath);
    if (!m_stderrFile.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error
            = QStringLiteral("cannot write %1: %2").arg(m_stderrPath, m_stderrFile.errorString());
        return false;
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    // The server's debug lines (descriptors closing) would only bury the rest; its lines are read
    // in the default format.
    env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("*.debug=false"));
    env.remove(QStringLiteral("QT_MESSAGE_PATTERN"));
    m_process.setProcessEnvironment(env);
    m_process.setProgram(m_settings.binary);
    m_process.setArguments({QStringLiteral("--config"), m_configPath});
    m_process.start();
    if (!m_process.waitForStarted(30'000)) {
        *error
            = QStringLiteral("cannot start %1: %2").arg(m_settings.binary, m_process.errorString());
        return false;
    }
    if (!waitUntil([this] { return m_port != 0 || !isRunning(); }, 60'000) || m_port == 0) {
        *error = QStringLiteral("the server printed no URL within 60 s (%1); its stderr is in %2")
                     .arg(m_unexpectedExit.isEmpty() ? QStringLiteral("still running")
                                                     : m_unexpectedExit,
                          m_stderrPath);
        return false;
    }
    return true;
}

void ServerUnderTest::signal(int number)
{
    if (isRunning())
        ::kill(pid_t(pid()), number);
}

std::optional<qint64> ServerUnderTest::stop(int timeoutMs)
{
    if (!isRunning())
        return std::nullopt;
    m_stopping = true;
    QElapsedTimer clock;
    clock.start();
    ::kill(pid_t(pid()), SIGTERM);
    const bool exited = waitUntil([this] { return !isRunning(); }, timeoutMs);
    const qint64 took = clock.elapsed();
    if (!exited) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    readStderr();
    m_stderrFile.close();
    return exited ? std::optional<qint64>(took) : std::nullopt;
}

void ServerUnderTest::readStdout()
{
    m_stdout += m_process.readAllStandardOutput();
    if (m_port != 0 || m_stdout.size() > 65536)
        return;
    // "cloud-console: serving console "soak" at http://127.0.0.1:PORT/"
    static constexpr QByteArrayView Key = "http://127.0.0.1:";
    const qsizetype at = m_stdout.indexOf(Key);
    if (at < 0)
        return;
    const qsizetype end = m_stdout.indexOf('/', at + Key.size());
    if (end > 0)
        m_port = quint16(m_stdout.mid(at + Key.size(), end - at - Key.size()).toUInt());
}

void ServerUnderTest::readStderr()
{
    const QByteArray bytes = m_process.readAllStandardError();
    if (bytes.isEmpty())
        return;
    m_stderrFile.write(bytes);
    m_stderrFile.flush();
    m_stderrPartial += bytes;
    qsizetype start = 0;
    for (qsizetype end; (end = m_stderrPartial.indexOf('\n', start)) >= 0; start = end + 1)
        classify(m_stderrPartial.mid(start, end - start));
    m_stderrPartial.remove(0, start);
}

void ServerUnderTest::classify(const QByteArray &line)
{
    ++m_lines;
    std::optional<Line> kind;
    if (line.contains("ERROR: AddressSanitizer") || line.contains("ERROR: LeakSanitizer")
        || line.contains("runtime error:"))
        kind = Line::Sanitizer;
    else if (line.startsWith("SUMMARY: ") || line.startsWith("Direct leak of")
             || line.startsWith("Indirect leak of") || line.contains("Sanitizer has encountered"))
        kind = Line::SanitizerDetail;
    else if (line.startsWith("cloudconsole.console:") && line.contains(" source up:"))
        kind = Line::SourceUp;
    else if (line.startsWith("cloudconsole.console:") && line.contains(" source down:"))
        kind = Line::SourceDown;
    else if (line.contains("configuration reloaded"))
        kind = Line::Reloaded;
    else if (line.contains("keeping the running configuration"))
        kind = Line::ReloadRefused;
    else if (line.startsWith("cloudconsole.log:") && line.contains("reopened"))
        kind = Line::LogReopened;
    else if (line.startsWith("cloudconsole.log:")
             && (line.contains("cannot write") || line.contains("cannot reopen")))
        kind = Line::LogWriteError;
    else if (line.startsWith("cloudconsole.log:") && line.contains(" again"))
        kind = Line::LogWritingAgain;
    else if (line.contains("closing console"))
        kind = Line::ConsoleClosed;
    else if (line.contains("dropping a connection"))
        kind = Line::ConnectionDropped;
    else if (line.contains("failed login"))
        kind = Line::FailedLogin;
    else if (!line.startsWith("cloudconsole.") && !line.startsWith("cloud-console:")
             && !line.startsWith("==") && !line.startsWith("    #") && !line.trimmed().isEmpty())
        kind = Line::QtWarning;
    if (!kind)
        return;
    ++m_counts[*kind];
    QStringList &samples = m_samples[*kind];
    if (samples.size() < MaxSamples)
        samples.append(QString::fromUtf8(line.left(300)));
    Q_EMIT lineSeen(*kind);
}

} // namespace Soak
