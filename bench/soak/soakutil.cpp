#include "soakutil.h"

#include "benchutil.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QLocale>

namespace Soak {

bool waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!done()) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    }
    return true;
}

void spin(int ms)
{
    waitUntil([] { return false; }, ms);
}

double percentile(std::vector<double> values, double p)
{
    return Bench::percentile(std::move(values), p);
}

QString bytesText(qint64 bytes)
{
    if (bytes >= 10 * 1024 * 1024)
        return QStringLiteral("%1 MiB").arg(double(bytes) / (1024 * 1024), 0, 'f', 1);
    if (bytes >= 10 * 1024)
        return QStringLiteral("%1 KiB").arg(double(bytes) / 1024, 0, 'f', 1);
    return QStringLiteral("%1 B").arg(bytes);
}

QString countText(qint64 value)
{
    return QLocale(QLocale::English).toString(value);
}

qint64 parseSize(const QString &text)
{
    QString t = text.trimmed().toUpper();
    qint64 factor = 1;
    if (t.endsWith(u'K'))
        factor = 1024;
    else if (t.endsWith(u'M'))
        factor = 1024 * 1024;
    else if (t.endsWith(u'G'))
        factor = qint64(1024) * 1024 * 1024;
    if (factor > 1)
        t.chop(1);
    bool ok = false;
    const double value = t.toDouble(&ok);
    return ok && value >= 0 ? qint64(value * double(factor)) : -1;
}

qint64 leadingNumber(const QString &text)
{
    qint64 value = 0;
    for (const QChar c : text) {
        if (!c.isDigit())
            break;
        value = value * 10 + c.digitValue();
    }
    return value;
}

} // namespace Soak
