// Fuzzes parseConfig, the reader of the configuration file (--config, and again on every
// SIGHUP). The file is the operator's, but a mistake in it must be an error that names its line,
// never a crash or a half-checked setting; and the file names the console sources, whose specs
// it hands on.
//
// Properties, beyond not crashing:
// - a refusal names the file and a line of it ("FILE:LINE: what");
// - an accepted file declares at least one console or a [discover] section; each console has a
//   valid, unique name, its values within the documented bounds, and a source whose canonical
//   form parses back to it; so does the console each [discover] section would make for a VM;
// - every credential it accepts has a well-formed hash of its kind, a unique name, and names
//   only declared consoles, or consoles its discovery may find.
//
// The input is read as readConfigFile() reads a file: UTF-8, refused if it is not text.

#include "configfile.h"
#include "consoleregistry.h"
#include "fuzzcheck.h"
#include "secrethash.h"

#include <QRegularExpression>
#include <QSet>

using namespace CloudConsole;

namespace {

const QString FileName = QStringLiteral("fuzz.conf");

void checkRefusal(const QString &text, const QString &error)
{
    static const QRegularExpression form(QStringLiteral("^fuzz\\.conf:([0-9]+): \\S"));
    const auto match = form.match(error);
    FUZZ_CHECK(match.hasMatch(), "a refusal without FILE:LINE:" << error);
    const int line = match.captured(1).toInt();
    FUZZ_CHECK(line >= 1 && line <= text.count(u'\n') + 1,
               "line" << line << "of" << text.count(u'\n') + 1 << ":" << error);
}

void checkConsole(const ConsoleOptions &console)
{
    FUZZ_CHECK(ConsoleRegistry::isValidName(console.name), console.name);
    FUZZ_CHECK(console.historySize >= 4 * 1024 && console.historySize <= 1024 * 1024 * 1024,
               console.name << console.historySize);
    FUZZ_CHECK(console.maxClients >= 0 && console.maxClients <= 100000,
               console.name << console.maxClients);
    FUZZ_CHECK(console.size.width() >= 1 && console.size.width() <= 1000
                   && console.size.height() >= 1 && console.size.height() <= 1000,
               console.name << console.size);
    FUZZ_CHECK(console.scrollbackLines >= 0 && console.scrollbackLines <= 100000,
               console.name << console.scrollbackLines);
    FUZZ_CHECK(console.source.kind == SourceSpec::Kind::Exec
                   || console.source.restart == ExecSource::RestartPolicy::Never,
               console.name << "restarts a source that is not a command");
    // The status page, the metrics and the errors name a source by its canonical form.
    const QString canonical = console.source.toString();
    QString error;
    const auto again = parseSourceSpec(canonical, &error);
    FUZZ_CHECK(again && again->toString() == canonical && again->kind == console.source.kind
                   && again->target == console.source.target,
               console.name << "source" << canonical << "does not parse back:" << error);
}

// proxyUsers: trusted-proxy is set, so a user may have no password (single sign-on only).
void checkCredential(const Credential &credential, const std::vector<ConsoleOptions> &consoles,
                     const DiscoveryOptions &discovery, bool proxyUsers)
{
    QString why;
    const bool wellFormed = credential.kind == Credential::Kind::User
        ? (proxyUsers && credential.hash.isEmpty())
            || SecretHash::isPasswordHash(credential.hash, &why)
        : SecretHash::isTokenHash(credential.hash, &why);
    FUZZ_CHECK(wellFormed, credential.name << credential.hash << why);
    for (const QString &name : credential.consoles) {
        const bool declared = std::any_of(consoles.begin(), consoles.end(),
                                          [&](const ConsoleOptions &c) { return c.name == name; })
            || discovery.mayDiscover(name) || isConsolePattern(name);
        FUZZ_CHECK(declared, credential.name << "may use undeclared console" << name);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString text = QString::fromUtf8(bytes);
    // readConfigFile() refuses these before parsing.
    if (text.contains(QChar::ReplacementCharacter) || bytes.contains('\0'))
        return 0;

    ServerOptions options;
    QString error;
    if (!parseConfig(text, FileName, &options, &error)) {
        checkRefusal(text, error);
        return 0;
    }
    FUZZ_CHECK(error.isEmpty(), "accepted with an error:" << error);
    FUZZ_CHECK(!options.consoles.empty() || options.discovery.enabled(),
               "accepted without a console");
    // What a [discover] section would make of a VM (server/discovery/).
    for (const DiscoverySettings &section : options.discovery.sections) {
        FUZZ_CHECK(section.kind == DiscoverySettings::Kind::Libvirt
                       || section.sockets.startsWith(u'/'),
                   "ch sockets" << section.sockets);
        FUZZ_CHECK(section.keepAfterGone.count() >= 0, section.keepAfterGone.count());
        const QString name = consoleNameFor(section.namePrefix, QStringLiteral("vm1"));
        FUZZ_CHECK(!name.isEmpty(), "prefix" << section.namePrefix << "makes no console name");
        ConsoleOptions console = options.discovery.consoleFor(options, section, name);
        FUZZ_CHECK(console.name == name, console.name);
        FUZZ_CHECK(console.logPath.isEmpty() || !console.logPath.contains(QLatin1String("{name}")),
                   "log" << console.logPath << "keeps {name}");
        console.source.kind = SourceSpec::Kind::ChApi;
        console.source.target = QStringLiteral("/run/ch/vm1.sock");
        checkConsole(console);
    }
    QSet<QString> names;
    for (const ConsoleOptions &console : options.consoles) {
        checkConsole(console);
        FUZZ_CHECK(!names.contains(console.name), "console" << console.name << "twice");
        names.insert(console.name);
    }
    QSet<QString> credentials;
    for (const Credential &credential : options.access.credentials) {
        checkCredential(credential, options.consoles, options.discovery,
                        options.access.proxyTrust.enabled());
        const QString key = QString::number(int(credential.kind)) + u' ' + credential.name;
        FUZZ_CHECK(!credentials.contains(key), "credential" << credential.name << "twice");
        credentials.insert(key);
    }
    FUZZ_CHECK(options.maxClients >= 1 && options.maxClients <= 100000, options.maxClients);
    FUZZ_CHECK(options.limits.inputBytesPerSecond == 0
                   || options.limits.inputBytesPerSecond >= 1024,
               options.limits.inputBytesPerSecond);
    return 0;
}
