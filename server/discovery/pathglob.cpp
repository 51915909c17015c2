#include "pathglob.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>

namespace CloudConsole {

namespace {

bool hasWildcard(const QString &component)
{
    return component.contains(u'*') || component.contains(u'?') || component.contains(u'[');
}

// The component's fixed text after its last wildcard: what a name leaves out (".sock").
QString fixedSuffix(const QString &component)
{
    qsizetype last = -1;
    for (qsizetype i = 0; i < component.size(); ++i) {
        if (component[i] == u'*' || component[i] == u'?')
            last = i;
        else if (component[i] == u'[') {
            const qsizetype close = component.indexOf(u']', i + 1);
            last = close < 0 ? i : close;
            i = last;
        }
    }
    return component.sliced(last + 1);
}

struct Partial
{
    QString path;
    QStringList names;
};

} // namespace

PathGlob::PathGlob(const QString &pattern) : m_pattern(pattern)
{
    const QStringList components = pattern.split(u'/', Qt::SkipEmptyParts);
    QStringList fixed;
    qsizetype i = 0;
    // The last component is what is matched, even without a wildcard.
    for (; i + 1 < components.size() && !hasWildcard(components[i]); ++i)
        fixed.append(components[i]);
    m_fixed = u'/' + fixed.join(u'/');
    m_parts = components.mid(i);
}

bool PathGlob::fixedDirectoryExists() const
{
    return QFileInfo(m_fixed).isDir();
}

std::vector<PathGlob::Match> PathGlob::expand() const
{
    std::vector<Partial> level {{m_fixed, {}}};
    for (qsizetype i = 0; i < m_parts.size(); ++i) {
        const QString &part = m_parts[i];
        const bool last = i + 1 == m_parts.size();
        std::vector<Partial> next;
        for (const Partial &at : level) {
            const QString base = at.path == QLatin1String("/") ? QString() : at.path;
            if (!hasWildcard(part)) {
                const QString path = base + u'/' + part;
                if (last ? QFileInfo::exists(path) : QFileInfo(path).isDir())
                    next.push_back({path, at.names});
                continue;
            }
            const QRegularExpression match = QRegularExpression::fromWildcard(part);
            const QDir dir(at.path);
            const QDir::Filters filters = (last ? QDir::AllEntries | QDir::System : QDir::Dirs)
                | QDir::NoDotAndDotDot | QDir::Hidden;
            QStringList entries = dir.entryList(filters, QDir::Name);
            for (const QString &entry : entries) {
                if (entry.startsWith(u'.') && !part.startsWith(u'.'))
                    continue;
                if (!match.match(entry).hasMatch())
                    continue;
                QString name = entry;
                const QString suffix = fixedSuffix(part);
                if (!suffix.isEmpty() && name.endsWith(suffix) && name.size() > suffix.size())
                    name.chop(suffix.size());
                QStringList names = at.names;
                names.append(name);
                next.push_back({base + u'/' + entry, names});
            }
        }
        level = std::move(next);
    }
    std::vector<Match> matches;
    for (const Partial &at : level)
        matches.push_back({at.path, at.names.join(u'-')});
    std::sort(matches.begin(), matches.end(),
              [](const Match &a, const Match &b) { return a.path < b.path; });
    return matches;
}

QStringList PathGlob::directories() const
{
    if (!fixedDirectoryExists()) {
        QString ancestor = m_fixed;
        while (!QFileInfo(ancestor).isDir() && ancestor != QLatin1String("/"))
            ancestor = QFileInfo(ancestor).path();
        return {ancestor};
    }
    QStringList dirs {m_fixed};
    // Every directory matched before the last component.
    std::vector<QString> level {m_fixed};
    for (qsizetype i = 0; i + 1 < m_parts.size(); ++i) {
        const QString &part = m_parts[i];
        std::vector<QString> next;
        for (const QString &at : level) {
            const QString base = at == QLatin1String("/") ? QString() : at;
            if (!hasWildcard(part)) {
                if (QFileInfo(base + u'/' + part).isDir())
                    next.push_back(base + u'/' + part);
                continue;
            }
            const QRegularExpression match = QRegularExpression::fromWildcard(part);
            const QStringList entries
                = QDir(at).entryList(QDir::Dirs | QDir::NoDotAndDotDot | QDir::Hidden, QDir::Name);
            for (const QString &entry : entries) {
                if ((!entry.startsWith(u'.') || part.startsWith(u'.'))
                    && match.match(entry).hasMatch())
                    next.push_back(base + u'/' + entry);
            }
        }
        for (const QString &dir : next)
            dirs.append(dir);
        level = std::move(next);
    }
    return dirs;
}

} // namespace CloudConsole
