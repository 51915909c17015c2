// PtySource on real ptys: raw reads, writes, hang-up, re-open through a symlink, backoff.

#include "fdchannel.h"
#include "ptysource.h"
#include "testpty.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

using namespace CloudConsole;
using namespace CloudConsole::Test;

class tst_PtySource : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void probeRefusesMissingPathsAndNonTerminals();
    void whatTheVmWritesArrivesRawAndUnbuffered();
    void inputReachesThePty();
    void aHangupIsReportedAsDown();
    void itReopensThroughASymlinkToTheNewPty();
    void aMissingPtyIsRetriedWithoutSpinning();
    void aReusedPtsNumberHeldByAnotherTerminalIsNotAttached();
    void inputBacksUpBoundedWhenTheGuestStopsReading();
};

namespace {

// Collects a source's output.
struct Sink
{
    explicit Sink(PtySource &source)
    {
        QObject::connect(&source, &ConsoleSource::dataRead, &source,
                         [this](QByteArrayView data) { bytes += data.toByteArray(); });
    }
    QByteArray bytes;
};

double cpuSeconds()
{
    rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

} // namespace

void tst_PtySource::probeRefusesMissingPathsAndNonTerminals()
{
    QString error;
    QVERIFY(!PtySource::probe(QStringLiteral("/dev/pts/no-such-pty"), &error));
    QVERIFY2(error.contains(QLatin1String("no such file")), qPrintable(error));
    QVERIFY(!PtySource::probe(QStringLiteral("/dev/null"), &error));
    QVERIFY2(error.contains(QLatin1String("not a terminal")), qPrintable(error));
    TestPty pty;
    QVERIFY(pty.isValid());
    QVERIFY2(PtySource::probe(pty.path(), &error), qPrintable(error));
}

void tst_PtySource::whatTheVmWritesArrivesRawAndUnbuffered()
{
    TestPty pty;
    PtySource source(pty.path());
    QSignalSpy up(&source, &ConsoleSource::up);
    Sink sink(source);
    source.start();
    QTRY_COMPARE(up.count(), 1);
    QCOMPARE(up.at(0).at(0).toString(), pty.path());
    // No newline: a canonical-mode pty would hold this back. No \n -> \r\n translation either,
    // and no echo of the guest's own output back into it.
    const QByteArray bytes("login: \x1b[1mroot\x1b[0m\nno newline at the end \x03\x04\x7f");
    QVERIFY(pty.write(bytes));
    QTRY_COMPARE(sink.bytes, bytes);
    QTest::qWait(50);
    QCOMPARE(pty.readAvailable(), QByteArray());
}

void tst_PtySource::inputReachesThePty()
{
    TestPty pty;
    PtySource source(pty.path());
    QSignalSpy up(&source, &ConsoleSource::up);
    source.start();
    QTRY_COMPARE(up.count(), 1);
    const QByteArray input("root\r\x03\x1b[A\xc3\xa9\n");
    QCOMPARE(source.write(input), input.size());
    QByteArray seen;
    QTRY_COMPARE((seen += pty.readAvailable()), input);
}

void tst_PtySource::aHangupIsReportedAsDown()
{
    TestPty pty;
    PtySource source(pty.path());
    QSignalSpy up(&source, &ConsoleSource::up);
    QSignalSpy down(&source, &ConsoleSource::down);
    source.start();
    QTRY_COMPARE(up.count(), 1);
    QVERIFY(source.isUp());
    pty.hangup();
    QTRY_COMPARE(down.count(), 1);
    QVERIFY(!source.isUp());
    QVERIFY2(!down.at(0).at(0).toString().isEmpty(), "a hang-up must say why");
    QCOMPARE(source.write("x"), 0);
}

void tst_PtySource::itReopensThroughASymlinkToTheNewPty()
{
    QTemporaryDir dir;
    const QString link = dir.filePath(QStringLiteral("vm1.console"));
    auto first = std::make_unique<TestPty>();
    QVERIFY(QFile::link(first->path(), link));

    PtySource source(link);
    QSignalSpy up(&source, &ConsoleSource::up);
    QSignalSpy down(&source, &ConsoleSource::down);
    Sink sink(source);
    source.start();
    QTRY_COMPARE(up.count(), 1);
    QVERIFY(first->write("before reboot\n"));
    QTRY_COMPARE(sink.bytes, QByteArray("before reboot\n"));

    // The VM reboots: its VMM makes a new pty and the manager re-points the link.
    first->hangup();
    QTRY_COMPARE(down.count(), 1);
    TestPty second;
    QVERIFY(QFile::remove(link));
    QVERIFY(QFile::link(second.path(), link));
    QTRY_COMPARE_WITH_TIMEOUT(up.count(), 2, 10000);
    QCOMPARE(up.at(1).at(0).toString(), second.path());
    QVERIFY(second.write("after reboot\n"));
    QTRY_COMPARE(sink.bytes, QByteArray("before reboot\nafter reboot\n"));
    QCOMPARE(source.write("x"), 1);
    QByteArray input;
    QTRY_COMPARE((input += second.readAvailable()), QByteArray("x"));
}

void tst_PtySource::aMissingPtyIsRetriedWithoutSpinning()
{
    QTemporaryDir dir;
    const QString link = dir.filePath(QStringLiteral("not-yet"));
    PtySource source(link);
    QSignalSpy up(&source, &ConsoleSource::up);
    source.start();
    const double before = cpuSeconds();
    QTest::qWait(2000);
    const double used = cpuSeconds() - before;
    // Spinning would burn the whole two seconds; a bounded backoff uses almost nothing.
    QVERIFY2(used < 0.3, qPrintable(QStringLiteral("used %1 s of CPU while waiting").arg(used)));
    QCOMPARE(up.count(), 0);

    // The backoff is capped, so the pty is found within the cap once it appears.
    TestPty pty;
    QVERIFY(QFile::link(pty.path(), link));
    QTRY_COMPARE_WITH_TIMEOUT(up.count(), 1, 8000);
}

void tst_PtySource::aReusedPtsNumberHeldByAnotherTerminalIsNotAttached()
{
    auto first = std::make_unique<TestPty>();
    const QString path = first->path();
    PtySource source(path);
    QSignalSpy up(&source, &ConsoleSource::up);
    QSignalSpy down(&source, &ConsoleSource::down);
    source.start();
    QTRY_COMPARE(up.count(), 1);
    first->hangup();
    QTRY_COMPARE(down.count(), 1);

    // Another terminal gets the freed number, and a process (here: a child) holds it open,
    // as a shell in an ssh session would.
    std::vector<std::unique_ptr<TestPty>> others;
    for (int i = 0; i < 16 && (others.empty() || others.back()->path() != path); ++i)
        others.push_back(std::make_unique<TestPty>());
    if (others.back()->path() != path)
        QSKIP("the kernel did not hand out the same pty number again");
    const pid_t holder = ::fork();
    if (holder == 0) {
        const int fd = ::open(path.toLocal8Bit().constData(), O_RDWR | O_NOCTTY);
        ::sleep(fd >= 0 ? 30 : 0);
        ::_exit(0);
    }
    QTest::qWait(3000);
    QCOMPARE(up.count(), 1);
    QVERIFY2(source.stateReason().contains(QLatin1String("another terminal")),
             qPrintable(source.stateReason()));
    QVERIFY(others.back()->write("secret typed in another session"));

    // Once nobody holds it (as with a VMM's new pty), it is attached again.
    ::kill(holder, SIGKILL);
    ::waitpid(holder, nullptr, 0);
    QTRY_COMPARE_WITH_TIMEOUT(up.count(), 2, 10000);
}

void tst_PtySource::inputBacksUpBoundedWhenTheGuestStopsReading()
{
    TestPty pty;
    PtySource source(pty.path());
    QSignalSpy up(&source, &ConsoleSource::up);
    QSignalSpy writable(&source, &ConsoleSource::writable);
    source.start();
    QTRY_COMPARE(up.count(), 1);

    // Nobody reads the master: the kernel's buffer fills, then the source's bounded queue.
    const QByteArray block = pattern(0, 4096);
    qint64 accepted = 0;
    for (int i = 0; i < 1000; ++i) {
        const qsizetype taken = source.write(block);
        accepted += taken;
        if (taken < block.size())
            break;
        QCoreApplication::processEvents();
    }
    QVERIFY2(accepted < 1000 * 4096, "the queue must be bounded");
    QCOMPARE(source.write(block), 0);

    // The guest reads again: everything accepted arrives, in order, and the source says so.
    QByteArray seen;
    QTRY_VERIFY_WITH_TIMEOUT((seen += pty.readAvailable()).size() == accepted, 10000);
    QByteArray expected;
    while (expected.size() < accepted)
        expected += block;
    expected.truncate(accepted);
    QVERIFY(seen == expected);
    QTRY_VERIFY(writable.count() >= 1);
}

QTEST_GUILESS_MAIN(tst_PtySource)
#include "tst_ptysource.moc"
