#pragma once

// The shared terminal model (common/terminal) under the names the viewer's code uses. The model
// is the server's too; nothing in it knows about widgets.

#include "terminalmodel.h"

namespace CloudConsole::Viewer {
using Terminal::Cell;
using Terminal::Line;
using Terminal::Rgb;
using Terminal::Scrollback;
using Terminal::TerminalColors;
using Terminal::TerminalCursor;
using Terminal::TerminalModel;
} // namespace CloudConsole::Viewer
