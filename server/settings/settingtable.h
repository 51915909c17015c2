#pragma once

// Every setting of the server, declared once: its command-line flag, its key in the configuration
// file, the scope it belongs to ([server] or [console NAME]), its default, the values it accepts,
// the line --help shows, and the function that stores a value into the settings model
// (serveroptions.h). The command line (options.cpp) and the configuration file (configfile.cpp)
// are thin readers over this table; --help is written from it; tst_settings checks the man page
// and docs/config.md against it. Adding a setting is adding one entry to settingtable.cpp.
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

    Scope scope = Scope::Server;
    const char *flag = nullptr; // "history-size" for --history-size; nullptr: only in the file
    const char *shortFlag = nullptr; // "h" for -h
    const char *valueName = nullptr; // the flag's value in --help ("SIZE"); nullptr: a switch
    const char *switchValue = nullptr; // what a switch sets the key to ("off" for --no-markers)
    const char *key = nullptr; // the key in its section; nullptr: only on the command line
    const char *defaultText = nullptr; // the default as a value of the key; nullptr: none
    const char *range = nullptr; // the values accepted, for --help ("4K to 1G")
    const char *doc = nullptr; // what the flag does, for --help
    bool required = false; // a console without it is refused (source)
    bool afterSource = false; // applied once the console's source is known (restart)
    bool followsServer = false; // defaultText names the [server] key the console follows
    ServerApply applyServer = nullptr;
    ConsoleApply applyConsole = nullptr;
    Inherit inherit = nullptr; // copies the [server] value a console follows, if not at use

    // Builders, so that the table reads as sentences.
    constexpr Setting onCommandLine(const char *name, const char *value = nullptr) const
    {
        Setting s = *this;
        s.flag = name;
        s.valueName = value;
        return s;
    }
    constexpr Setting asSwitch(const char *name, const char *value) const
    {
        Setting s = *this;
        s.flag = name;
        s.switchValue = value;
        return s;
    }
    constexpr Setting alsoShort(const char *name) const
    {
        Setting s = *this;
        s.shortFlag = name;
        return s;
    }
    constexpr Setting inFile(const char *name) const
    {
        Setting s = *this;
        s.key = name;
        return s;
    }
    constexpr Setting byDefault(const char *text) const
    {
        Setting s = *this;
        s.defaultText = text;
        return s;
    }
    constexpr Setting following(const char *serverKey, Inherit how) const
    {
        Setting s = *this;
        s.defaultText = serverKey;
        s.followsServer = true;
        s.inherit = how;
        return s;
    }
    constexpr Setting accepting(const char *text) const
    {
        Setting s = *this;
        s.range = text;
        return s;
    }
    constexpr Setting doing(const char *text) const
    {
        Setting s = *this;
        s.doc = text;
        return s;
    }
    constexpr Setting mandatory() const
    {
        Setting s = *this;
        s.required = true;
        return s;
    }
    constexpr Setting onceTheSourceIsKnown() const
    {
        Setting s = *this;
        s.afterSource = true;
        return s;
    }

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
