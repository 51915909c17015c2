// The password check on its own: a right password opens a session and nothing else does, and a
// refusal costs the same PBKDF2 work whoever was named, a user or not, and whatever iteration
// count the user's hash has, so that the time a refusal takes tells nobody which names exist.

#include "authenticator.h"
#include "secrethash.h"

#include <QTest>

#include <algorithm>
#include <ctime>
#include <thread>

using namespace CloudConsole;

class tst_Authenticator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void aPaddedCheckStillVerifiesOnlyItsOwnPassword();
    void aDecoyHashIsWellFormedAndMatchesNoPassword();
    void aRightPasswordOpensASessionWhateverTheIterationCount_data();
    void aRightPasswordOpensASessionWhateverTheIterationCount();
    void unknownUsersAndTokenNamesNeverLogIn();
    void consolePatternsTakeTheNamesTheyMatch();
    void aUserWithoutAPasswordNeverLogsInWithOne();
    void aPasswordChangedDuringItsCheckOpensNoSession();
    void unknownAndKnownUsersTakeTheSameTimeToRefuse();

private:
    AccessSettings m_access;
};

namespace {

const QString Password = QStringLiteral("correct horse battery staple");
const QString OtherPassword = QStringLiteral("new password");
const QString WrongPassword = QStringLiteral("correct horse battery stapler");

// Three users whose hashes have the lowest accepted iteration count, the default and twice the
// default; the last sets the work of every check.
constexpr int LowIterations = 10'000;
constexpr int HighIterations = 2 * SecretHash::DefaultIterations;

Credential user(const QString &name, int iterations)
{
    return {Credential::Kind::User,
            name,
            SecretHash::hashPassword(Password, iterations),
            Role::Operator,
            {}};
}

// CPU time of this thread, where checkPassword() does its work: a busy machine stretches wall
// time (by 2x under ASan in a loaded CI run), not the work done.
qint64 threadCpuNanoseconds()
{
    timespec now {};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return qint64(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

qint64 median(std::vector<qint64> values)
{
    const auto middle = values.begin() + values.size() / 2;
    std::nth_element(values.begin(), middle, values.end());
    return *middle;
}

} // namespace

void tst_Authenticator::initTestCase()
{
    m_access.credentials = {
        user(QStringLiteral("low"), LowIterations),
        user(QStringLiteral("default"), SecretHash::DefaultIterations),
        user(QStringLiteral("high"), HighIterations),
        {Credential::Kind::Token,
         QStringLiteral("ci"),
         SecretHash::hashToken(SecretHash::newToken()),
         Role::Operator,
         {}},
    };
}

void tst_Authenticator::aPaddedCheckStillVerifiesOnlyItsOwnPassword()
{
    const QString hash = SecretHash::hashPassword(Password, LowIterations);
    QCOMPARE(SecretHash::passwordIterations(hash), LowIterations);
    for (int work : {0, LowIterations, 3 * LowIterations}) {
        QVERIFY2(SecretHash::verifyPassword(Password, hash, work),
                 qPrintable(QString::number(work)));
        QVERIFY(!SecretHash::verifyPassword(WrongPassword, hash, work));
    }
    // A malformed hash matches nothing, with or without work.
    QCOMPARE(SecretHash::passwordIterations(Password), 0);
    QVERIFY(!SecretHash::verifyPassword(Password, Password, LowIterations));
    QVERIFY(!SecretHash::verifyPassword(Password, Password));
}

void tst_Authenticator::aDecoyHashIsWellFormedAndMatchesNoPassword()
{
    const QString decoy = SecretHash::decoyPasswordHash(LowIterations);
    QString error;
    QVERIFY2(SecretHash::isPasswordHash(decoy, &error), qPrintable(error));
    QCOMPARE(SecretHash::passwordIterations(decoy), LowIterations);
    for (const QString &password : {QString(), Password, QStringLiteral("decoy")})
        QVERIFY(!SecretHash::verifyPassword(password, decoy, LowIterations));
    // Random, so no two servers (or reloads) share one.
    QVERIFY(SecretHash::decoyPasswordHash(LowIterations) != decoy);
}

void tst_Authenticator::aRightPasswordOpensASessionWhateverTheIterationCount_data()
{
    QTest::addColumn<QString>("name");
    QTest::newRow("fewest iterations") << QStringLiteral("low");
    QTest::newRow("default iterations") << QStringLiteral("default");
    QTest::newRow("most iterations") << QStringLiteral("high");
}

void tst_Authenticator::aRightPasswordOpensASessionWhateverTheIterationCount()
{
    QFETCH(QString, name);
    Authenticator auth(m_access);
    const std::optional<QString> ticket = auth.checkPassword(name, Password);
    QVERIFY(ticket);
    QCOMPARE(auth.sessionCount(), 1);
    const QByteArray cookie = QByteArray(Authenticator::CookieName) + '=' + ticket->toLatin1();
    const Authenticator::Result result = auth.authenticate({}, cookie);
    QVERIFY2(result.outcome == Authenticator::Result::Outcome::Allowed, qPrintable(result.reason));
    QCOMPARE(result.principal.name, name);
    QVERIFY(!auth.checkPassword(name, WrongPassword));
    QCOMPARE(auth.sessionCount(), 1);
}

void tst_Authenticator::unknownUsersAndTokenNamesNeverLogIn()
{
    Authenticator auth(m_access);
    for (const QString &name : {QStringLiteral("nobody"), QString(), QStringLiteral("ci")}) {
        QVERIFY2(!auth.checkPassword(name, Password), qPrintable(name));
        QVERIFY(!auth.checkPassword(name, QString()));
    }
    QCOMPARE(auth.sessionCount(), 0);
    // Nor with no user configured at all (tokens only), when the decoy has the default count.
    Authenticator tokensOnly(AccessSettings {{m_access.credentials.back()}});
    QVERIFY(!tokensOnly.checkPassword(QStringLiteral("ci"), Password));
}

void tst_Authenticator::aPasswordChangedDuringItsCheckOpensNoSession()
{
    // The old password is checked on another thread while a reload gives the user a new one.
    // Whichever comes first, no session opens: a check that took the old hash finds it gone, and
    // one that took the new hash finds the old password wrong for it.
    Authenticator auth(m_access);
    std::optional<QString> ticket;
    std::thread check([&] { ticket = auth.checkPassword(QStringLiteral("high"), Password); });
    QTest::qWait(20);
    AccessSettings changed = m_access;
    changed.credentials[2].hash = SecretHash::hashPassword(OtherPassword, LowIterations);
    auth.setSettings(changed);
    check.join();
    QVERIFY(!ticket);
    QCOMPARE(auth.sessionCount(), 0);
    QVERIFY(auth.checkPassword(QStringLiteral("high"), OtherPassword));
}

void tst_Authenticator::unknownAndKnownUsersTakeTheSameTimeToRefuse()
{
    // This measures CPU time, but what it checks is a functional property: every check does the
    // same PBKDF2 work (the most iterations of any configured user), so equal work gives equal
    // time within a wide band, while unequal work (a 10,000-iteration user against a 200,000 one)
    // is 20 times apart. The checks are interleaved, so a busy machine slows every name alike.
    Authenticator auth(m_access);
    const QStringList names = {QStringLiteral("nobody"), QStringLiteral("low"),
                               QStringLiteral("default"), QStringLiteral("high")};
    constexpr int Rounds = 7;
    std::vector<std::vector<qint64>> nanoseconds(names.size());
    for (int round = 0; round < Rounds; ++round) {
        for (qsizetype i = 0; i < names.size(); ++i) {
            const qint64 before = threadCpuNanoseconds();
            const std::optional<QString> ticket = auth.checkPassword(names[i], WrongPassword);
            nanoseconds[i].push_back(threadCpuNanoseconds() - before);
            QVERIFY(!ticket);
        }
    }
    const qint64 unknown = median(nanoseconds[0]);
    QString figures;
    for (qsizetype i = 0; i < names.size(); ++i)
        figures += QStringLiteral(" %1: %2 ms").arg(names[i]).arg(median(nanoseconds[i]) / 1e6);
    for (qsizetype i = 1; i < names.size(); ++i) {
        const double ratio = double(median(nanoseconds[i])) / double(unknown);
        QVERIFY2(ratio >= 0.5 && ratio <= 2.0,
                 qPrintable(QStringLiteral("%1 takes %2 times an unknown user's time;%3")
                                .arg(names[i])
                                .arg(ratio, 0, 'f', 2)
                                .arg(figures)));
    }
    qInfo().noquote() << "median refusal:" << figures;
}

void tst_Authenticator::consolePatternsTakeTheNamesTheyMatch()
{
    const QStringList list {QStringLiteral("rescue"), QStringLiteral("kvm-*"),
                            QStringLiteral("*.lab")};
    QVERIFY(consoleListAllows(list, QStringLiteral("rescue")));
    QVERIFY(consoleListAllows(list, QStringLiteral("kvm-web01")));
    QVERIFY(consoleListAllows(list, QStringLiteral("kvm-")));
    QVERIFY(consoleListAllows(list, QStringLiteral("db.lab")));
    QVERIFY(!consoleListAllows(list, QStringLiteral("xkvm-web01")));
    QVERIFY(!consoleListAllows(list, QStringLiteral("rescue2")));
    QVERIFY(!consoleListAllows(list, QStringLiteral("dbxlab"))); // the dot is a dot
    QVERIFY(consoleListAllows({}, QStringLiteral("anything")));
    QVERIFY(isConsolePattern(QStringLiteral("kvm-*")));
    QVERIFY(!isConsolePattern(QStringLiteral("kvm")));
    QVERIFY(!isConsolePattern(QStringLiteral("kvm/*")));
    const Principal principal {QStringLiteral("ops"), Role::Operator, list, {}};
    QVERIFY(principal.allows(QStringLiteral("kvm-db")));
    QVERIFY(!principal.allows(QStringLiteral("ch-db")));
}

void tst_Authenticator::aUserWithoutAPasswordNeverLogsInWithOne()
{
    // A user of single sign-on (trusted-proxy) has no password-hash: no password opens it.
    AccessSettings settings;
    settings.credentials
        = {{Credential::Kind::User, QStringLiteral("sso"), QString(), Role::Operator, {}}};
    Authenticator auth(settings);
    QVERIFY(!auth.checkPassword(QStringLiteral("sso"), QString()).has_value());
    QVERIFY(!auth.checkPassword(QStringLiteral("sso"), QStringLiteral("x")).has_value());
}

QTEST_GUILESS_MAIN(tst_Authenticator)
#include "tst_authenticator.moc"
