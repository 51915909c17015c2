// SerialSource on real ptys standing in for serial lines: the test plays the machine at the far
// end on the master side, and the source opens the slave by its path, as it would /dev/ttyUSB0.
// Settings read back from the line with tcgetattr(), output and input both ways (1 MiB out, a
// bounded queue in), an adapter unplugged and plugged back behind a symlink, BREAK, a device that
// is absent at start-up, and a device locked by another program. The `serial:` spec parser is
// checked against a table of good and bad specs with their exact errors.

#include "../testpty.h"
#include "serialsource.h"
#include "sourcespec.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

using namespace CloudConsole;
using namespace CloudConsole::Test;

class tst_SerialSource : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void specsAreParsedWithClearErrors_data();
    void specsAreParsedWithClearErrors();
    void aSerialSpecMakesASerialSource();
    void settingsReachTheLineAndDataFlowsBothWays_data();
    void settingsReachTheLineAndDataFlowsBothWays();
    void aMegabyteOfOutputArrivesCompleteAndInOrder();
    void inputBacksUpBoundedWhileTheFarEndDoesNotRead();
    void anUnpluggedLineGoesDownAndComesBackThroughItsLink_data();
    void anUnpluggedLineGoesDownAndComesBackThroughItsLink();
    void breakIsSentOnAnOpenLineOnly();
    void aBreakBehindQueuedInputIsRefused();
    void aMissingDeviceIsRetriedWithoutSpinningUntilItAppears();
    void aDeviceLockedByAnotherProgramNamesTheHolder();
};

namespace {

constexpr int Timeout = 10000;

// Collects a source's output.
struct Sink
{
    explicit Sink(ConsoleSource &source)
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

SerialSettings settingsFor(const QString &spec)
{
    QString error;
    const auto settings = SerialSettings::parse(spec, &error);
    if (!settings)
        qFatal("bad spec in the test: %s", qPrintable(error));
    return *settings;
}

// Reads what the source sent into the line, waiting until `size` bytes are there.
QByteArray receive(TestPty &pty, qsizetype size, int timeoutMs = Timeout)
{
    QByteArray seen;
    QElapsedTimer timer;
    timer.start();
    while (seen.size() < size && timer.elapsed() < timeoutMs) {
        seen += pty.readAvailable();
        if (seen.size() < size)
            QTest::qWait(5);
    }
    return seen;
}

// The source and the far end exchange a line each way.
void checkDataFlows(SerialSource &source, TestPty &pty, Sink &sink, const QByteArray &tag)
{
    sink.bytes.clear();
    const QByteArray output = "boot log of " + tag + "\r\nlogin: ";
    QVERIFY(pty.write(output));
    QTRY_COMPARE_WITH_TIMEOUT(sink.bytes, output, Timeout);
    const QByteArray input = "root " + tag + "\r";
    QCOMPARE(source.write(input), input.size());
    QCOMPARE(receive(pty, input.size()), input);
}

// Fills the source's input queue while the far end does not read: returns how much it took.
qint64 fillInput(SerialSource &source)
{
    constexpr qsizetype Block = 4096;
    qint64 taken = 0;
    for (int i = 0; i < 4096; ++i) {
        const qsizetype n = source.write(pattern(taken, Block));
        taken += n;
        if (n < Block)
            break;
        // Lets the port hand what it can to the kernel, whose buffer fills first.
        QCoreApplication::processEvents();
    }
    return taken;
}

} // namespace

void tst_SerialSource::specsAreParsedWithClearErrors_data()
{
    QTest::addColumn<QString>("spec");
    QTest::addColumn<QString>("canonical"); // empty when the spec is refused
    QTest::addColumn<QString>("summary");
    QTest::addColumn<QString>("error");

    const auto good
        = [](const char *name, const char *spec, const char *canonical, const char *summary) {
              QTest::newRow(name) << spec << canonical << summary << QString();
          };
    const auto bad = [](const char *name, const char *spec, const char *error) {
        QTest::newRow(name) << spec << QString() << QString() << error;
    };
    good("a path alone takes the defaults", "serial:/dev/ttyUSB0", "serial:/dev/ttyUSB0",
         "115200 8N1");
    good("the prefix is optional", "/dev/ttyS0", "serial:/dev/ttyS0", "115200 8N1");
    good("defaults spelled out are dropped",
         "serial:/dev/ttyUSB0?baud=115200&parity=none&data=8&stop=1&flow=none",
         "serial:/dev/ttyUSB0", "115200 8N1");
    good("7E1 at 9600", "serial:/dev/ttyS1?baud=9600&parity=even&data=7",
         "serial:/dev/ttyS1?baud=9600&parity=even&data=7", "9600 7E1");
    good("keys in any order come out in one",
         "serial:/dev/ttyS1?flow=hardware&stop=2&parity=mark&baud=57600",
         "serial:/dev/ttyS1?baud=57600&parity=mark&stop=2&flow=hardware",
         "57600 8M2 hardware flow");
    good("odd parity, software flow", "serial:/dev/ttyS2?parity=odd&flow=software",
         "serial:/dev/ttyS2?parity=odd&flow=software", "115200 8O1 software flow");
    good("space parity, 5 and 6 bits", "serial:/dev/ttyS3?parity=space&data=5",
         "serial:/dev/ttyS3?parity=space&data=5", "115200 5S1");
    good("6 data bits", "serial:/dev/ttyS3?data=6", "serial:/dev/ttyS3?data=6", "115200 6N1");
    good("a rate without a B constant", "serial:/dev/ttyUSB0?baud=250000",
         "serial:/dev/ttyUSB0?baud=250000", "250000 8N1");
    good("a udev by-id link", "serial:/dev/serial/by-id/usb-FTDI_FT232R-if00-port0?baud=921600",
         "serial:/dev/serial/by-id/usb-FTDI_FT232R-if00-port0?baud=921600", "921600 8N1");
    good("an empty query", "serial:/dev/ttyS0?", "serial:/dev/ttyS0", "115200 8N1");
    good("empty items are skipped", "serial:/dev/ttyS0?&baud=9600&", "serial:/dev/ttyS0?baud=9600",
         "9600 8N1");

    bad("no path", "serial:", "serial: needs a device path, such as serial:/dev/ttyUSB0");
    bad("only a query", "serial:?baud=9600",
        "serial: needs a device path, such as serial:/dev/ttyUSB0");
    bad("a relative path", "serial:ttyUSB0",
        "serial:ttyUSB0: the device path must be absolute, such as /dev/ttyUSB0");
    bad("baud not a number", "serial:/dev/ttyS0?baud=fast",
        "serial:/dev/ttyS0: baud \"fast\" is not a number");
    bad("baud empty", "serial:/dev/ttyS0?baud=", "serial:/dev/ttyS0: baud \"\" is not a number");
    bad("baud zero", "serial:/dev/ttyS0?baud=0",
        "serial:/dev/ttyS0: baud \"0\" is out of range (1 to 2147483647)");
    bad("baud negative", "serial:/dev/ttyS0?baud=-9600",
        "serial:/dev/ttyS0: baud \"-9600\" is out of range (1 to 2147483647)");
    bad("baud too large", "serial:/dev/ttyS0?baud=99999999999",
        "serial:/dev/ttyS0: baud \"99999999999\" is out of range (1 to 2147483647)");
    bad("unknown parity", "serial:/dev/ttyS0?parity=high",
        "serial:/dev/ttyS0: parity \"high\" is not one of none, even, odd, space, mark");
    bad("parity is lower case", "serial:/dev/ttyS0?parity=Even",
        "serial:/dev/ttyS0: parity \"Even\" is not one of none, even, odd, space, mark");
    bad("a key without a value", "serial:/dev/ttyS0?parity",
        "serial:/dev/ttyS0: parity \"\" is not one of none, even, odd, space, mark");
    bad("nine data bits", "serial:/dev/ttyS0?data=9",
        "serial:/dev/ttyS0: data \"9\" is not one of 5, 6, 7, 8");
    bad("one and a half stop bits", "serial:/dev/ttyS0?stop=1.5",
        "serial:/dev/ttyS0: stop \"1.5\" is not one of 1, 2 (a Linux serial line has no 1.5 "
        "stop bits)");
    bad("three stop bits", "serial:/dev/ttyS0?stop=3",
        "serial:/dev/ttyS0: stop \"3\" is not one of 1, 2");
    bad("unknown flow control", "serial:/dev/ttyS0?flow=rtscts",
        "serial:/dev/ttyS0: flow \"rtscts\" is not one of none, hardware, software");
    bad("unknown key", "serial:/dev/ttyS0?speed=9600",
        "serial:/dev/ttyS0: unknown key \"speed\" (known: baud, parity, data, stop, flow)");
    bad("a key given twice", "serial:/dev/ttyS0?baud=9600&baud=19200",
        "serial:/dev/ttyS0: baud is given twice");
}

void tst_SerialSource::specsAreParsedWithClearErrors()
{
    QFETCH(QString, spec);
    QFETCH(QString, canonical);
    QFETCH(QString, summary);
    QFETCH(QString, error);

    QString why;
    const auto settings = SerialSettings::parse(spec, &why);
    QVERIFY2(settings.has_value() == error.isEmpty(), qPrintable(why));
    if (settings) {
        QCOMPARE(settings->toString(), canonical);
        QCOMPARE(settings->lineSummary(), summary);
        // The canonical form means the same.
        const auto again = SerialSettings::parse(canonical, &why);
        QVERIFY2(again.has_value(), qPrintable(why));
        QCOMPARE(again->toString(), canonical);
    } else {
        QCOMPARE(why, error);
    }

    // The command line says the same through the source spec (a bare path stays a pty there).
    if (!spec.startsWith(QLatin1String("serial:")))
        return;
    QString specError;
    const auto parsed = parseSourceSpec(spec, &specError);
    QCOMPARE(parsed.has_value(), error.isEmpty());
    if (parsed) {
        QVERIFY(parsed->kind == SourceSpec::Kind::Serial);
        QCOMPARE(parsed->toString(), canonical);
    } else {
        QCOMPARE(specError, error);
    }
}

void tst_SerialSource::aSerialSpecMakesASerialSource()
{
    QString error;
    const auto spec
        = parseSourceSpec(QStringLiteral("serial:/dev/ttyUSB7?baud=9600&flow=hardware"), &error);
    QVERIFY2(spec, qPrintable(error));
    QVERIFY2(probeSource(*spec, &error), qPrintable(error)); // an adapter may be plugged in later
    const std::unique_ptr<ConsoleSource> source = createSource(*spec);
    const auto *serial = qobject_cast<SerialSource *>(source.get());
    QVERIFY(serial);
    QCOMPARE(serial->settings().path, QStringLiteral("/dev/ttyUSB7"));
    QCOMPARE(serial->settings().baud, 9600);
    QCOMPARE(serial->settings().flow, QSerialPort::HardwareControl);
    QVERIFY(serial->canBreak());
    QVERIFY(!serial->canResize()); // a serial line has no size
    QVERIFY(!serial->isUp());

    QVERIFY(!parseSourceSpec(QStringLiteral("serail:/dev/ttyS0"), &error));
    QVERIFY2(error.contains(QLatin1String("serial")), qPrintable(error));
}

void tst_SerialSource::settingsReachTheLineAndDataFlowsBothWays_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QString>("summary");
    QTest::addColumn<uint>("speed");
    QTest::addColumn<uint>("cflagSet");
    QTest::addColumn<uint>("cflagClear");
    QTest::addColumn<uint>("iflagSet");
    QTest::addColumn<uint>("iflagClear");
    QTest::addColumn<bool>("ptyKeepsTheFrame");

    // A pty keeps the speed, CSTOPB, CRTSCTS, IXON/IXOFF, PARODD and CMSPAR it is given, but
    // Linux's pty_set_termios() always resets it to CS8 without PARENB: data bits and whether
    // parity is on cannot be seen on a pty (the source warns that the line runs 8N1), while odd
    // and mark/space can. The frame asked for still shows in the source's reason.
    const uint flowBits = CRTSCTS;
    const uint parityBits = PARODD | CMSPAR;
    const uint softFlow = IXON | IXOFF;
    QTest::newRow("9600 7E1") << "baud=9600&parity=even&data=7"
                              << "9600 7E1" << uint(B9600) << 0u
                              << uint(CSTOPB | flowBits | parityBits) << 0u << softFlow << false;
    QTest::newRow("19200 8N2, hardware flow")
        << "baud=19200&stop=2&flow=hardware"
        << "19200 8N2 hardware flow" << uint(B19200) << uint(CSTOPB | CRTSCTS) << parityBits << 0u
        << softFlow << true;
    QTest::newRow("57600 8O1, software flow")
        << "baud=57600&parity=odd&flow=software"
        << "57600 8O1 software flow" << uint(B57600) << uint(PARODD)
        << uint(CMSPAR | CSTOPB | flowBits) << softFlow << 0u << false;
    QTest::newRow("4800 8M1") << "baud=4800&parity=mark"
                              << "4800 8M1" << uint(B4800) << parityBits << uint(CSTOPB | flowBits)
                              << 0u << softFlow << false;
    QTest::newRow("115200 8S1") << "parity=space"
                                << "115200 8S1" << uint(B115200) << uint(CMSPAR)
                                << uint(PARODD | CSTOPB | flowBits) << 0u << softFlow << false;
    QTest::newRow("the defaults") << ""
                                  << "115200 8N1" << uint(B115200) << 0u
                                  << uint(CSTOPB | flowBits | parityBits) << 0u << softFlow << true;
}

void tst_SerialSource::settingsReachTheLineAndDataFlowsBothWays()
{
    QFETCH(QString, query);
    QFETCH(QString, summary);
    QFETCH(uint, speed);
    QFETCH(uint, cflagSet);
    QFETCH(uint, cflagClear);
    QFETCH(uint, iflagSet);
    QFETCH(uint, iflagClear);
    QFETCH(bool, ptyKeepsTheFrame);

    TestPty pty;
    QVERIFY(pty.isValid());
    // The test's own end of the slave, opened before the source takes the line (TIOCEXCL), to
    // read the line's settings back.
    const UniqueFd slave(::open(QFile::encodeName(pty.path()).constData(),
                                O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
    QVERIFY(slave.isValid());

    const QString frame = summary.section(u' ', 1, 1);
    if (ptyKeepsTheFrame)
        QTest::failOnWarning(QRegularExpression(QStringLiteral("runs")));
    else
        QTest::ignoreMessage(
            QtWarningMsg,
            QRegularExpression(QStringLiteral("%1 runs 8N1, not %2 as asked")
                                   .arg(QRegularExpression::escape(pty.path()), frame)));

    SerialSource source(settingsFor(QStringLiteral("serial:%1?%2").arg(pty.path(), query)));
    QSignalSpy up(&source, &ConsoleSource::up);
    Sink sink(source);
    source.start();
    QTRY_COMPARE_WITH_TIMEOUT(up.count(), 1, Timeout);
    QString reason = pty.path() + u' ' + summary;
    if (!ptyKeepsTheFrame)
        reason += QLatin1String(" (the line runs 8N1)");
    QCOMPARE(up.at(0).at(0).toString(), reason);
    QCOMPARE(source.stateReason(), reason);

    termios line {};
    QCOMPARE(::tcgetattr(slave.get(), &line), 0);
    QCOMPARE(uint(::cfgetospeed(&line)), speed);
    QCOMPARE(uint(::cfgetispeed(&line)), speed);
    QVERIFY2(
        (line.c_cflag & cflagSet) == cflagSet,
        qPrintable(
            QStringLiteral("c_cflag %1 lacks %2").arg(line.c_cflag, 0, 8).arg(cflagSet, 0, 8)));
    QVERIFY2((line.c_cflag & cflagClear) == 0,
             qPrintable(QStringLiteral("c_cflag %1 has %2")
                            .arg(line.c_cflag, 0, 8)
                            .arg(line.c_cflag & cflagClear, 0, 8)));
    QVERIFY2(
        (line.c_iflag & iflagSet) == iflagSet,
        qPrintable(
            QStringLiteral("c_iflag %1 lacks %2").arg(line.c_iflag, 0, 8).arg(iflagSet, 0, 8)));
    QVERIFY2((line.c_iflag & iflagClear) == 0,
             qPrintable(QStringLiteral("c_iflag %1 has %2")
                            .arg(line.c_iflag, 0, 8)
                            .arg(line.c_iflag & iflagClear, 0, 8)));
    // Raw: no line discipline between the line and the console.
    QCOMPARE(line.c_lflag & (ICANON | ECHO | ISIG), tcflag_t(0));
    QCOMPARE(line.c_oflag & OPOST, tcflag_t(0));

    checkDataFlows(source, pty, sink, summary.toLatin1());
}

void tst_SerialSource::aMegabyteOfOutputArrivesCompleteAndInOrder()
{
    TestPty pty;
    SerialSource source(settingsFor(pty.path()));
    QSignalSpy up(&source, &ConsoleSource::up);
    Sink sink(source);
    source.start();
    QTRY_COMPARE_WITH_TIMEOUT(up.count(), 1, Timeout);

    // Every byte value, as a binary log or a bootloader's download would send. A pty is not
    // held to the baud rate, so this is quick.
    const QByteArray output = pattern(0, 1024 * 1024);
    qsizetype sent = 0;
    QElapsedTimer timer;
    timer.start();
    while (sent < output.size() && timer.elapsed() < 30000) {
        const ssize_t n = ::write(pty.master(), output.constData() + sent,
                                  size_t(std::min<qsizetype>(output.size() - sent, 16 * 1024)));
        if (n > 0)
            sent += n;
        else
            QTest::qWait(1); // the line is full until the source reads
    }
    QCOMPARE(sent, output.size());
    QTRY_COMPARE_WITH_TIMEOUT(sink.bytes.size(), output.size(), 20000);
    QVERIFY2(sink.bytes == output, "the output arrived altered");
    QVERIFY(source.isUp());
}

void tst_SerialSource::inputBacksUpBoundedWhileTheFarEndDoesNotRead()
{
    TestPty pty;
    SerialSource source(settingsFor(pty.path()));
    QSignalSpy up(&source, &ConsoleSource::up);
    QSignalSpy writable(&source, &ConsoleSource::writable);
    source.start();
    QTRY_COMPARE_WITH_TIMEOUT(up.count(), 1, Timeout);

    // Nobody reads the master: the kernel's buffer fills, then the source's bounded queue.
    const qint64 taken = fillInput(source);
    QVERIFY2(taken < 4096 * 4096, "the queue must be bounded");
    QVERIFY2(source.queuedBytes() > 0 && source.queuedBytes() <= SerialSource::WriteQueueLimit,
             qPrintable(QStringLiteral("%1 bytes queued").arg(source.queuedBytes())));
    QCOMPARE(source.write("x"), qsizetype(0));
    QCOMPARE(writable.count(), 0); // never from inside write()

    // The far end reads again: everything taken arrives, in order, and the source says so.
    const QByteArray seen = receive(pty, taken, 20000);
    QCOMPARE(seen.size(), taken);
    QVERIFY2(seen == pattern(0, taken), "the input arrived altered");
    QTRY_VERIFY_WITH_TIMEOUT(writable.count() >= 1, Timeout);
    QCOMPARE(source.queuedBytes(), qsizetype(0));
    QCOMPARE(source.write("more"), qsizetype(4));
    QCOMPARE(receive(pty, 4), QByteArray("more"));
}

void tst_SerialSource::anUnpluggedLineGoesDownAndComesBackThroughItsLink_data()
{
    QTest::addColumn<int>("staleErrno");
    QTest::newRow("reported as a resource error") << EAGAIN;
    QTest::newRow("reported as a read error") << ENOTTY;
}

void tst_SerialSource::anUnpluggedLineGoesDownAndComesBackThroughItsLink()
{
    QFETCH(int, staleErrno);
    // A udev by-id link: it names the adapter, whatever tty it gets. Unplugging removes the
    // link and hangs the tty up; plugging in again makes a new tty and the link once more.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString link = dir.filePath(QStringLiteral("usb-FTDI_FT232R-if00-port0"));
    auto first = std::make_unique<TestPty>();
    TestPty second; // made now, so that it cannot take the first one's number
    QVERIFY(first->isValid() && second.isValid());
    QVERIFY(QFile::link(first->path(), link));

    SerialSource source(settingsFor(QStringLiteral("serial:%1?baud=9600").arg(link)));
    QSignalSpy up(&source, &ConsoleSource::up);
    QSignalSpy down(&source, &ConsoleSource::down);
    Sink sink(source);
    source.start();
    QTRY_COMPARE_WITH_TIMEOUT(up.count(), 1, Timeout);
    QCOMPARE(up.at(0).at(0).toString(), first->path() + QLatin1String(" 9600 8N1"));
    checkDataFlows(source, *first, sink, "before");

    QVERIFY(first->write("last words"));
    QTRY_VERIFY_WITH_TIMEOUT(sink.bytes.endsWith("last words"), Timeout);
    QVERIFY(QFile::remove(link));
    first->hangup();
    // Qt 6.4 reads the hung-up tty's end of file as an error and classifies it by whatever errno
    // was left over: EAGAIN makes a ResourceError, anything else (such as the ENOTTY of its own
    // TIOCGSERIAL probe on a pty) a ReadError, after which its read notifier fires on and on.
    errno = staleErrno;
    QTRY_COMPARE_WITH_TIMEOUT(down.count(), 1, Timeout);
    const QString reason = down.at(0).at(0).toString();
    QCOMPARE(reason, link + QLatin1String(": hung up"));
    QCOMPARE(source.stateReason(), reason);
    QVERIFY(!source.isUp());
    QCOMPARE(source.write("lost"), qsizetype(0));
    QVERIFY(!source.sendBreak());
    // It keeps trying, quietly: no up() for the missing link, no second down().
    QTest::qWait(500);
    QCOMPARE(up.count(), 1);
    QCOMPARE(down.count(), 1);
    QVERIFY2(source.stateReason().contains(QLatin1String("No such file or directory")),
             qPrintable(source.stateReason()));

    // Plugged in again: the link comes back on a new tty, and the source follows it.
    QVERIFY(QFile::link(second.path(), link));
    QTRY_COMPARE_WITH_TIMEOUT(up.count(), 2, Timeout);
    QCOMPARE(up.at(1).at(0).toString(), second.path() + QLatin1String(" 9600 8N1"));
    QVERIFY(source.isUp());
    checkDataFlows(source, second, sink, "after");
    QCOMPARE(down.count(), 1);
}

void tst_SerialSource::breakIsSentOnAnOpenLineOnly()
{
    TestPty pty;
    SerialSource source(settingsFor(pty.path()));
    QVERIFY(source.canBreak());
    QVERIFY2(!source.sendBreak(), "BREAK before the line is open");
    QSignalSpy up(&source, &ConsoleSource::up);
    Sink sink(source);
    source.start();
    QTRY_COMPARE_WITH_TIMEOUT(up.count(), 1, Timeout);

    // A pty has no break_ctl: the kernel accepts TCSBRK and sends nothing, so the far end cannot
    // see the BREAK itself. What this checks is that tcsendbreak() reached a real tty through
    // the port's descriptor (on anything else it fails with ENOTTY) and that the line goes on.
    QVERIFY(source.sendBreak());
    QVERIFY(source.sendBreak());
    QCOMPARE(pty.readAvailable(), QByteArray());
    checkDataFlows(source, pty, sink, "after BREAK");
}

void tst_SerialSource::aBreakBehindQueuedInputIsRefused()
{
    TestPty pty;
    SerialSource source(settingsFor(pty.path()));
    QSignalSpy up(&source, &ConsoleSource::up);
    source.start();
    QTRY_COMPARE_WITH_TIMEOUT(up.count(), 1, Timeout);

    // With input still queued, a BREAK would overtake it, and tcsendbreak() would wait for the
    // kernel's queue to drain, which flow control can hold up for good.
    const qint64 taken = fillInput(source);
    QVERIFY(source.queuedBytes() > 0);
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral("BREAK not sent: \\d+ bytes of input "
                                                           "are still to go out")));
    QVERIFY(!source.sendBreak());

    QCOMPARE(receive(pty, taken, 20000).size(), taken);
    QTRY_COMPARE_WITH_TIMEOUT(source.queuedBytes(), qsizetype(0), Timeout);
    QVERIFY(source.sendBreak());
}

void tst_SerialSource::aMissingDeviceIsRetriedWithoutSpinningUntilItAppears()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("ttyUSB0"));
    SerialSource source(settingsFor(path));
    QSignalSpy up(&source, &ConsoleSource::up);
    QSignalSpy down(&source, &ConsoleSource::down);
    const double before = cpuSeconds();
    source.start();
    QTest::qWait(2000);
    const double used = cpuSeconds() - before;
    QVERIFY2(used < 0.3, qPrintable(QStringLiteral("%1 s of CPU in 2 s").arg(used)));
    QCOMPARE(up.count(), 0);
    QCOMPARE(down.count(), 0); // never up, so never down
    QVERIFY(!source.isUp());
    QCOMPARE(source.stateReason(), path + QLatin1String(": No such file or directory"));
    QCOMPARE(source.write("x"), qsizetype(0));

    // The adapter is plugged in.
    TestPty pty;
    QVERIFY(QFile::link(pty.path(), path));
    QTRY_COMPARE_WITH_TIMEOUT(up.count(), 1, Timeout);
    Sink sink(source);
    checkDataFlows(source, pty, sink, "appeared");
}

void tst_SerialSource::aDeviceLockedByAnotherProgramNamesTheHolder()
{
    TestPty pty;
    // QSerialPort's lock file for /dev/pts/N: LCK..pts_N in the first lock directory it can use.
    QString lockDirectory;
    for (const char *candidate : {"/var/lock", "/etc/locks", "/var/spool/locks", "/var/spool/uucp",
                                  "/tmp", "/var/tmp", "/var/lock/lockdev", "/run/lock"}) {
        const QFileInfo info(QString::fromLatin1(candidate));
        if (info.isDir() && info.isReadable() && info.isWritable()) {
            lockDirectory = info.filePath();
            break;
        }
    }
    if (lockDirectory.isEmpty())
        QSKIP("no lock directory is writable here");
    QString name = pty.path().mid(5);
    name.replace(u'/', u'_');
    // Held as minicom or another QSerialPort would hold it, by a live process (this one).
    QLockFile lock(lockDirectory + QLatin1String("/LCK..") + name);
    QVERIFY2(lock.tryLock(0), qPrintable(lock.fileName()));

    SerialSource source(settingsFor(pty.path()));
    QSignalSpy up(&source, &ConsoleSource::up);
    source.start();
    const QString expected = QStringLiteral("%1: locked by ").arg(pty.path());
    QTRY_VERIFY2_WITH_TIMEOUT(source.stateReason().startsWith(expected),
                              qPrintable(source.stateReason()), Timeout);
    QVERIFY2(source.stateReason().contains(QStringLiteral("(pid %1) through %2")
                                               .arg(QCoreApplication::applicationPid())
                                               .arg(lock.fileName())),
             qPrintable(source.stateReason()));
    QCOMPARE(up.count(), 0);

    // The other program lets go of the line.
    lock.unlock();
    QTRY_COMPARE_WITH_TIMEOUT(up.count(), 1, Timeout);
    QVERIFY(source.isUp());
}

QTEST_GUILESS_MAIN(tst_SerialSource)
#include "tst_serialsource.moc"
