#pragma once

// Reads a process's state from /proc, for tests that check what became of a child process.

#include <QDir>
#include <QFile>
#include <QList>

#include <sys/types.h>

namespace CloudConsole::Test {

struct ProcessInfo
{
    char state = 0; // 0 when there is no such process; 'Z' for a zombie
    pid_t ppid = 0;
    pid_t session = 0;
};

// /proc/<pid>/stat, or state 0 when there is no such process.
inline ProcessInfo processInfo(pid_t pid)
{
    QFile file(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray stat = file.readAll();
    // The command name, in parentheses, may hold spaces: the fields start after the last ')'.
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0 || close + 2 > stat.size())
        return {};
    const QList<QByteArray> fields = stat.sliced(close + 2).split(' ');
    if (fields.size() < 4)
        return {};
    ProcessInfo info;
    info.state = fields[0].isEmpty() ? char(0) : fields[0][0];
    info.ppid = pid_t(fields[1].toInt());
    info.session = pid_t(fields[3].toInt());
    return info;
}

// Live (not zombie) processes for which test(pid, info) holds.
template<typename Test> QList<pid_t> livingProcesses(Test test)
{
    QList<pid_t> found;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &entry : entries) {
        bool ok = false;
        const pid_t pid = pid_t(entry.toInt(&ok));
        if (!ok)
            continue;
        const ProcessInfo info = processInfo(pid);
        if (info.state != 0 && info.state != 'Z' && info.state != 'X' && test(pid, info))
            found.append(pid);
    }
    return found;
}

} // namespace CloudConsole::Test
