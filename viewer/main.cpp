// cloud-console-viewer: a desktop terminal for one cloud-console console.

#include "consoleconnection.h"
#include "consolesession.h"
#include "terminal.h"
#include "terminalview.h"
#include "viewerwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFile>

#include <algorithm>
#include <cstdio>
#include <cstring>

using namespace CloudConsole::Viewer;

namespace {

struct Options
{
    QCommandLineOption scrollback {QStringLiteral("scrollback"),
                                   QStringLiteral("Lines of scrollback to keep (default %1).")
                                       .arg(TerminalModel::DefaultScrollback),
                                   QStringLiteral("lines")};
    QCommandLineOption fontSize {QStringLiteral("font-size"),
                                 QStringLiteral("Font size in points."), QStringLiteral("points")};
    QCommandLineOption tokenFile {
        QStringLiteral("token-file"),
        QStringLiteral("Read a token for a server with access control from this file (it is "
                       "sent as Authorization: Bearer). $CLOUD_CONSOLE_TOKEN works too."),
        QStringLiteral("file")};
};

void setUp(QCommandLineParser &parser, const Options &options)
{
    QCoreApplication::setOrganizationName(QStringLiteral("cloud-console"));
    QCoreApplication::setApplicationName(QStringLiteral("cloud-console-viewer"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CLOUD_CONSOLE_VERSION));
    parser.setApplicationDescription(
        QStringLiteral("A terminal window for a VM console served by cloud-console.\n"
                       "Without an address, asks for one (recent addresses are offered)."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("address"),
                                 QStringLiteral("ws://host:port/c/NAME/ws, the console page URL, "
                                                "or host:port for the default console."),
                                 QStringLiteral("[address]"));
    parser.addOption(options.scrollback);
    parser.addOption(options.fontSize);
    parser.addOption(options.tokenFile);
}

int fail(const QString &message)
{
    std::fprintf(stderr, "cloud-console-viewer: %s\n", qPrintable(message));
    return 2;
}

} // namespace

int main(int argc, char *argv[])
{
    const Options options;
    // --help and --version must work without a display, so they are answered before the
    // QApplication (which needs one) exists.
    const bool textOnly = std::any_of(argv + 1, argv + argc, [](const char *argument) {
        return !std::strcmp(argument, "-h") || !std::strcmp(argument, "--help")
            || !std::strcmp(argument, "-v") || !std::strcmp(argument, "--version")
            || !std::strcmp(argument, "--help-all");
    });
    if (textOnly) {
        QCoreApplication core(argc, argv);
        QCommandLineParser parser;
        setUp(parser, options);
        parser.process(core); // prints and exits
        return 0;
    }

    QApplication app(argc, argv);
    QCommandLineParser parser;
    setUp(parser, options);
    parser.process(app);

    std::optional<QUrl> url;
    const QStringList arguments = parser.positionalArguments();
    if (arguments.size() > 1)
        return fail(QStringLiteral("one address at most (see --help)"));
    if (!arguments.isEmpty()) {
        QString error;
        url = ConsoleConnection::normalizeUrl(arguments.first(), &error);
        if (!url)
            return fail(error);
    }

    ViewerWindow window;
    if (parser.isSet(options.scrollback)) {
        bool ok = false;
        const int lines = parser.value(options.scrollback).toInt(&ok);
        if (!ok || lines < 0 || lines > 1'000'000)
            return fail(QStringLiteral("--scrollback needs 0 to 1000000 lines"));
        window.session()->model()->setScrollbackCapacity(lines);
    }
    if (parser.isSet(options.fontSize)) {
        bool ok = false;
        const double points = parser.value(options.fontSize).toDouble(&ok);
        if (!ok || points < 4 || points > 100)
            return fail(QStringLiteral("--font-size needs 4 to 100 points"));
        QFont font = window.view()->terminalFont();
        font.setPointSizeF(points);
        window.view()->setTerminalFont(font);
    }

    // A token file, not an argument: arguments are visible to every user in ps.
    QString token = qEnvironmentVariable("CLOUD_CONSOLE_TOKEN");
    if (parser.isSet(options.tokenFile)) {
        QFile file(parser.value(options.tokenFile));
        if (!file.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("cannot read the token file %1: %2")
                            .arg(file.fileName(), file.errorString()));
        token = QString::fromUtf8(file.readAll()).trimmed();
        if (token.isEmpty())
            return fail(QStringLiteral("the token file %1 is empty").arg(file.fileName()));
    }
    window.session()->connection()->setBearerToken(token);

    window.show();
    if (url)
        window.openConsole(*url);
    else if (!window.showConnectDialog())
        return 0;
    return app.exec();
}
