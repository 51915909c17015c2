#pragma once

// ScreenRenderer turns a console's visible screen (ConsoleScreen::Text) into what GET
// /c/NAME/screen answers: plain UTF-8 text for scripts (trailing blanks trimmed), JSON with
// lines, style runs, the cursor, the size and the offset, or an HTML page with a coloured <pre>
// for people. It reads a copy of the screen and keeps nothing; it knows nothing about HTTP.

#include "consolescreen.h"

#include <QByteArray>

namespace CloudConsole {

class ScreenRenderer
{
public:
    static QByteArray text(const ConsoleScreen::Text &screen);
    static QByteArray json(const QString &console, const ConsoleScreen::Text &screen);
    static QByteArray html(const QString &console, const ConsoleScreen::Text &screen);
};

} // namespace CloudConsole
