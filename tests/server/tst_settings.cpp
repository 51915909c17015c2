// The setting table: every setting declared once, and the command line, the configuration file,
// --help, the man page and docs/config.md all agree with that declaration.

#include "configfile.h"
#include "console.h"
#include "httpfrontend.h"
#include "options.h"
#include "settingtable.h"
#include "values.h"

#include <QFile>
#include <QRegularExpression>
#include <QTest>

#include <set>

using namespace CloudConsole;

class tst_Settings : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyDeclaredDefaultIsAValueOfItsKey();
    void theStructsOtherPartsMakeAgreeWithTheDeclaredDefaults();
    void flagsAndKeysAreDeclaredOnce();
    void helpListsEveryFlagWithItsDefault();
    void theManPageDocumentsEveryFlagWithItsDefaultAndEveryKey();
    void docsConfigTablesListEveryKeyWithItsDefault();
    void docsConfigSaysWhichFlagsGoWithConfig();
    void theCommandLineReadsTheConfigurationThroughItsReader();
    void aSwitchIsTheSameAsItsKey();
    void valuesAreWrittenAsTheParsersReadThem();
};

namespace {

using Scope = Setting::Scope;

QString readSource(const QString &path)
{
    QFile file(QStringLiteral(CLOUD_CONSOLE_SOURCE_DIR "/") + path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll());
}

QString latin1(const char *text)
{
    return QString::fromLatin1(text);
}

// The lines of a man page's section, roff requests turned into the words they print.
QStringList manSection(const QString &page, const QString &name)
{
    QStringList lines;
    bool on = false;
    for (QString line : page.split(u'\n')) {
        if (line.startsWith(QLatin1String(".SH "))) {
            on = line.mid(4).remove(u'"') == name;
            continue;
        }
        if (!on || line.startsWith(QLatin1String(".\\\"")))
            continue;
        line.replace(QLatin1String("\\-"), QLatin1String("-"));
        line.replace(QLatin1String("\\e"), QLatin1String("\\"));
        line.replace(QLatin1String("\\c"), QString());
        line.remove(QRegularExpression(QStringLiteral("\\\\f[BIPR]")));
        static const QRegularExpression request(QStringLiteral("^\\.(B|BR|BI|I|IR|RB|RI) "));
        if (request.match(line).hasMatch()) {
            line.remove(request);
            line.remove(u'"');
        }
        lines.append(line);
    }
    return lines;
}

// "| `key` | default | what |" rows of docs/config.md under a "### `[section]`" heading.
std::map<QString, QString> docsTable(const QString &docs, const QString &heading)
{
    std::map<QString, QString> rows;
    bool on = false;
    static const QRegularExpression row(QStringLiteral("^\\| `([a-z-]+)` \\| ([^|]*) \\|"));
    for (const QString &line : docs.split(u'\n')) {
        if (line.startsWith(QLatin1String("#"))) {
            on = line == heading;
            continue;
        }
        if (const auto match = row.match(line); on && match.hasMatch())
            rows[match.captured(1)] = match.captured(2).trimmed();
    }
    return rows;
}

QString docsHeading(Scope scope)
{
    return scope == Scope::Server ? QStringLiteral("### `[server]`")
                                  : QStringLiteral("### `[console NAME]`");
}

} // namespace

void tst_Settings::everyDeclaredDefaultIsAValueOfItsKey()
{
    // The models' constructors apply these; one that did not parse would leave a field unset.
    for (const Setting &setting : allSettings()) {
        if (setting.defaultText().isEmpty() || setting.followsServer
            || setting.scope == Scope::Command)
            continue;
        ServerOptions options;
        ConsoleOptions console;
        console.source.kind = SourceSpec::Kind::Exec; // restart applies to commands
        const QString why = setting.apply(options, console, setting.defaultText());
        QVERIFY2(why.isEmpty(),
                 qPrintable(QStringLiteral("%1 = %2: %3")
                                .arg(latin1(setting.key ? setting.key : setting.flag),
                                     setting.defaultText(), why)));
    }
    const ConsoleOptions console;
    QCOMPARE(console.name, QStringLiteral("default"));
    QCOMPARE(qint64(console.historySize), qint64(1024 * 1024));
    QCOMPARE(console.size, QSize(80, 24));
    QCOMPARE(console.scrollbackLines, 1000);
    QVERIFY(console.screen);
    const ServerOptions server;
    QCOMPARE(server.address, QHostAddress(QHostAddress::LocalHost));
    QCOMPARE(server.port, quint16(8080));
    QCOMPARE(server.maxClients, 1024);
    QVERIFY(server.markers);
    QVERIFY(!server.access.insecure);
}

void tst_Settings::theStructsOtherPartsMakeAgreeWithTheDeclaredDefaults()
{
    // Console, HttpFrontend and the access settings keep the defaults, for whoever makes them
    // without a configuration (tests, the fuzzers) too; the table writes them out as text and the
    // models read that text back: it must come back the same.
    const ServerOptions server;
    const ConsoleOptions console;
    const ConsoleSettings made;
    QCOMPARE(made.name, console.name);
    QCOMPARE(made.historySize, console.historySize);
    QCOMPARE(made.size, console.size);
    QCOMPARE(made.scrollbackLines, console.scrollbackLines);
    QCOMPARE(made.screen, console.screen);
    QCOMPARE(made.markers, server.markers);
    QCOMPARE(made.maxClients, server.limits.maxClientsPerConsole);
    QCOMPARE(FrontendSettings().maxClients, server.maxClients);
    const LimitSettings limits;
    QCOMPARE(limits.maxClientsPerConsole, server.limits.maxClientsPerConsole);
    QCOMPARE(limits.inputBytesPerSecond, server.limits.inputBytesPerSecond);
    QCOMPARE(limits.pingInterval.count(), server.limits.pingInterval.count());
    QCOMPARE(limits.idleTimeout.count(), server.limits.idleTimeout.count());
    const AccessSettings access;
    QCOMPARE(access.sessionLifetime.count(), server.access.sessionLifetime.count());
    QCOMPARE(access.insecure, server.access.insecure);
    QVERIFY(SourceSpec().restart == ExecSource::RestartPolicy::Never); // restart = never
}

void tst_Settings::flagsAndKeysAreDeclaredOnce()
{
    std::set<QString> flags;
    std::set<std::pair<int, QString>> keys;
    for (const Setting &setting : allSettings()) {
        QVERIFY2(setting.flag || setting.key, "a setting with neither a flag nor a key");
        if (setting.flag) {
            QVERIFY2(flags.insert(latin1(setting.flag)).second, setting.flag);
            QVERIFY2(setting.doc, setting.flag);
            QVERIFY2(!setting.switchValue || !setting.valueName, setting.flag);
        }
        if (setting.key)
            QVERIFY2(keys.insert({int(setting.scope), latin1(setting.key)}).second, setting.key);
        QVERIFY2(setting.scope == Scope::Command
                     || (setting.scope == Scope::Server ? setting.applyServer != nullptr
                                                        : setting.applyConsole != nullptr),
                 setting.key ? setting.key : setting.flag);
    }
}

void tst_Settings::helpListsEveryFlagWithItsDefault()
{
    const QString help = helpText();
    const QString options
        = help.section(QStringLiteral("Options:\n"), 1).section(QStringLiteral("\n\n"), 0, 0);
    for (const Setting &setting : allSettings()) {
        if (!setting.flag)
            continue;
        // The flag's entry: from its line to the next flag's.
        const QRegularExpression entry(
            QStringLiteral("\\n  (-[A-Za-z], )?--%1( [^\\n]*)?\\n?((\\s{20,}[^\\n]*\\n)*)")
                .arg(QRegularExpression::escape(latin1(setting.flag))));
        const auto match = entry.match(u'\n' + options);
        QVERIFY2(match.hasMatch(), setting.flag);
        if (setting.valueName)
            QVERIFY2(match.captured(0).contains(QStringLiteral("--%1 %2").arg(
                         latin1(setting.flag), latin1(setting.valueName))),
                     setting.flag);
        if (setting.valueName && !setting.defaultText().isEmpty() && !setting.followsServer) {
            const QString text = match.captured(0).simplified();
            const QString value = setting.defaultText();
            QVERIFY2(text.contains(QStringLiteral("(default ") + value)
                         || text.contains(QStringLiteral("(default \"%1\"").arg(value)),
                     qPrintable(QStringLiteral("--%1 does not say its default %2: %3")
                                    .arg(latin1(setting.flag), value, text)));
        }
    }
    for (const QString &line : options.split(u'\n'))
        QVERIFY2(line.size() <= 88, qPrintable(line));
}

void tst_Settings::theManPageDocumentsEveryFlagWithItsDefaultAndEveryKey()
{
    const QString page = readSource(QStringLiteral("packaging/man/cloud-console.1"));
    QVERIFY2(!page.isEmpty(), "cannot read packaging/man/cloud-console.1");
    // OPTIONS: ".TP", a tag line, then the entry's text.
    std::map<QString, QString> entries;
    QString *current = nullptr;
    bool tagNext = false;
    for (const QString &line : manSection(page, QStringLiteral("OPTIONS"))) {
        if (line == QLatin1String(".TP")) {
            tagNext = true;
            continue;
        }
        if (tagNext) {
            tagNext = false;
            static const QRegularExpression flag(QStringLiteral("--([a-z][a-z0-9-]*)"));
            const auto match = flag.match(line);
            current = match.hasMatch() ? &entries[match.captured(1)] : nullptr;
            continue;
        }
        if (current)
            *current += u' ' + line;
    }
    for (const Setting &setting : allSettings()) {
        if (!setting.flag)
            continue;
        const auto entry = entries.find(latin1(setting.flag));
        QVERIFY2(
            entry != entries.end(),
            qPrintable(
                QStringLiteral("the man page's OPTIONS has no --%1").arg(latin1(setting.flag))));
        if (!setting.valueName || setting.defaultText().isEmpty() || setting.followsServer)
            continue;
        const QString text = entry->second.simplified();
        const QString value = setting.defaultText();
        QVERIFY2(text.contains(QStringLiteral("default ") + value)
                     || text.contains(QStringLiteral("default \"%1\"").arg(value))
                     || text.contains(value + QStringLiteral(" (default)")),
                 qPrintable(QStringLiteral("the man page does not give --%1's default %2: %3")
                                .arg(latin1(setting.flag), value, text)));
    }
    const QString file
        = manSection(page, QStringLiteral("CONFIGURATION FILE")).join(u' ').simplified();
    for (const Setting &setting : allSettings()) {
        if (!setting.key)
            continue;
        const QRegularExpression word(QStringLiteral("(^|[ (])%1([ ,.;)]|$)")
                                          .arg(QRegularExpression::escape(latin1(setting.key))));
        QVERIFY2(word.match(file).hasMatch(),
                 qPrintable(QStringLiteral("the man page's CONFIGURATION FILE does not name %1")
                                .arg(latin1(setting.key))));
    }
}

void tst_Settings::docsConfigTablesListEveryKeyWithItsDefault()
{
    const QString docs = readSource(QStringLiteral("docs/config.md"));
    QVERIFY2(!docs.isEmpty(), "cannot read docs/config.md");
    for (const Scope scope : {Scope::Server, Scope::Console}) {
        const std::map<QString, QString> rows = docsTable(docs, docsHeading(scope));
        QStringList documented;
        for (const auto &[key, defaultText] : rows)
            documented.append(key);
        QCOMPARE(documented, keysOf(scope));
        for (const Setting &setting : allSettings()) {
            if (setting.scope != scope || !setting.key)
                continue;
            const QString given = rows.at(latin1(setting.key));
            const QString where = QStringLiteral("%1 %2: the docs say %3")
                                      .arg(docsHeading(scope), latin1(setting.key), given);
            if (!setting.defaultText().isEmpty())
                QVERIFY2(given.startsWith(u'`' + setting.defaultText() + u'`'), qPrintable(where));
            else if (setting.required)
                QVERIFY2(given == QLatin1String("required"), qPrintable(where));
            else
                QVERIFY2(!given.startsWith(u'`'), qPrintable(where));
        }
    }
}

void tst_Settings::docsConfigSaysWhichFlagsGoWithConfig()
{
    // "On the command line, `--exec`, ... describe the one console ...; with `--config` they are
    // refused ... `--listen`, ... still apply ... Users and tokens ..."
    const QString docs = readSource(QStringLiteral("docs/config.md")).simplified();
    const qsizetype start = docs.indexOf(QLatin1String("On the command line, "));
    QVERIFY(start >= 0);
    const qsizetype turn = docs.indexOf(QLatin1String("they are refused"), start);
    const qsizetype end = docs.indexOf(QLatin1String("Users and tokens"), turn);
    QVERIFY(turn > start && end > turn);
    const QString refused = docs.mid(start, turn - start);
    const QString apply = docs.mid(turn, end - turn);
    for (const Setting &setting : allSettings()) {
        if (!setting.flag || setting.scope == Scope::Command)
            continue;
        const QString flag = QStringLiteral("`--%1`").arg(latin1(setting.flag));
        const bool isRefused = setting.scope == Scope::Console && setting.takesValue();
        QVERIFY2((isRefused ? refused : apply).contains(flag),
                 qPrintable(flag
                            + (isRefused ? " is not listed as refused with --config"
                                         : " is not listed as applying with --config")));
    }
}

void tst_Settings::theCommandLineReadsTheConfigurationThroughItsReader()
{
    QStringList asked;
    const ConfigReader reader = [&](const QString &path, QString *text, QString *) {
        asked.append(path);
        *text = QStringLiteral("[server]\nmarkers = off\n[console a]\nsource = unix:/run/a\n"
                               "[console b]\nsource = exec:sh\nrestart = always\nmarkers = on\n");
        return true;
    };
    const ParsedOptions parsed
        = parseCommandLine({QStringLiteral("cloud-console"), QStringLiteral("--config"),
                            QStringLiteral("/nowhere"), QStringLiteral("--no-screen")},
                           reader);
    QVERIFY2(parsed.outcome == ParsedOptions::Outcome::Run, qPrintable(parsed.text));
    QCOMPARE(asked, QStringList {QStringLiteral("/nowhere")});
    QCOMPARE(parsed.options.consoles.size(), size_t(2));
    QVERIFY(!parsed.options.consoles[0].markers); // [server] markers
    QVERIFY(parsed.options.consoles[1].markers);
    QVERIFY(parsed.options.consoles[1].source.restart == ExecSource::RestartPolicy::Always);
    for (const ConsoleOptions &console : parsed.options.consoles)
        QVERIFY(!console.screen); // --no-screen, for every console

    const ConfigReader refusing = [](const QString &path, QString *, QString *error) {
        *error = QStringLiteral("cannot read %1").arg(path);
        return false;
    };
    const ParsedOptions refused = parseCommandLine(
        {QStringLiteral("cloud-console"), QStringLiteral("--config"), QStringLiteral("/x")},
        refusing);
    QVERIFY(refused.outcome == ParsedOptions::Outcome::Error);
    QCOMPARE(refused.text, QStringLiteral("cannot read /x"));
}

void tst_Settings::aSwitchIsTheSameAsItsKey()
{
    // --no-markers is markers = off, --insecure is insecure = on: one declaration each.
    const ConfigReader reader = [](const QString &, QString *text, QString *) {
        *text = QStringLiteral("[server]\ninsecure = on\n[console a]\nsource = unix:/run/a\n"
                               "markers = off\nscreen = off\n");
        return true;
    };
    const ParsedOptions file = parseCommandLine(
        {QStringLiteral("cloud-console"), QStringLiteral("--config"), QStringLiteral("f")}, reader);
    const ParsedOptions flags
        = parseOptions({QStringLiteral("cloud-console"), QStringLiteral("unix:/run/a"),
                        QStringLiteral("--name"), QStringLiteral("a"), QStringLiteral("--insecure"),
                        QStringLiteral("--no-markers"), QStringLiteral("--no-screen")});
    QVERIFY2(file.outcome == ParsedOptions::Outcome::Run, qPrintable(file.text));
    QVERIFY2(flags.outcome == ParsedOptions::Outcome::Run, qPrintable(flags.text));
    QCOMPARE(file.options.access.insecure, flags.options.access.insecure);
    QCOMPARE(file.options.consoles.at(0).markers, flags.options.consoles.at(0).markers);
    QCOMPARE(file.options.consoles.at(0).screen, flags.options.consoles.at(0).screen);
    QCOMPARE(file.options.consoles.at(0).name, flags.options.consoles.at(0).name);
}

void tst_Settings::valuesAreWrittenAsTheParsersReadThem()
{
    // The defaults --help and the docs show are written by these, from the structs' values.
    using namespace std::chrono_literals;
    QCOMPARE(sizeText(1024 * 1024), QStringLiteral("1M"));
    QCOMPARE(sizeText(64 * 1024), QStringLiteral("64K"));
    QCOMPARE(sizeText(qint64(2) << 30), QStringLiteral("2G"));
    QCOMPARE(sizeText(1500), QStringLiteral("1500"));
    QCOMPARE(sizeText(0), QStringLiteral("0"));
    for (const qint64 size : {qint64(4096), qint64(1536), qint64(3) << 20})
        QCOMPARE(parseSize(sizeText(size)), size);
    QCOMPARE(durationText(30s), QStringLiteral("30s"));
    QCOMPARE(durationText(90s), QStringLiteral("90s"));
    QCOMPARE(durationText(8h), QStringLiteral("8h"));
    QCOMPARE(durationText(48h), QStringLiteral("2d"));
    QCOMPARE(durationText(0s), QStringLiteral("0"));
    for (const std::chrono::seconds duration : {1s, 120s, 3601s, 86400s}) {
        std::chrono::seconds read {-1};
        QVERIFY(parseDuration(durationText(duration), &read).isEmpty());
        QCOMPARE(read.count(), duration.count());
    }
    QCOMPARE(boolText(true), QStringLiteral("on"));
    QCOMPARE(boolText(false), QStringLiteral("off"));
    QCOMPARE(consoleSizeText(QSize(132, 43)), QStringLiteral("132x43"));
    for (const auto policy :
         {ExecSource::RestartPolicy::Never, ExecSource::RestartPolicy::OnFailure,
          ExecSource::RestartPolicy::Always}) {
        SourceSpec spec;
        spec.kind = SourceSpec::Kind::Exec;
        spec.restart = ExecSource::RestartPolicy::Never == policy
            ? ExecSource::RestartPolicy::Always
            : ExecSource::RestartPolicy::Never;
        QVERIFY(parseRestart(restartText(policy), &spec).isEmpty());
        QVERIFY(spec.restart == policy);
    }
}

QTEST_GUILESS_MAIN(tst_Settings)
#include "tst_settings.moc"
