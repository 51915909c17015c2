#include "consolelist.h"

#include <QRegularExpression>

namespace CloudConsole {

bool isConsolePattern(const QString &item)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9._*-]{1,64}\\z"));
    return item.contains(u'*') && pattern.match(item).hasMatch();
}

bool consoleListAllows(const QStringList &consoles, const QString &console)
{
    if (consoles.isEmpty() || consoles.contains(console))
        return true;
    for (const QString &item : consoles) {
        if (!item.contains(u'*'))
            continue;
        // Console names hold no characters a wildcard treats specially but * itself.
        const QRegularExpression wildcard(QRegularExpression::anchoredPattern(
            QRegularExpression::escape(item).replace(QLatin1String("\\*"), QLatin1String(".*"))));
        if (wildcard.match(console).hasMatch())
            return true;
    }
    return false;
}

} // namespace CloudConsole
