// Working together on one console, through the whole server with real clients: presence (two
// users see each other join and leave, with names, roles, kinds and typing), the keyboard of an
// exclusive console (a viewer never types, the first operator to type takes it, another takes
// it and the first is told and refused, give, release, idle and leaving), and pastes fed at the
// console's pace into a stand-in guest (uartsink) that drops what comes too fast: paced, nothing
// is lost; unpaced, bytes are (so the test can fail); echo mode sends a line only after the
// previous one came back; cancel; 1 MiB; paste-max; keystrokes wait behind a paste.

#include "execsource.h"
#include "secrethash.h"
#include "testclient.h"
#include "testserver.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace CloudConsole;
using namespace CloudConsole::Test;
using namespace std::chrono_literals;

class tst_Sharing : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void twoUsersSeeEachOtherJoinAndLeave();
    void anExclusiveConsoleHasOneTypistAtATime();
    void anIdleHolderLosesTheKeyboard();
    void aPacedPasteReachesASlowGuestWhole();
    void anUnpacedPasteOverrunsTheSameGuest();
    void echoModeSendsALineOnlyAfterThePreviousCameBack();
    void aPasteCanBeCancelled();
    void aCancelledBracketedPasteIsClosed();
    void aMegabytePasteArrivesWholeAndALargerOneIsRefused();
    void keystrokesWaitBehindAPaste();
    void aPieceWhosePasteIsNotRunningIsRefused();
    void aPasteWhoseRestNeverComesFails();
    void takingTheKeyboardEndsTheOldHoldersPaste();
    void theOldHoldersWaitingKeystrokesAreDropped();
    void keyboardRequestsAreRateLimited();

private:
    AccessSettings m_access;
    QString m_aliceToken;
    QString m_carolToken;
    QString m_bobToken;
};

namespace {

template<typename Event> std::vector<Event> eventsOf(const TestClient &client)
{
    std::vector<Event> events;
    for (const Protocol::ServerMessage &message : client.messages) {
        if (const auto *event = std::get_if<Event>(&message))
            events.push_back(*event);
    }
    return events;
}

std::optional<Protocol::ClientsEvent> lastPresence(const TestClient &client)
{
    const auto all = eventsOf<Protocol::ClientsEvent>(client);
    return all.empty() ? std::nullopt : std::optional(all.back());
}

QStringList namesIn(const TestClient &client)
{
    QStringList names;
    if (const auto presence = lastPresence(client)) {
        for (const Protocol::ClientInfo &info : presence->clients)
            names += info.name;
    }
    return names;
}

std::vector<Protocol::Error> errorsOf(const TestClient &client)
{
    return eventsOf<Protocol::Error>(client);
}

QByteArray fileContents(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// Text of `size` bytes in lines, as a pasted script is.
QByteArray pasteText(qsizetype size)
{
    QByteArray text;
    for (int line = 0; text.size() < size; ++line)
        text += "echo line " + QByteArray::number(line) + " of a pasted script with some words\r";
    text.truncate(size - 1);
    return text + '\r';
}

// The pieces of a paste as the page sends them: at most 16 KiB each.
void sendPaste(TestClient &client, qint64 id, const QByteArray &text)
{
    for (qsizetype at = 0; at < text.size(); at += 16 * 1024)
        client.send(Protocol::Paste {id, text.size(), at, text.mid(at, 16 * 1024)});
}

struct SharingServer
{
    SharingServer(const QString &command, SharingSettings sharing, FrontendSettings frontend = {})
    {
        ConsoleSettings settings = plainConsoleSettings(QStringLiteral("vm1"));
        settings.sharing = sharing;
        auto console = std::make_unique<Console>(settings, std::make_unique<ExecSource>(command));
        server.console = console.get();
        server.consoles.add(std::move(console));
        server.start(std::move(frontend));
    }
    QNetworkRequest as(const QString &token, const QString &query = QStringLiteral("client=page"))
    {
        QNetworkRequest request
            = server.request(QStringLiteral("/c/vm1/ws"),
                             token.isEmpty() ? QByteArray() : "Bearer " + token.toLatin1());
        QUrl url = request.url();
        url.setQuery(query);
        request.setUrl(url);
        return request;
    }
    TestServer server;
};

SharingSettings exclusive(std::chrono::seconds idle = 600s)
{
    SharingSettings sharing;
    sharing.input = SharingSettings::Input::Exclusive;
    sharing.controlIdle = idle;
    return sharing;
}

SharingSettings pasting(int rate,
                        SharingSettings::PasteMode mode = SharingSettings::PasteMode::Paced)
{
    SharingSettings sharing;
    sharing.pasteRate = rate;
    sharing.pasteMode = mode;
    return sharing;
}

QString uartsink(const QStringList &arguments)
{
    return QStringLiteral("exec '%1' %2").arg(QStringLiteral(UARTSINK_PATH), arguments.join(u' '));
}

} // namespace

void tst_Sharing::initTestCase()
{
    m_aliceToken = SecretHash::newToken();
    m_carolToken = SecretHash::newToken();
    m_bobToken = SecretHash::newToken();
    m_access.credentials = {
        {Credential::Kind::Token,
         QStringLiteral("alice"),
         SecretHash::hashToken(m_aliceToken),
         Role::Operator,
         {}},
        {Credential::Kind::Token,
         QStringLiteral("carol"),
         SecretHash::hashToken(m_carolToken),
         Role::Operator,
         {}},
        {Credential::Kind::Token,
         QStringLiteral("bob"),
         SecretHash::hashToken(m_bobToken),
         Role::Viewer,
         {}},
    };
}

void tst_Sharing::twoUsersSeeEachOtherJoinAndLeave()
{
    FrontendSettings frontend;
    frontend.access = m_access;
    SharingServer s(QStringLiteral("exec cat"), SharingSettings(), frontend);
    QTRY_VERIFY(s.server.console->source().isUp());
    TestClient alice(s.as(m_aliceToken));
    QTRY_COMPARE(namesIn(alice), QStringList {"alice"});
    const Protocol::ClientsEvent first = *lastPresence(alice);
    QCOMPARE(first.input, QStringLiteral("shared"));
    QCOMPARE(first.holder, std::nullopt);
    QCOMPARE(first.clients[0].id, first.you);
    QCOMPARE(first.clients[0].role, QStringLiteral("operator"));
    QCOMPARE(first.clients[0].kind, QStringLiteral("page"));
    QVERIFY(first.clients[0].address.startsWith(QLatin1String("127.0.0.1:")));
    QVERIFY(first.clients[0].typed.isEmpty());

    {
        TestClient bob(s.as(m_bobToken, QStringLiteral("client=viewer")));
        QTRY_COMPARE(namesIn(alice), (QStringList {"alice", "bob"}));
        QTRY_COMPARE(namesIn(bob), (QStringList {"alice", "bob"}));
        const Protocol::ClientsEvent seen = *lastPresence(bob);
        QCOMPARE(seen.you, seen.clients[1].id);
        QVERIFY(seen.clients[0].id != seen.clients[1].id);
        QCOMPARE(seen.clients[1].role, QStringLiteral("viewer"));
        QCOMPARE(seen.clients[1].kind, QStringLiteral("viewer"));
        QCOMPARE(QDateTime::fromString(seen.clients[1].joined, Qt::ISODateWithMs).timeSpec(),
                 Qt::UTC);

        // Alice types: everyone is told when, once the second has passed.
        alice.socket.sendBinaryMessage("hello\r");
        QTRY_VERIFY(!lastPresence(bob)->clients[0].typed.isEmpty());
        QVERIFY(lastPresence(bob)->clients[1].typed.isEmpty());
    }
    QTRY_COMPARE(namesIn(alice), QStringList {"alice"});

    // Without ?client= a script is a script, and a stranger without access control "anonymous".
    TestClient script(s.as(m_aliceToken, QString()));
    QTRY_VERIFY(lastPresence(script).has_value());
    QCOMPARE(lastPresence(script)->clients.back().kind, QStringLiteral("script"));
    // A bad client word is refused before it becomes a client.
    TestClient bad(s.as(m_aliceToken, QStringLiteral("client=not%20a%20word")));
    QTRY_VERIFY(bad.closed || bad.socket.error() != QAbstractSocket::UnknownSocketError);
    QVERIFY(!bad.hello.has_value());
}

void tst_Sharing::anExclusiveConsoleHasOneTypistAtATime()
{
    QTemporaryDir dir;
    const QString typed = dir.filePath(QStringLiteral("typed"));
    FrontendSettings frontend;
    frontend.access = m_access;
    SharingServer s(QStringLiteral("stty raw -echo; echo raw now; exec cat > '%1'").arg(typed),
                    exclusive(), frontend);
    QTRY_VERIFY(s.server.console->source().isUp());
    TestClient alice(s.as(m_aliceToken));
    TestClient carol(s.as(m_carolToken));
    TestClient bob(s.as(m_bobToken));
    QTRY_VERIFY(lastPresence(bob) && lastPresence(bob)->clients.size() == 3);
    QTRY_VERIFY(alice.received.contains("raw now"));
    QCOMPARE(lastPresence(bob)->input, QStringLiteral("exclusive"));
    const qint64 aliceId = lastPresence(alice)->you;
    const qint64 carolId = lastPresence(carol)->you;

    // A viewer never types, nor takes the keyboard.
    bob.socket.sendBinaryMessage("bob");
    bob.send(Protocol::Control {Protocol::Control::Action::Take, 0});
    QTRY_COMPARE(errorsOf(bob).size(), size_t(2));
    QCOMPARE(errorsOf(bob)[0].code, QString::fromLatin1(Protocol::ErrorCode::ReadOnly));
    QCOMPARE(errorsOf(bob)[1].code, QString::fromLatin1(Protocol::ErrorCode::NotAllowed));

    // Nobody holds it: the first operator to type takes it, and everyone is told.
    alice.socket.sendBinaryMessage("a1");
    QTRY_COMPARE(eventsOf<Protocol::ControlEvent>(bob).size(), size_t(1));
    QCOMPARE(eventsOf<Protocol::ControlEvent>(bob)[0].holder, aliceId);
    QCOMPARE(eventsOf<Protocol::ControlEvent>(bob)[0].reason, QStringLiteral("taken"));
    QTRY_COMPARE(lastPresence(carol)->holder, aliceId);
    // Carol may not type, and is told who has it.
    carol.socket.sendBinaryMessage("c1");
    QTRY_COMPARE(errorsOf(carol).size(), size_t(1));
    QCOMPARE(errorsOf(carol)[0].code, QString::fromLatin1(Protocol::ErrorCode::ReadOnly));
    QVERIFY2(errorsOf(carol)[0].message.contains(QLatin1String("alice")),
             qPrintable(errorsOf(carol)[0].message));
    // She takes it: Alice is told, and refused from now on.
    carol.send(Protocol::Control {Protocol::Control::Action::Take, 0});
    QTRY_COMPARE(eventsOf<Protocol::ControlEvent>(alice).size(), size_t(2));
    QCOMPARE(eventsOf<Protocol::ControlEvent>(alice)[1].holder, carolId);
    QCOMPARE(eventsOf<Protocol::ControlEvent>(alice)[1].by, carolId);
    carol.socket.sendBinaryMessage("c2");
    alice.socket.sendBinaryMessage("a2");
    QTRY_COMPARE(errorsOf(alice).size(), size_t(1));
    // She gives it back; Alice types again; then Alice releases it.
    carol.send(Protocol::Control {Protocol::Control::Action::Give, aliceId});
    QTRY_COMPARE(lastPresence(alice)->holder, aliceId);
    QCOMPARE(eventsOf<Protocol::ControlEvent>(alice).back().reason, QStringLiteral("given"));
    alice.socket.sendBinaryMessage("a3");
    QTRY_COMPARE(fileContents(typed), QByteArray("a1c2a3"));
    // Giving it to a viewer, or to nobody attached, is refused.
    alice.send(Protocol::Control {Protocol::Control::Action::Give, lastPresence(bob)->you});
    alice.send(Protocol::Control {Protocol::Control::Action::Give, 9999});
    QTRY_COMPARE(errorsOf(alice).size(), size_t(3));
    QCOMPARE(errorsOf(alice)[2].code, QString::fromLatin1(Protocol::ErrorCode::NotAllowed));
    alice.send(Protocol::Control {Protocol::Control::Action::Release, 0});
    QTRY_COMPARE(lastPresence(bob)->holder, std::nullopt);
    // Carol takes it and leaves: nobody has it, and everyone is told why.
    carol.send(Protocol::Control {Protocol::Control::Action::Take, 0});
    QTRY_COMPARE(lastPresence(bob)->holder, carolId);
    carol.socket.close();
    QTRY_COMPARE(eventsOf<Protocol::ControlEvent>(bob).back().reason, QStringLiteral("left"));
    QCOMPARE(eventsOf<Protocol::ControlEvent>(bob).back().holder, std::nullopt);
    // The console's events keep the story.
    QStringList reasons;
    for (const ConsoleEvent &event : s.server.console->events().events()) {
        if (event.type == QLatin1String("control"))
            reasons += event.detail.value(QLatin1String("reason")).toString();
    }
    QCOMPARE(reasons, (QStringList {"taken", "taken", "given", "released", "taken", "left"}));
}

void tst_Sharing::anIdleHolderLosesTheKeyboard()
{
    SharingServer s(QStringLiteral("exec cat > /dev/null"), exclusive(1s));
    QTRY_VERIFY(s.server.console->source().isUp());
    TestClient one(s.as(QString()));
    TestClient two(s.as(QString()));
    QTRY_VERIFY(lastPresence(two) && lastPresence(two)->clients.size() == 2);
    one.socket.sendBinaryMessage("x");
    QTRY_COMPARE(lastPresence(two)->holder, lastPresence(one)->you);
    QTRY_COMPARE_WITH_TIMEOUT(eventsOf<Protocol::ControlEvent>(two).back().reason,
                              QStringLiteral("idle"), 5000);
    QCOMPARE(eventsOf<Protocol::ControlEvent>(two).back().by, std::nullopt);
    // Free again: the other operator's keystroke takes it.
    two.socket.sendBinaryMessage("y");
    QTRY_COMPARE(lastPresence(one)->holder, lastPresence(two)->you);
}

void tst_Sharing::aPacedPasteReachesASlowGuestWhole()
{
    QTemporaryDir dir;
    const QString kept = dir.filePath(QStringLiteral("kept"));
    // 2,000 bytes a second and a FIFO of 64: twice the paste's pace, no room for a burst.
    SharingServer s(
        uartsink({QStringLiteral("fifo"), kept, QStringLiteral("64"), QStringLiteral("2000")}),
        pasting(1000));
    TestClient client(s.as(QString()));
    QTRY_VERIFY(client.received.contains("uartsink ready"));
    const QByteArray text = pasteText(20 * 1024);
    sendPaste(client, 1, text);
    QTRY_VERIFY_WITH_TIMEOUT(!eventsOf<Protocol::PasteEvent>(client).empty()
                                 && eventsOf<Protocol::PasteEvent>(client).back().state
                                     == QLatin1String("done"),
                             60000);
    QTRY_COMPARE(fileContents(kept).size(), text.size());
    QCOMPARE(fileContents(kept), text);
    // Progress came along the way, about once a second.
    const auto progress = eventsOf<Protocol::PasteEvent>(client);
    QVERIFY2(progress.size() >= 10, qPrintable(QString::number(progress.size())));
    QCOMPARE(progress.front().state, QStringLiteral("running"));
    QCOMPARE(progress.back().sent, text.size());
    QCOMPARE(progress.back().total, text.size());
}

void tst_Sharing::anUnpacedPasteOverrunsTheSameGuest()
{
    QTemporaryDir dir;
    const QString kept = dir.filePath(QStringLiteral("kept"));
    SharingServer s(
        uartsink({QStringLiteral("fifo"), kept, QStringLiteral("64"), QStringLiteral("2000")}),
        pasting(0));
    TestClient client(s.as(QString()));
    QTRY_VERIFY(client.received.contains("uartsink ready"));
    const QByteArray text = pasteText(20 * 1024);
    sendPaste(client, 1, text);
    QTRY_VERIFY(!eventsOf<Protocol::PasteEvent>(client).empty()
                && eventsOf<Protocol::PasteEvent>(client).back().state == QLatin1String("done"));
    // What the guest kept has reached the file once it stops growing.
    qsizetype kept0 = -1;
    QTRY_VERIFY_WITH_TIMEOUT((std::exchange(kept0, fileContents(kept).size()) == kept0
                              && (QTest::qWait(300), fileContents(kept).size() == kept0)),
                             10000);
    qInfo("the guest kept %lld of %lld bytes of an unpaced paste",
          qint64(fileContents(kept).size()), qint64(text.size()));
    QVERIFY(fileContents(kept).size() < text.size());
}

void tst_Sharing::echoModeSendsALineOnlyAfterThePreviousCameBack()
{
    QTemporaryDir dir;
    const QString seen = dir.filePath(QStringLiteral("seen"));
    const QByteArray text = "one\rtwo\rthree\rfour\r";
    for (const auto mode : {SharingSettings::PasteMode::Echo, SharingSettings::PasteMode::Paced}) {
        SharingServer s(uartsink({QStringLiteral("lines"), seen, QStringLiteral("100")}),
                        pasting(0, mode));
        TestClient client(s.as(QString()));
        QTRY_VERIFY(client.received.contains("uartsink ready"));
        QElapsedTimer took;
        took.start();
        sendPaste(client, 1, text);
        QTRY_VERIFY_WITH_TIMEOUT(client.received.contains("four\r\n"), 10000);
        // Each line went when its echo came (after the guest's 100 ms), not when EchoTimeout ran
        // out: three timeouts would take 6 s.
        if (mode == SharingSettings::PasteMode::Echo)
            QVERIFY2(took.elapsed() < SharingSettings::EchoTimeout.count(),
                     qPrintable(QString::number(took.elapsed())));
        const QByteArray log = fileContents(seen);
        if (mode == SharingSettings::PasteMode::Echo) {
            // Each line was alone when the guest read it.
            QCOMPARE(log,
                     QByteArray("one waiting=0\ntwo waiting=0\nthree waiting=0\nfour "
                                "waiting=0\n"));
        } else {
            // Unpaced, the rest of the paste was already waiting behind the first line.
            const QByteArray behind = QByteArray::number(text.size() - qsizetype(strlen("one\r")));
            QVERIFY2(log.startsWith("one waiting=" + behind + "\n"), log.constData());
        }
        QVERIFY(client.received.contains("one\r\ntwo\r\nthree\r\nfour\r\n"));
    }
}

void tst_Sharing::aPasteCanBeCancelled()
{
    QTemporaryDir dir;
    const QString kept = dir.filePath(QStringLiteral("kept"));
    SharingServer s(QStringLiteral("stty raw -echo; echo raw now; exec cat > '%1'").arg(kept),
                    pasting(2000));
    TestClient sender(s.as(QString()));
    TestClient other(s.as(QString()));
    QTRY_VERIFY(lastPresence(other) && lastPresence(other)->clients.size() == 2);
    QTRY_VERIFY(other.received.contains("raw now"));
    const QByteArray text = pasteText(20 * 1024);
    sendPaste(sender, 7, text);
    QTRY_VERIFY(fileContents(kept).size() > 1000);
    // Nobody else starts a paste meanwhile; but another operator, whose keystrokes wait behind
    // it, may end it.
    other.send(Protocol::Paste {1, 3, 0, "abc"});
    QTRY_COMPARE(errorsOf(other).size(), size_t(1));
    QCOMPARE(errorsOf(other)[0].code, QString::fromLatin1(Protocol::ErrorCode::PasteRefused));
    other.send(Protocol::PasteCancel {});
    QTRY_VERIFY(eventsOf<Protocol::PasteEvent>(sender).back().state == QLatin1String("cancelled"));
    const Protocol::PasteEvent end = eventsOf<Protocol::PasteEvent>(sender).back();
    QCOMPARE(end.id, 7);
    QCOMPARE(end.by, lastPresence(sender)->you);
    QVERIFY(end.sent > 1000 && end.sent < text.size());
    QVERIFY2(end.message.contains(
                 QStringLiteral("cancelled by client %1").arg(lastPresence(other)->you)),
             qPrintable(end.message));
    QTest::qWait(300);
    QCOMPARE(fileContents(kept).size(), end.sent);
    QCOMPARE(fileContents(kept), text.first(end.sent));
}

void tst_Sharing::aCancelledBracketedPasteIsClosed()
{
    QTemporaryDir dir;
    const QString kept = dir.filePath(QStringLiteral("kept"));
    SharingServer s(QStringLiteral("stty raw -echo; echo raw now; exec cat > '%1'").arg(kept),
                    pasting(2000));
    TestClient sender(s.as(QString()));
    QTRY_VERIFY(sender.hello.has_value());
    QTRY_VERIFY(sender.received.contains("raw now"));
    const QByteArray text = "\x1b[200~" + pasteText(8 * 1024) + "\x1b[201~";
    sendPaste(sender, 1, text);
    QTRY_VERIFY(fileContents(kept).size() > 500);
    sender.send(Protocol::PasteCancel {});
    QTRY_VERIFY(eventsOf<Protocol::PasteEvent>(sender).back().state == QLatin1String("cancelled"));
    const qint64 sent = eventsOf<Protocol::PasteEvent>(sender).back().sent;
    QTRY_COMPARE(fileContents(kept).right(6), QByteArray("\x1b[201~"));
    QTest::qWait(200);
    QCOMPARE(fileContents(kept).toPercentEncoding().right(80),
             (text.first(sent) + "\x1b[201~").toPercentEncoding().right(80));
    QCOMPARE(fileContents(kept), text.first(sent) + "\x1b[201~");
}

void tst_Sharing::aMegabytePasteArrivesWholeAndALargerOneIsRefused()
{
    QTemporaryDir dir;
    const QString kept = dir.filePath(QStringLiteral("kept"));
    // stty raw: the pty must not cook the paste's CRs.
    SharingServer s(QStringLiteral("stty raw -echo; echo raw now; exec cat > '%1'").arg(kept),
                    pasting(0));
    TestClient client(s.as(QString()));
    QTRY_VERIFY(client.hello.has_value());
    QTRY_VERIFY(client.received.contains("raw now"));
    const QByteArray text = pasteText(1024 * 1024);
    sendPaste(client, 1, text);
    QTRY_VERIFY_WITH_TIMEOUT(!eventsOf<Protocol::PasteEvent>(client).empty()
                                 && eventsOf<Protocol::PasteEvent>(client).back().state
                                     == QLatin1String("done"),
                             30000);
    QTRY_COMPARE(fileContents(kept).size(), text.size());
    QCOMPARE(fileContents(kept), text);
    // One byte over paste-max (1 MiB by default) is refused, and says why.
    client.send(Protocol::Paste {2, 1024 * 1024 + 1, 0, "x"});
    QTRY_COMPARE(errorsOf(client).size(), size_t(1));
    QCOMPARE(errorsOf(client)[0].code, QString::fromLatin1(Protocol::ErrorCode::PasteRefused));
    QVERIFY(errorsOf(client)[0].message.contains(QLatin1String("paste-max")));
}

void tst_Sharing::keystrokesWaitBehindAPaste()
{
    QTemporaryDir dir;
    const QString kept = dir.filePath(QStringLiteral("kept"));
    SharingServer s(QStringLiteral("stty raw -echo; echo raw now; exec cat > '%1'").arg(kept),
                    pasting(2000));
    TestClient paster(s.as(QString()));
    TestClient typist(s.as(QString()));
    QTRY_VERIFY(typist.hello.has_value() && paster.received.contains("raw now"));
    const QByteArray text = pasteText(4 * 1024);
    sendPaste(paster, 1, text);
    QTRY_VERIFY(fileContents(kept).size() > 100);
    typist.socket.sendBinaryMessage("TYPED");
    paster.socket.sendBinaryMessage("MORE");
    QTRY_VERIFY_WITH_TIMEOUT(fileContents(kept).size() == text.size() + 9, 10000);
    const QByteArray all = fileContents(kept);
    QCOMPARE(all.first(text.size()), text);
    QVERIFY2(all.endsWith("TYPEDMORE") || all.endsWith("MORETYPED"), all.right(20).constData());
}

void tst_Sharing::aPieceWhosePasteIsNotRunningIsRefused()
{
    QTemporaryDir dir;
    const QString kept = dir.filePath(QStringLiteral("kept"));
    SharingServer s(QStringLiteral("stty raw -echo; echo raw now; exec cat > '%1'").arg(kept),
                    pasting(0));
    TestClient client(s.as(QString()));
    QTRY_VERIFY(client.received.contains("raw now"));
    // The second piece of a paste whose first was never sent (or was refused): not a paste.
    client.send(Protocol::Paste {5, 10, 5, "world"});
    // A piece that does not follow the running paste's bytes.
    client.send(Protocol::Paste {6, 10, 0, "hello"});
    client.send(Protocol::Paste {6, 10, 6, "orld"});
    QTRY_COMPARE(errorsOf(client).size(), size_t(2));
    QVERIFY2(errorsOf(client)[0].message.contains(QLatin1String("not running")),
             qPrintable(errorsOf(client)[0].message));
    QVERIFY2(errorsOf(client)[1].message.contains(QLatin1String("does not follow")),
             qPrintable(errorsOf(client)[1].message));
    client.send(Protocol::Paste {6, 10, 5, "world"});
    QTRY_COMPARE(fileContents(kept), QByteArray("helloworld"));
    QCOMPARE(errorsOf(client).size(), size_t(2));
}

void tst_Sharing::aPasteWhoseRestNeverComesFails()
{
    QTemporaryDir dir;
    const QString kept = dir.filePath(QStringLiteral("kept"));
    SharingServer s(QStringLiteral("stty raw -echo; echo raw now; exec cat > '%1'").arg(kept),
                    pasting(0));
    TestClient paster(s.as(QString()));
    TestClient typist(s.as(QString()));
    QTRY_VERIFY(paster.received.contains("raw now") && typist.hello.has_value());
    paster.send(Protocol::Paste {1, 100, 0, "first half "});
    QTRY_COMPARE(fileContents(kept), QByteArray("first half "));
    typist.socket.sendBinaryMessage("TYPED");
    // Nothing more comes: the paste fails after PieceTimeout, and the keystrokes go.
    QTRY_VERIFY_WITH_TIMEOUT(!eventsOf<Protocol::PasteEvent>(typist).empty()
                                 && eventsOf<Protocol::PasteEvent>(typist).back().state
                                     == QLatin1String("failed"),
                             int(PasteFeeder::PieceTimeout.count()) + 5000);
    QVERIFY(eventsOf<Protocol::PasteEvent>(typist).back().message.contains(
        QLatin1String("never came")));
    QTRY_COMPARE(fileContents(kept), QByteArray("first half TYPED"));
}

void tst_Sharing::takingTheKeyboardEndsTheOldHoldersPaste()
{
    QTemporaryDir dir;
    const QString kept = dir.filePath(QStringLiteral("kept"));
    SharingSettings sharing = exclusive();
    sharing.pasteRate = 2000;
    SharingServer s(QStringLiteral("stty raw -echo; echo raw now; exec cat > '%1'").arg(kept),
                    sharing);
    TestClient holder(s.as(QString()));
    TestClient taker(s.as(QString()));
    QTRY_VERIFY(holder.received.contains("raw now") && taker.hello.has_value());
    const QByteArray text = pasteText(20 * 1024);
    sendPaste(holder, 1, text);
    QTRY_VERIFY(fileContents(kept).size() > 500);
    QCOMPARE(lastPresence(taker)->holder, lastPresence(holder)->you);
    // Another operator takes the keyboard: the paste ends, and what they type goes at once.
    taker.send(Protocol::Control {Protocol::Control::Action::Take, 0});
    QTRY_VERIFY(eventsOf<Protocol::PasteEvent>(taker).back().state == QLatin1String("cancelled"));
    const qint64 sent = eventsOf<Protocol::PasteEvent>(taker).back().sent;
    QVERIFY(sent < text.size());
    taker.socket.sendBinaryMessage("MINE");
    QTRY_COMPARE(fileContents(kept), text.first(sent) + "MINE");
}

void tst_Sharing::theOldHoldersWaitingKeystrokesAreDropped()
{
    QTemporaryDir dir;
    const QString kept = dir.filePath(QStringLiteral("kept"));
    SharingSettings sharing = exclusive();
    sharing.pasteRate = 2000;
    SharingServer s(QStringLiteral("stty raw -echo; echo raw now; exec cat > '%1'").arg(kept),
                    sharing);
    TestClient holder(s.as(QString()));
    TestClient taker(s.as(QString()));
    QTRY_VERIFY(holder.received.contains("raw now") && taker.hello.has_value());
    const QByteArray text = pasteText(20 * 1024);
    sendPaste(holder, 1, text);
    QTRY_VERIFY(fileContents(kept).size() > 500);
    // The holder types while the paste runs: the keystrokes wait behind it.
    holder.socket.sendBinaryMessage("OLD");
    QTest::qWait(100);
    // Another operator takes the keyboard: the paste ends, the waiting keystrokes are dropped
    // (with an error to their sender), and only the new holder's typing follows.
    taker.send(Protocol::Control {Protocol::Control::Action::Take, 0});
    QTRY_VERIFY(eventsOf<Protocol::PasteEvent>(taker).back().state == QLatin1String("cancelled"));
    const qint64 sent = eventsOf<Protocol::PasteEvent>(taker).back().sent;
    taker.socket.sendBinaryMessage("MINE");
    QTRY_COMPARE(fileContents(kept), text.first(sent) + "MINE");
    QTRY_VERIFY(!errorsOf(holder).empty());
    const Protocol::Error dropped = errorsOf(holder).back();
    QCOMPARE(dropped.code, QString::fromLatin1(Protocol::ErrorCode::ReadOnly));
    QVERIFY2(dropped.message.contains(QLatin1String("3 bytes of queued input dropped")),
             qPrintable(dropped.message));
    QTest::qWait(200);
    QCOMPARE(fileContents(kept), text.first(sent) + "MINE");
}

void tst_Sharing::keyboardRequestsAreRateLimited()
{
    SharingServer s(QStringLiteral("exec cat > /dev/null"), exclusive());
    TestClient flooder(s.as(QString()));
    TestClient watcher(s.as(QString()));
    QTRY_VERIFY(flooder.hello.has_value() && watcher.hello.has_value());
    // Take and release in a loop: the burst passes, the rest is refused, and the other clients
    // hear of the burst's changes only.
    for (int i = 0; i < 50; ++i)
        flooder.send(Protocol::Control {
            i % 2 == 0 ? Protocol::Control::Action::Take : Protocol::Control::Action::Release, 0});
    QTRY_VERIFY(errorsOf(flooder).size() >= 35);
    QTest::qWait(300);
    for (const Protocol::Error &error : errorsOf(flooder))
        QCOMPARE(error.code, QString::fromLatin1(Protocol::ErrorCode::InputRate));
    const size_t changes = eventsOf<Protocol::ControlEvent>(watcher).size();
    QVERIFY2(changes >= size_t(ClientSession::ControlRequestBurst)
                 && changes <= size_t(ClientSession::ControlRequestBurst) + 2,
             qPrintable(QString::number(changes)));
}

QTEST_MAIN(tst_Sharing)
#include "tst_sharing.moc"
