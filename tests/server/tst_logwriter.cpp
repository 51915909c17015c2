// LogWriter on real files: every byte appended to the ring reaches the log once and in order,
// logrotate loses nothing, and a write error is reported once, retried, and caught up from the
// ring, with a marker counting the bytes the ring no longer had.

#include "historyring.h"
#include "logwriter.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace CloudConsole;

class tst_LogWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void everyAppendedByteLandsInTheFileInOrder_data();
    void everyAppendedByteLandsInTheFileInOrder();
    void onlyBytesAppendedAfterTheWriterWasMadeAreLogged();
    void reopenAfterARenameContinuesInANewFileWithNothingLostOrDuplicated();
    void aWriteErrorIsReportedOnceAndTheRingCatchesUpAfterReopen();
    void aLogThatCannotBeOpenedIsRetriedByItself();
    void aFailedReopenIsRetriedAndNothingGoesToTheMovedFile();
    void bytesTheRingNoLongerHasAreCountedInAMarker();

private:
    QByteArray readFile(const QString &path) const;
    bool repoint(const QString &link, const QString &target);
};

namespace {

QList<QString> g_warnings; // warnings of the cloudconsole.log category
QtMessageHandler g_previousHandler = nullptr;

void recordingHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (type == QtWarningMsg && context.category
        && qstrcmp(context.category, "cloudconsole.log") == 0) {
        g_warnings.append(message);
        return;
    }
    if (g_previousHandler)
        g_previousHandler(type, context, message);
}

QByteArray randomBytes(QRandomGenerator &random, qsizetype n)
{
    QByteArray bytes(n, Qt::Uninitialized);
    for (char &c : bytes)
        c = char(random.bounded(256));
    return bytes;
}

QString firstDifference(const QByteArray &actual, const QByteArray &expected)
{
    const qsizetype n = std::min(actual.size(), expected.size());
    qsizetype at = 0;
    while (at < n && actual[at] == expected[at])
        ++at;
    return QStringLiteral(
               "file has %1 bytes, expected %2, first difference at %3 (sha256 %4 vs %5)")
        .arg(actual.size())
        .arg(expected.size())
        .arg(at)
        .arg(QString::fromLatin1(
            QCryptographicHash::hash(actual, QCryptographicHash::Sha256).toHex().left(16)))
        .arg(QString::fromLatin1(
            QCryptographicHash::hash(expected, QCryptographicHash::Sha256).toHex().left(16)));
}

} // namespace

void tst_LogWriter::init()
{
    g_warnings.clear();
    g_previousHandler = qInstallMessageHandler(recordingHandler);
}

void tst_LogWriter::cleanup()
{
    qInstallMessageHandler(g_previousHandler);
    g_previousHandler = nullptr;
}

QByteArray tst_LogWriter::readFile(const QString &path) const
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QByteArray("<cannot read ") + path.toLocal8Bit() + ">";
    return file.readAll();
}

bool tst_LogWriter::repoint(const QString &link, const QString &target)
{
    // Replace the symlink atomically, as a VM manager or logrotate would.
    const QString temporary = link + QStringLiteral(".new");
    QFile::remove(temporary);
    if (::symlink(QFile::encodeName(target).constData(), QFile::encodeName(temporary).constData())
        != 0)
        return false;
    return ::rename(QFile::encodeName(temporary).constData(), QFile::encodeName(link).constData())
        == 0;
}

void tst_LogWriter::everyAppendedByteLandsInTheFileInOrder_data()
{
    QTest::addColumn<qsizetype>("capacity");
    QTest::addColumn<int>("maxChunk");
    QTest::addColumn<quint32>("seed");
    QTest::newRow("small chunks") << qsizetype(4096) << 100 << quint32(11);
    QTest::newRow("chunks up to the capacity") << qsizetype(4096) << 4096 << quint32(12);
    QTest::newRow("tiny ring") << qsizetype(7) << 7 << quint32(13);
    QTest::newRow("1 MiB ring, 64 KiB chunks") << qsizetype(1 << 20) << 65536 << quint32(14);
}

void tst_LogWriter::everyAppendedByteLandsInTheFileInOrder()
{
    QFETCH(qsizetype, capacity);
    QFETCH(int, maxChunk);
    QFETCH(quint32, seed);
    QTemporaryDir dir;
    QVERIFY2(dir.isValid(), qPrintable(dir.errorString()));
    const QString path = dir.filePath(QStringLiteral("console.log"));

    HistoryRing ring(capacity);
    LogWriter writer(path, ring);
    QString error;
    QVERIFY2(writer.open(&error), qPrintable(error));
    QRandomGenerator random(seed);
    QByteArray all;
    while (all.size() < 2 * 1024 * 1024) {
        const QByteArray chunk = randomBytes(random, 1 + random.bounded(maxChunk));
        ring.append(chunk);
        all += chunk;
        writer.flush();
        QCOMPARE(writer.cursor(), ring.endOffset());
    }
    const QByteArray logged = readFile(path);
    QVERIFY2(logged == all, qPrintable(firstDifference(logged, all)));
    QCOMPARE(writer.bytesLost(), 0);
    QVERIFY(!writer.isFailing());
    QVERIFY2(g_warnings.isEmpty(), qPrintable(g_warnings.join(QLatin1Char('\n'))));
}

void tst_LogWriter::onlyBytesAppendedAfterTheWriterWasMadeAreLogged()
{
    // The log of an existing file is appended to, never truncated or padded.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("console.log"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("earlier run\n");
    }
    HistoryRing ring(64);
    ring.append("before the writer existed");
    LogWriter writer(path, ring);
    QString error;
    QVERIFY2(writer.open(&error), qPrintable(error));
    writer.flush();
    QCOMPARE(readFile(path), QByteArray("earlier run\n"));
    ring.append("after");
    writer.flush();
    writer.flush();
    QCOMPARE(readFile(path), QByteArray("earlier run\nafter"));
}

void tst_LogWriter::reopenAfterARenameContinuesInANewFileWithNothingLostOrDuplicated()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("console.log"));
    const QString rotated = path + QStringLiteral(".1");
    HistoryRing ring(1024);
    LogWriter writer(path, ring);
    QString error;
    QVERIFY2(writer.open(&error), qPrintable(error));

    QRandomGenerator random(21);
    QByteArray all;
    auto appendSome = [&](int chunks) {
        for (int i = 0; i < chunks; ++i) {
            const QByteArray chunk = randomBytes(random, 1 + random.bounded(900));
            ring.append(chunk);
            all += chunk;
            writer.flush();
        }
    };
    appendSome(50);
    // logrotate: rename, then the server still writes a little to the old file, then SIGHUP.
    QVERIFY(QFile::rename(path, rotated));
    appendSome(10);
    const qsizetype beforeReopen = all.size();
    writer.reopen();
    QVERIFY2(QFile::exists(path), "reopen() did not create a new log file");
    appendSome(50);

    const QByteArray first = readFile(rotated);
    const QByteArray second = readFile(path);
    QVERIFY2(first == all.first(beforeReopen),
             qPrintable("rotated file: " + firstDifference(first, all.first(beforeReopen))));
    QVERIFY2(second == all.sliced(beforeReopen),
             qPrintable("new file: " + firstDifference(second, all.sliced(beforeReopen))));
    QVERIFY2(g_warnings.isEmpty(), qPrintable(g_warnings.join(QLatin1Char('\n'))));
}

void tst_LogWriter::aWriteErrorIsReportedOnceAndTheRingCatchesUpAfterReopen()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString link = dir.filePath(QStringLiteral("console.log"));
    const QString real = dir.filePath(QStringLiteral("real.log"));
    QVERIFY(repoint(link, QStringLiteral("/dev/full")));

    HistoryRing ring(64 * 1024);
    LogWriter writer(link, ring);
    QString error;
    QVERIFY2(writer.open(&error), qPrintable(error));
    QVERIFY(!writer.isFailing());

    QRandomGenerator random(31);
    QByteArray all;
    for (int i = 0; i < 20; ++i) {
        const QByteArray chunk = randomBytes(random, 1 + random.bounded(1000));
        ring.append(chunk);
        all += chunk;
        writer.flush();
    }
    QVERIFY(writer.isFailing());
    QCOMPARE(writer.cursor(), 0);
    QVERIFY2(g_warnings.size() == 1,
             qPrintable(QStringLiteral("%1 warnings: %2")
                            .arg(g_warnings.size())
                            .arg(g_warnings.join(QLatin1Char('|')))));
    QVERIFY2(g_warnings.first().contains(link), qPrintable(g_warnings.first()));

    // The writer retries by itself (once a second) without warning again.
    QTest::qWait(2500);
    QVERIFY(writer.isFailing());
    QVERIFY2(g_warnings.size() == 1, qPrintable(g_warnings.join(QLatin1Char('|'))));

    QVERIFY(repoint(link, real));
    writer.reopen();
    QVERIFY(!writer.isFailing());
    QCOMPARE(writer.cursor(), ring.endOffset());
    QCOMPARE(writer.bytesLost(), 0);
    const QByteArray logged = readFile(real);
    QVERIFY2(logged == all, qPrintable(firstDifference(logged, all)));

    // And it goes on writing; a later error is reported again, once.
    ring.append("more");
    writer.flush();
    QCOMPARE(readFile(real), all + "more");
    QVERIFY(repoint(link, QStringLiteral("/dev/full")));
    writer.reopen();
    ring.append("lost for now");
    writer.flush();
    writer.flush();
    QVERIFY2(g_warnings.size() == 2, qPrintable(g_warnings.join(QLatin1Char('|'))));
}

void tst_LogWriter::aLogThatCannotBeOpenedIsRetriedByItself()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString subdir = dir.filePath(QStringLiteral("later"));
    const QString path = subdir + QStringLiteral("/console.log");
    HistoryRing ring(1024);
    LogWriter writer(path, ring);
    QString error;
    QVERIFY(!writer.open(&error));
    QVERIFY2(!error.isEmpty(), "open() failed without saying why");

    ring.append("written while the directory is missing");
    writer.flush();
    ring.append(", still missing");
    writer.flush();
    QVERIFY(writer.isFailing());
    QVERIFY2(g_warnings.size() == 1,
             qPrintable(QStringLiteral("%1 warnings: %2")
                            .arg(g_warnings.size())
                            .arg(g_warnings.join(QLatin1Char('|')))));

    QVERIFY(QDir().mkdir(subdir));
    // No call from the test: the retry timer must open the file and catch up.
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(path) && !writer.isFailing(), 10000);
    QCOMPARE(readFile(path), QByteArray("written while the directory is missing, still missing"));
    QCOMPARE(g_warnings.size(), 1);
}

void tst_LogWriter::aFailedReopenIsRetriedAndNothingGoesToTheMovedFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString logs = dir.filePath(QStringLiteral("logs"));
    const QString rotated = dir.filePath(QStringLiteral("rotated"));
    QVERIFY(QDir().mkdir(logs));
    const QString path = logs + QStringLiteral("/console.log");
    HistoryRing ring(1024);
    LogWriter writer(path, ring);
    QString error;
    QVERIFY2(writer.open(&error), qPrintable(error));
    ring.append("before ");
    writer.flush();

    // The whole directory is moved away, so the reopen on SIGHUP cannot create the file.
    QVERIFY(QDir().rename(logs, rotated));
    writer.reopen();
    QVERIFY(writer.isFailing());
    ring.append("after");
    writer.flush();
    QCOMPARE(readFile(rotated + QStringLiteral("/console.log")), QByteArray("before "));

    // The directory comes back: the writer's own retry opens the path and catches up.
    QVERIFY(QDir().mkdir(logs));
    QTRY_VERIFY_WITH_TIMEOUT(!writer.isFailing(), 10000);
    QCOMPARE(readFile(path), QByteArray("after"));
    QCOMPARE(readFile(rotated + QStringLiteral("/console.log")), QByteArray("before "));
    QCOMPARE(g_warnings.size(), 1);
}

void tst_LogWriter::bytesTheRingNoLongerHasAreCountedInAMarker()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString link = dir.filePath(QStringLiteral("console.log"));
    const QString real = dir.filePath(QStringLiteral("real.log"));
    QVERIFY(repoint(link, real));

    const qsizetype capacity = 64;
    HistoryRing ring(capacity);
    LogWriter writer(link, ring);
    QString error;
    QVERIFY2(writer.open(&error), qPrintable(error));

    QRandomGenerator random(41);
    const QByteArray before = randomBytes(random, 100);
    for (qsizetype at = 0; at < before.size(); at += 10) {
        ring.append(QByteArrayView(before).sliced(at, 10));
        writer.flush();
    }
    QCOMPARE(readFile(real), before);

    QVERIFY(repoint(link, QStringLiteral("/dev/full")));
    writer.reopen();
    const QByteArray during = randomBytes(random, 300);
    for (qsizetype at = 0; at < during.size(); at += 30) {
        ring.append(QByteArrayView(during).sliced(at, 30));
        writer.flush();
    }
    QVERIFY(writer.isFailing());
    QCOMPARE(g_warnings.size(), 1);

    QVERIFY(repoint(link, real));
    writer.reopen();
    QVERIFY(!writer.isFailing());
    const qint64 missing = during.size() - capacity;
    QCOMPARE(writer.bytesLost(), missing);
    QCOMPARE(writer.cursor(), ring.endOffset());

    const QByteArray logged = readFile(real);
    const QByteArray kept = during.right(capacity);
    QVERIFY2(logged.startsWith(before), qPrintable(firstDifference(logged, before)));
    QVERIFY2(logged.endsWith(kept), qPrintable(firstDifference(logged.right(capacity), kept)));
    const QByteArray marker
        = logged.sliced(before.size(), logged.size() - before.size() - kept.size());
    QVERIFY2(marker.contains(QByteArray::number(missing) + " bytes missing"),
             qPrintable("marker: " + QString::fromLatin1(marker.toHex())));
    QVERIFY2(marker.startsWith("\r\n") && marker.endsWith("\r\n"), marker.constData());
    QCOMPARE(marker.count('\n'), 2);

    // Later bytes follow with no second marker.
    ring.append("after");
    writer.flush();
    QCOMPARE(readFile(real), logged + "after");
    QCOMPARE(writer.bytesLost(), missing);
}

QTEST_GUILESS_MAIN(tst_LogWriter)
#include "tst_logwriter.moc"
