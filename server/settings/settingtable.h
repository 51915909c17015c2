#pragma once

// Every setting of the server, declared once: its command-line flag, its key in the configuration
// file, the scope it belongs to ([server] or [console NAME]), where its default is kept, the values
// it accepts, the line --help shows, and the function that stores a value into the settings model
// (serveroptions.h). A default's value is kept once, by the struct the rest of the server makes
// (ConsoleSettings, LimitSettings, ...), where whoever makes one without a configuration (tests,
// the fuzzers) gets it too; the table reads it from there and writes it out as text. The command
// line (options.cpp) and the configuration file (configfile.cpp) are thin readers over this table;
// --help is written from it; tst_settings checks the man page and docs/config.md against it. Adding
// a setting is adding one entry to settingtable.cpp.
//
// The table knows nothing of files or processes: reading the file is configfile.h's, running the
// server is Server's.

#include "serveroptions.h"

#include <QString>
#include <QStringList>

namespace CloudConsole {

struct Setting
{
    enum class Scope {
        Server, // [server], or a flag that sets the server
        Console, // [console NAME], or a flag that sets the command line's one console
        Command, // a flag that is not a setting: --config, --help, --hash-password, ...
    };
    using ServerApply = QString (*)(ServerOptions &options, const QString &value);
    using ConsoleApply = QString (*)(ConsoleOptions &console, const QString &value);
    // How a console follows the server when it does not set the key itself.
    using Inherit = void (*)(const ServerOptions &options, ConsoleOptions &console);

    // The default as a value of the key, read from the one place that keeps it: the member
    // initialiser of the struct the rest of the server makes (ConsoleSettings, LimitSettings,
    // AccessSettings, FrontendSettings, SourceSpec), written out by the formatters of values.h.
    using DefaultOf = QString (*)();

    Scope scope = Scope::Server;
    const char *flag = nullptr; // "history-size" for --history-size; nullptr: only in the file
    const char *shortFlag = nullptr; // "h" for -h
    const char *valueName = nullptr; // the flag's value in --help ("SIZE"); nullptr: a switch
    const char *switchValue = nullptr; // what a switch sets the key to ("off" for --no-markers)
    const char *key = nullptr; // the key in its section; nullptr: only on the command line
    DefaultOf defaultOf = nullptr; // nullptr: no default
    const char *followed = nullptr; // the [server] key a console follows when it does not set it
    const char *range = nullptr; // the values accepted, for --help ("4K to 1G")
    const char *doc = nullptr; // what the flag does, for --help
    bool required = false; // a console without it is refused (source)
    bool afterSource = false; // applied once the console's source is known (restart)
    bool followsServer = false; // the default is the [server] key named by followed
    ServerApply applyServer = nullptr;
    ConsoleApply applyConsole = nullptr;
    Inherit inherit = nullptr; // copies the [server] value a console follows, if not at use

    // A copy with one field set: what every builder is made of. Declared before the builders:
    // clang 14 (the fuzz preset) evaluating the table takes a member template defined after the
    // constexpr members that use it for an undefined function.
    template<typename Field, typename Value>
    constexpr Setting with(Field Setting::*field, Value value) const
    {
        Setting s = *this;
        s.*field = value;
        return s;
    }

    // Builders, so that the table reads as sentences.
    constexpr Setting onCommandLine(const char *name, const char *value = nullptr) const
    {
        return with(&Setting::flag, name).with(&Setting::valueName, value);
    }
    constexpr Setting asSwitch(const char *name, const char *value) const
    {
        return with(&Setting::flag, name).with(&Setting::switchValue, value);
    }
    constexpr Setting alsoShort(const char *name) const { return with(&Setting::shortFlag, name); }
    constexpr Setting inFile(const char *name) const { return with(&Setting::key, name); }
    constexpr Setting byDefault(DefaultOf value) const { return with(&Setting::defaultOf, value); }
    constexpr Setting following(const char *serverKey, Inherit how) const
    {
        return with(&Setting::followed, serverKey)
            .with(&Setting::followsServer, true)
            .with(&Setting::inherit, how);
    }
    constexpr Setting accepting(const char *text) const { return with(&Setting::range, text); }
    constexpr Setting doing(const char *text) const { return with(&Setting::doc, text); }
    constexpr Setting mandatory() const { return with(&Setting::required, true); }
    constexpr Setting onceTheSourceIsKnown() const { return with(&Setting::afterSource, true); }

    // The default as a value of the key, or the [server] key a console follows; empty: none.
    QString defaultText() const;

    bool takesValue() const { return valueName != nullptr; }
    // Stores value into the server or the console, as the scope says; what is wrong, or empty.
    QString apply(ServerOptions &options, ConsoleOptions &console, const QString &value) const;
};

// The whole table, in the order --help lists it.
struct SettingList
{
    const Setting *first;
    const Setting *last;
    const Setting *begin() const { return first; }
    const Setting *end() const { return last; }
};
SettingList allSettings();

// The setting a section's key names, or nullptr.
const Setting *findKey(Setting::Scope scope, const QString &key);
// A section's keys, sorted, for "known here: ..." in errors.
QStringList keysOf(Setting::Scope scope);
// The Options: block of --help.
QString optionsHelp();

} // namespace CloudConsole
