#include "consolejournal.h"

#include "consolealerts.h"

#include <QLoggingCategory>

#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>
// The entries are the guest's lines, not this file's: no CODE_FILE, CODE_LINE, CODE_FUNC.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include <cstring>

namespace CloudConsole {

namespace {

constexpr const char *JournalSocket = "/run/systemd/journal/socket";

iovec field(const QByteArray &bytes)
{
    return {const_cast<char *>(bytes.constData()), size_t(bytes.size())};
}

} // namespace

ConsoleJournal::ConsoleJournal(const QString &console)
    : m_name(console.toUtf8()), m_identifier("SYSLOG_IDENTIFIER=" + m_name)
{ }

QByteArray ConsoleJournal::message(const LineReader::Line &line)
{
    // Through UTF-16 and back: whatever is not UTF-8 becomes U+FFFD.
    QString text = QString::fromUtf8(line.text);
    text.replace(QLatin1Char('\t'), QLatin1Char(' '));
    QByteArray bytes = text.toUtf8();
    bool cut = line.truncated;
    if (bytes.size() > MaxMessage) {
        qsizetype end = MaxMessage;
        // Not inside a character: back to the start of the one that would be split.
        while (end > 0 && (uchar(bytes[end]) & 0xC0) == 0x80)
            --end;
        bytes.truncate(end);
        cut = true;
    }
    if (cut)
        bytes += " [cut]";
    return bytes;
}

int ConsoleJournal::priority(std::optional<AlertSeverity> severity)
{
    if (!severity)
        return LOG_INFO;
    switch (*severity) {
    case AlertSeverity::Critical:
        return LOG_CRIT;
    case AlertSeverity::Warning:
        return LOG_WARNING;
    case AlertSeverity::Info:
        break;
    }
    return LOG_NOTICE;
}

bool ConsoleJournal::write(const LineReader::Line &line, const QString &rule,
                           std::optional<AlertSeverity> severity)
{
    const QByteArray fields[] = {
        "MESSAGE=" + message(line),
        "PRIORITY=" + QByteArray::number(priority(severity)),
        m_identifier,
        "CLOUD_CONSOLE_NAME=" + m_name,
        "CLOUD_CONSOLE_OFFSET=" + QByteArray::number(line.offset),
        rule.isEmpty() ? QByteArray() : "CLOUD_CONSOLE_RULE=" + rule.toUtf8(),
    };
    iovec vector[std::size(fields)];
    int count = 0;
    for (const QByteArray &f : fields) {
        if (!f.isEmpty())
            vector[count++] = field(f);
    }
    // libsystemd reports success when journald's socket is not there (it behaves as syslog(3)
    // does): look first, or lines would vanish without a word.
    const int result
        = ::access(JournalSocket, W_OK) != 0 ? -errno : sd_journal_sendv(vector, count);
    if (result >= 0)
        return true;
    qint64 heldBack = 0;
    if (m_warnings.allow(&heldBack))
        qCWarning(lcAlert).noquote()
            << QString::fromUtf8(m_name) << "cannot send console lines to the journal:"
            << QStringLiteral("%1: %2").arg(QLatin1String(JournalSocket),
                                            QString::fromLocal8Bit(std::strerror(-result)))
            << (heldBack > 0
                    ? QStringLiteral("(%1 failures before this one not logged)").arg(heldBack)
                    : QString());
    return false;
}

} // namespace CloudConsole
