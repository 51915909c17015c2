// The input contract every source keeps (writequeue.h), on real descriptors: a WriteQueue on
// pipes whose capacity the test sets, so partial writes and EAGAIN come where the test expects
// them; the Backpressure rule alone as a table; and an FdChannel on a socketpair whose peer stops
// reading and reads again.

#include "fdchannel.h"
#include "serialsource.h"
#include "streamsocketsource.h"
#include "testpty.h"
#include "writequeue.h"

#include <QSignalSpy>
#include <QTest>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

using namespace CloudConsole;
using namespace CloudConsole::Test;

// One bound and one resume threshold for every source.
static_assert(FdChannel::WriteQueueLimit == WriteQueueLimit);
static_assert(StreamSocketSource::WriteQueueLimit == WriteQueueLimit);
static_assert(SerialSource::WriteQueueLimit == WriteQueueLimit);

class tst_WriteQueue : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void backpressureTakesWhatFitsAndResumesAtHalf_data();
    void backpressureTakesWhatFitsAndResumesAtHalf();
    void aQueueTakesWhatFitsAndNoMore();
    void anEmptyWriteIsNotARefusal();
    void aPipeWithRoomTakesEverythingAtOnce();
    void aFullPipeTakesPartOfTheQueueAndTheRestWaitsInOrder();
    void roomAgainIsSaidOnceWhenTheQueueDrainsToHalf();
    void roomAgainIsNotSaidToAWriterThatWasNeverRefused();
    void aReaderThatIsGoneFailsTheFlushWithItsReason();
    void clearDropsTheBytesAndTheRefusal();
    void aChannelSaysWritableOnceWhenItsPeerReadsAgain();
};

namespace {

struct Pipe
{
    UniqueFd read;
    UniqueFd write;
};

// A pipe with a non-blocking write end that holds exactly one page, so every flush into a
// full queue moves one page and then meets EAGAIN.
Pipe smallPipe()
{
    int fds[2] = {-1, -1};
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
        qFatal("pipe2: %s", std::strerror(errno));
    Pipe pipe {UniqueFd(fds[0]), UniqueFd(fds[1])};
    if (::fcntl(pipe.write.get(), F_SETPIPE_SZ, 4096) < 0)
        qFatal("F_SETPIPE_SZ: %s", std::strerror(errno));
    return pipe;
}

QByteArray readAll(int fd)
{
    QByteArray bytes;
    char buffer[8192];
    ssize_t n = 0;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
        bytes.append(buffer, n);
    return bytes;
}

} // namespace

void tst_WriteQueue::initTestCase()
{
    // As the server does (main.cpp): a write to a reader that is gone fails with EPIPE instead.
    ::signal(SIGPIPE, SIG_IGN);
}

void tst_WriteQueue::backpressureTakesWhatFitsAndResumesAtHalf_data()
{
    QTest::addColumn<qsizetype>("queued"); // before the write
    QTest::addColumn<qsizetype>("offered"); // bytes offered
    QTest::addColumn<qsizetype>("taken");
    QTest::addColumn<qsizetype>("drainedTo"); // the queue when its device reports progress
    QTest::addColumn<bool>("roomAgain");

    const qsizetype limit = 1000;
    QTest::newRow("all fits, nobody waits")
        << qsizetype(0) << qsizetype(400) << qsizetype(400) << qsizetype(400) << false;
    QTest::newRow("exactly to the limit is no refusal")
        << qsizetype(600) << qsizetype(400) << qsizetype(400) << qsizetype(0) << false;
    QTest::newRow("a part is refused, drained to just above half")
        << qsizetype(800) << qsizetype(400) << qsizetype(200) << limit / 2 + 1 << false;
    QTest::newRow("a part is refused, drained to half")
        << qsizetype(800) << qsizetype(400) << qsizetype(200) << limit / 2 << true;
    QTest::newRow("all is refused, drained empty")
        << limit << qsizetype(1) << qsizetype(0) << qsizetype(0) << true;
    QTest::newRow("over the limit already (telnet replies bypass it)")
        << limit + 10 << qsizetype(5) << qsizetype(0) << qsizetype(100) << true;
}

void tst_WriteQueue::backpressureTakesWhatFitsAndResumesAtHalf()
{
    QFETCH(qsizetype, queued);
    QFETCH(qsizetype, offered);
    QFETCH(qsizetype, taken);
    QFETCH(qsizetype, drainedTo);
    QFETCH(bool, roomAgain);

    Backpressure bound(1000);
    QCOMPARE(bound.resumeThreshold(), qsizetype(500));
    QCOMPARE(bound.admit(offered, queued), taken);
    QCOMPARE(bound.hasRefused(), taken < offered);
    QCOMPARE(bound.takeRoomAgain(drainedTo), roomAgain);
    // Said once: the same progress again, or the queue empty, says nothing more.
    QVERIFY(!bound.takeRoomAgain(drainedTo));
    // A refused writer still waiting hears it once the queue drains further.
    QCOMPARE(bound.takeRoomAgain(0), taken < offered && !roomAgain);
}

void tst_WriteQueue::aQueueTakesWhatFitsAndNoMore()
{
    WriteQueue queue(16);
    QCOMPARE(queue.push("0123456789"), qsizetype(10));
    QCOMPARE(queue.push("abcdefghij"), qsizetype(6));
    QCOMPARE(queue.queuedBytes(), qsizetype(16));
    QCOMPARE(queue.freeBytes(), qsizetype(0));
    QCOMPARE(queue.push("x"), qsizetype(0));
    QVERIFY(queue.wantsWritable());

    const Pipe pipe = smallPipe();
    QCOMPARE(queue.flushTo(pipe.write.get()), WriteQueue::Flush::Drained);
    QCOMPARE(readAll(pipe.read.get()), QByteArray("0123456789abcdef"));
}

void tst_WriteQueue::anEmptyWriteIsNotARefusal()
{
    WriteQueue queue(16);
    QCOMPARE(queue.push(QByteArrayView()), qsizetype(0));
    QVERIFY(!queue.wantsWritable());
    QVERIFY(!queue.takeRoomAgain());
}

void tst_WriteQueue::aPipeWithRoomTakesEverythingAtOnce()
{
    const Pipe pipe = smallPipe();
    WriteQueue queue;
    QCOMPARE(queue.push("login: root\r"), qsizetype(12));
    QCOMPARE(queue.flushTo(pipe.write.get()), WriteQueue::Flush::Drained);
    QCOMPARE(queue.queuedBytes(), qsizetype(0));
    QVERIFY(!queue.wantsWritable());
    QCOMPARE(readAll(pipe.read.get()), QByteArray("login: root\r"));
}

void tst_WriteQueue::aFullPipeTakesPartOfTheQueueAndTheRestWaitsInOrder()
{
    const Pipe pipe = smallPipe();
    WriteQueue queue;
    QCOMPARE(queue.push(pattern(0, WriteQueueLimit)), WriteQueueLimit);

    // The pipe takes one page of the queue (a partial write), then says EAGAIN.
    QCOMPARE(queue.flushTo(pipe.write.get()), WriteQueue::Flush::Blocked);
    const qsizetype first = WriteQueueLimit - queue.queuedBytes();
    QVERIFY2(first > 0 && first < WriteQueueLimit,
             qPrintable(QStringLiteral("the pipe took %1 bytes").arg(first)));
    QVERIFY(queue.wantsWritable());
    // Blocked again at once: nothing was read.
    QCOMPARE(queue.flushTo(pipe.write.get()), WriteQueue::Flush::Blocked);
    QCOMPARE(queue.queuedBytes(), WriteQueueLimit - first);

    // The reader takes a page at a time and each flush moves the next part; input taken
    // meanwhile, up to the bound, goes behind what waits. Three queues' worth, in order.
    qint64 pushed = WriteQueueLimit;
    QByteArray seen;
    for (int round = 0; round < 10000 && (seen.size() < pushed || pushed < 3 * WriteQueueLimit);
         ++round) {
        seen += readAll(pipe.read.get());
        if (pushed < 3 * WriteQueueLimit && round % 3 == 0) {
            const qsizetype room = queue.freeBytes();
            QCOMPARE(queue.push(pattern(pushed, room)), room);
            pushed += room;
        }
        const WriteQueue::Flush result = queue.flushTo(pipe.write.get());
        QVERIFY(result != WriteQueue::Flush::Failed);
        QCOMPARE(result == WriteQueue::Flush::Drained, queue.queuedBytes() == 0);
        QVERIFY(queue.queuedBytes() <= WriteQueueLimit);
    }
    QCOMPARE(qint64(seen.size()), pushed);
    QVERIFY2(seen == pattern(0, pushed), "the bytes arrived altered");
}

void tst_WriteQueue::roomAgainIsSaidOnceWhenTheQueueDrainsToHalf()
{
    const Pipe pipe = smallPipe();
    WriteQueue queue;
    qint64 offset = 0;
    offset += queue.push(pattern(offset, WriteQueueLimit + 100)); // the last 100 are refused
    QCOMPARE(offset, qint64(WriteQueueLimit));
    QVERIFY(queue.wantsWritable());

    int said = 0;
    QByteArray seen;
    while (queue.queuedBytes() > 0) {
        QVERIFY(queue.flushTo(pipe.write.get()) != WriteQueue::Flush::Failed);
        const bool roomAgain = queue.takeRoomAgain();
        if (roomAgain) {
            ++said;
            QVERIFY2(queue.queuedBytes() <= WriteQueueLimit / 2,
                     qPrintable(QStringLiteral("room again with %1 bytes still queued")
                                    .arg(queue.queuedBytes())));
        } else if (said == 0) {
            QVERIFY2(queue.queuedBytes() > WriteQueueLimit / 2,
                     qPrintable(QStringLiteral("no room again with only %1 bytes queued")
                                    .arg(queue.queuedBytes())));
        }
        seen += readAll(pipe.read.get());
    }
    QCOMPARE(said, 1);
    QVERIFY(!queue.wantsWritable());
    QCOMPARE(seen, pattern(0, WriteQueueLimit));
}

void tst_WriteQueue::roomAgainIsNotSaidToAWriterThatWasNeverRefused()
{
    const Pipe pipe = smallPipe();
    WriteQueue queue;
    QCOMPARE(queue.push(pattern(0, WriteQueueLimit)), WriteQueueLimit);
    while (queue.queuedBytes() > 0) {
        QVERIFY(queue.flushTo(pipe.write.get()) != WriteQueue::Flush::Failed);
        QVERIFY(!queue.takeRoomAgain());
        readAll(pipe.read.get());
    }
}

void tst_WriteQueue::aReaderThatIsGoneFailsTheFlushWithItsReason()
{
    Pipe pipe = smallPipe();
    pipe.read.reset();
    WriteQueue queue;
    QCOMPARE(queue.push("lost"), qsizetype(4));
    QCOMPARE(queue.flushTo(pipe.write.get()), WriteQueue::Flush::Failed);
    QCOMPARE(queue.error(), QString::fromLocal8Bit(std::strerror(EPIPE)));
}

void tst_WriteQueue::clearDropsTheBytesAndTheRefusal()
{
    WriteQueue queue(8);
    QCOMPARE(queue.push("0123456789"), qsizetype(8));
    queue.clear();
    QCOMPARE(queue.queuedBytes(), qsizetype(0));
    QVERIFY(!queue.wantsWritable());
    QVERIFY(!queue.takeRoomAgain());
    QCOMPARE(queue.push("ab"), qsizetype(2));
}

void tst_WriteQueue::aChannelSaysWritableOnceWhenItsPeerReadsAgain()
{
    int fds[2] = {-1, -1};
    QCOMPARE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    UniqueFd peer(fds[1]);
    FdChannel channel {UniqueFd(fds[0])};
    QSignalSpy writable(&channel, &FdChannel::writable);
    QSignalSpy hangup(&channel, &FdChannel::hangup);

    // The peer does not read: the kernel's buffers fill, then the channel's bounded queue.
    constexpr qsizetype Block = 4096;
    qint64 taken = 0;
    for (int i = 0; i < 100000; ++i) {
        const qsizetype n = channel.write(pattern(taken, Block));
        taken += n;
        QVERIFY(channel.queuedBytes() <= FdChannel::WriteQueueLimit);
        if (n < Block)
            break;
        QCoreApplication::processEvents();
    }
    QVERIFY2(channel.queuedBytes() > FdChannel::WriteQueueLimit / 2,
             qPrintable(QStringLiteral("%1 bytes queued").arg(channel.queuedBytes())));
    QCOMPARE(channel.write("x"), qsizetype(0));
    QCOMPARE(writable.count(), 0); // never from inside write()

    // The peer reads everything: the channel says so once, and all arrived in order.
    QByteArray seen;
    QTRY_VERIFY_WITH_TIMEOUT((seen += readAll(peer.get())).size() == taken, 10000);
    QVERIFY2(seen == pattern(0, taken), "the input arrived altered");
    QTRY_COMPARE(writable.count(), 1);
    QTest::qWait(100);
    QCOMPARE(writable.count(), 1);
    QCOMPARE(hangup.count(), 0);
    QCOMPARE(channel.write("more"), qsizetype(4));
    QByteArray more;
    QTRY_COMPARE((more += readAll(peer.get())), QByteArray("more"));
}

QTEST_GUILESS_MAIN(tst_WriteQueue)
#include "tst_writequeue.moc"
