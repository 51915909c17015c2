#include "ptylocator.h"

#include "ptyutil.h"

#include <QFileInfo>

namespace CloudConsole {

FixedPtyLocator::FixedPtyLocator(const QString &path, QObject *parent)
    : PtyLocator(parent), m_path(path)
{ }

void FixedPtyLocator::locate()
{
    if (m_hungUp && !QFileInfo(m_path).isSymLink()
        && m_path.startsWith(QLatin1String("/dev/pts/"))) {
        const QList<qint64> holders = Pty::otherHolders(m_path);
        if (!holders.isEmpty()) {
            Q_EMIT failed(QStringLiteral("%1 is now another terminal (open in pid %2); not "
                                         "attaching to it")
                              .arg(m_path)
                              .arg(holders.first()));
            return;
        }
    }
    Q_EMIT located(m_path);
}

} // namespace CloudConsole
