#pragma once

// PathGlob is an absolute path whose components may hold the wildcards * ? and [...] (as a shell
// has them; * never crosses a /): `/run/cloud-hypervisor/*.sock`, `/run/ch/*/api.sock`. expand()
// lists what matches now, each with the name the wildcards give it, and directories() says which
// directories to watch so that a change to the matches is seen: the fixed part of the path (or,
// while it does not exist, its nearest ancestor that does) and every directory matched on the way.
//
// A match's name is made of the components that hold wildcards, each without the fixed text after
// its last wildcard, joined by "-": `/run/cloud-hypervisor/vm1.sock` for `*.sock` is vm1, and
// `/run/ch/vm1/api.sock` for `/run/ch/*/api.sock` is vm1 too. A wildcard does not match a name
// starting with a dot unless the pattern's component starts with one.
//
// Pure file-system reads; it knows nothing of watching or sockets.

#include <QString>
#include <QStringList>

#include <vector>

namespace CloudConsole {

class PathGlob
{
public:
    struct Match
    {
        QString path;
        QString name;
    };

    explicit PathGlob(const QString &pattern);

    QString pattern() const { return m_pattern; }
    // The leading directory without wildcards ("/run/cloud-hypervisor").
    QString fixedDirectory() const { return m_fixed; }
    // Every path that matches now, sorted by path.
    std::vector<Match> expand() const;
    // The directories to watch now; the first is the fixed directory, or its nearest existing
    // ancestor while it does not exist (then it is the only one).
    QStringList directories() const;
    bool fixedDirectoryExists() const;

private:
    QString m_pattern;
    QString m_fixed;
    QStringList m_parts; // the components after m_fixed
};

} // namespace CloudConsole
