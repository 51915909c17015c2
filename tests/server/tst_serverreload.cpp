// Server in-process: what the binary does at start-up and on SIGHUP, without the binary. A
// reload keeps the running configuration when the file has a mistake, keeps unchanged consoles,
// and replaces a console whose settings changed.

#include "options.h"
#include "server.h"

#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace CloudConsole;

class tst_ServerReload : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void aServerStartsTheConsolesOfItsConfiguration();
    void aNonLoopbackAddressWithoutAccessControlDoesNotStart();
    void aReloadOfABrokenFileKeepsTheRunningConfiguration();
    void aReloadKeepsUnchangedConsolesAndReplacesChangedOnes();
    void aReloadWithoutConfigOnlyReopensLogs();

private:
    bool write(const QString &text);
    QStringList arguments() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
};

namespace {

// Sockets that are never there: the consoles wait for them with a backoff, and need nothing.
const QString Two = QStringLiteral("[server]\nlisten = 127.0.0.1:0\n"
                                   "[console a]\nsource = unix:/nonexistent/a.sock\n"
                                   "history-size = 64K\n"
                                   "[console b]\nsource = unix:/nonexistent/b.sock\n");

} // namespace

void tst_ServerReload::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_path = m_dir->filePath(QStringLiteral("cc.conf"));
}

bool tst_ServerReload::write(const QString &text)
{
    QFile file(m_path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return file.write(text.toUtf8()) == text.toUtf8().size();
}

QStringList tst_ServerReload::arguments() const
{
    return {QStringLiteral("cloud-console"), QStringLiteral("--config"), m_path};
}

void tst_ServerReload::aServerStartsTheConsolesOfItsConfiguration()
{
    QVERIFY(write(Two));
    const ParsedOptions parsed = parseOptions(arguments());
    QVERIFY2(parsed.outcome == ParsedOptions::Outcome::Run, qPrintable(parsed.text));
    Server server(parsed.options, arguments());
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QVERIFY(server.port() != 0);
    QCOMPARE(server.baseUrl(), QStringLiteral("http://127.0.0.1:%1/").arg(server.port()));
    QCOMPARE(server.consoles().consoles().size(), size_t(2));
    QCOMPARE(server.consoles().find(QStringLiteral("a"))->settings().historySize, 64 * 1024);
    QCOMPARE(server.consoles().defaultConsole()->name(), QStringLiteral("a"));
    // No max-clients of its own: the server's per-console limit.
    QCOMPARE(server.consoles().find(QStringLiteral("b"))->settings().maxClients,
             parsed.options.limits.maxClientsPerConsole);
}

void tst_ServerReload::aNonLoopbackAddressWithoutAccessControlDoesNotStart()
{
    QVERIFY(write(QStringLiteral("[server]\nlisten = 0.0.0.0:0\n[console a]\nsource = "
                                 "unix:/nonexistent/a.sock\n")));
    const ParsedOptions parsed = parseOptions(arguments());
    QVERIFY2(parsed.outcome == ParsedOptions::Outcome::Run, qPrintable(parsed.text));
    Server server(parsed.options, arguments());
    QString error;
    QVERIFY(!server.start(&error));
    QVERIFY2(error.startsWith(QStringLiteral("refusing to listen on 0.0.0.0 without access "
                                             "control")),
             qPrintable(error));
    QVERIFY(server.consoles().consoles().empty());
}

void tst_ServerReload::aReloadOfABrokenFileKeepsTheRunningConfiguration()
{
    QVERIFY(write(Two));
    Server server(parseOptions(arguments()).options, arguments());
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    Console *a = server.consoles().find(QStringLiteral("a"));

    QVERIFY(
        write(QStringLiteral("[console a]\nsource = unix:/nonexistent/a.sock\nhistory = 4M\n")));
    QTest::ignoreMessage(QtWarningMsg,
                         QRegularExpression(QStringLiteral(
                             "^keeping the running configuration: .*cc.conf:3: unknown key "
                             "\"history\"")));
    QVERIFY(!server.reload());
    QCOMPARE(server.consoles().find(QStringLiteral("a")), a);
    QCOMPARE(a->settings().historySize, 64 * 1024);
    QVERIFY(server.consoles().find(QStringLiteral("b")));

    // Nor does a file that would leave the address without access control and is not loopback:
    // the address served is what counts, and it is loopback, so this one applies.
    QVERIFY(write(Two));
    QVERIFY(server.reload());
    QCOMPARE(server.consoles().find(QStringLiteral("a")), a);
}

void tst_ServerReload::aReloadKeepsUnchangedConsolesAndReplacesChangedOnes()
{
    QVERIFY(write(Two));
    Server server(parseOptions(arguments()).options, arguments());
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    Console *a = server.consoles().find(QStringLiteral("a"));
    Console *b = server.consoles().find(QStringLiteral("b"));

    QVERIFY(write(QStringLiteral("[server]\nlisten = 127.0.0.1:0\nmax-clients-per-console = 7\n"
                                 "[console c]\nsource = unix:/nonexistent/c.sock\n"
                                 "[console a]\nsource = unix:/nonexistent/a.sock\n"
                                 "history-size = 128K\n"
                                 "[console b]\nsource = unix:/nonexistent/b.sock\n")));
    QVERIFY(server.reload());
    Console *newA = server.consoles().find(QStringLiteral("a"));
    QVERIFY(newA && newA != a); // a's history size changed: a new console
    QCOMPARE(newA->settings().historySize, 128 * 1024);
    QCOMPARE(server.consoles().find(QStringLiteral("b")), b); // unchanged: kept
    QCOMPARE(b->settings().maxClients, 7); // with the new limit
    QVERIFY(server.consoles().find(QStringLiteral("c"))); // added
    QCOMPARE(server.consoles().defaultConsole()->name(), QStringLiteral("c")); // declared first

    // Without [server], the listen address is the default one; the socket stays where it is.
    QVERIFY(write(QStringLiteral("[console b]\nsource = unix:/nonexistent/b.sock\n")));
    QTest::ignoreMessage(QtWarningMsg, "a new listen address applies at the next start");
    QVERIFY(server.reload());
    QCOMPARE(server.options().port, quint16(0));
    QCOMPARE(server.consoles().consoles().size(), size_t(1));
    QCOMPARE(server.consoles().find(QStringLiteral("b")), b);
    QCOMPARE(server.options().consoles.size(), size_t(1));
}

void tst_ServerReload::aReloadWithoutConfigOnlyReopensLogs()
{
    const QStringList arguments {QStringLiteral("cloud-console"),
                                 QStringLiteral("unix:/nonexistent/a.sock"),
                                 QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")};
    const ParsedOptions parsed = parseOptions(arguments);
    QVERIFY2(parsed.outcome == ParsedOptions::Outcome::Run, qPrintable(parsed.text));
    Server server(parsed.options, arguments);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    Console *console = server.consoles().find(QStringLiteral("default"));
    QVERIFY(console);
    // The command line's one console may have as many clients as the server.
    QCOMPARE(console->settings().maxClients, 1024);
    QVERIFY(server.reload());
    QCOMPARE(server.consoles().find(QStringLiteral("default")), console);
}

QTEST_GUILESS_MAIN(tst_ServerReload)
#include "tst_serverreload.moc"
