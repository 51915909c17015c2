// cloud-console-viewer: a desktop terminal for one cloud-console console.

#include "consoleconnection.h"
#include "consolesession.h"
#include "terminalmodel.h"
#include "terminalview.h"
#include "viewerwindow.h"

#include <QApplication>
#include <QCommandLineParser>

#include <cstdio>

using namespace CloudConsole::Viewer;

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("cloud-console"));
    QApplication::setApplicationName(QStringLiteral("cloud-console-viewer"));
    QApplication::setApplicationVersion(QStringLiteral(CLOUD_CONSOLE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("A terminal window for a VM console served by cloud-console.\n"
                       "Without an address, asks for one (recent addresses are offered)."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("address"),
                                 QStringLiteral("ws://host:port/c/NAME/ws, the console page URL, "
                                                "or host:port for the default console."),
                                 QStringLiteral("[address]"));
    const QCommandLineOption scrollbackOption(
        QStringLiteral("scrollback"),
        QStringLiteral("Lines of scrollback to keep (default %1).")
            .arg(TerminalModel::DefaultScrollback),
        QStringLiteral("lines"));
    const QCommandLineOption fontSizeOption(QStringLiteral("font-size"),
                                            QStringLiteral("Font size in points."),
                                            QStringLiteral("points"));
    parser.addOption(scrollbackOption);
    parser.addOption(fontSizeOption);
    parser.process(app);

    ViewerWindow window;
    if (parser.isSet(scrollbackOption)) {
        bool ok = false;
        const int lines = parser.value(scrollbackOption).toInt(&ok);
        if (!ok || lines < 0) {
            std::fprintf(stderr, "cloud-console-viewer: --scrollback needs a number of lines\n");
            return 2;
        }
        window.session()->model()->setScrollbackCapacity(lines);
    }
    if (parser.isSet(fontSizeOption)) {
        bool ok = false;
        const double points = parser.value(fontSizeOption).toDouble(&ok);
        if (!ok || points < 4 || points > 100) {
            std::fprintf(stderr, "cloud-console-viewer: --font-size needs 4 to 100 points\n");
            return 2;
        }
        QFont font = window.view()->terminalFont();
        font.setPointSizeF(points);
        window.view()->setTerminalFont(font);
    }

    const QStringList arguments = parser.positionalArguments();
    if (arguments.size() > 1) {
        std::fprintf(stderr, "cloud-console-viewer: one address at most (see --help)\n");
        return 2;
    }
    window.show();
    if (arguments.isEmpty()) {
        if (!window.showConnectDialog())
            return 0;
    } else {
        QString error;
        const std::optional<QUrl> url = ConsoleConnection::normalizeUrl(arguments.first(), &error);
        if (!url) {
            std::fprintf(stderr, "cloud-console-viewer: %s\n", qPrintable(error));
            return 2;
        }
        window.openConsole(*url);
    }
    return app.exec();
}
