#pragma once

// LineText is what search matches and shows of one line of a console's log: its text without
// terminal escape sequences and controls, by the same rules as the alert rules' LineReader (CSI,
// OSC, DCS and the other strings, two- and three-byte ESC sequences removed; C0 controls but tab
// dropped), on one line the log already ended (at LF). A CR inside the line (a progress bar
// drawing over itself, a prompt redrawn) shows as a space; a CR at its end is dropped. A line
// that holds nothing to remove, most of them, is returned as it is without a copy.
//
// It owns nothing and knows nothing of files (fuzzed: docs/fuzzing.md).

#include <QByteArray>
#include <QByteArrayView>

namespace CloudConsole::LineText {

// Whether line holds anything strip() would remove or change.
bool needsStripping(QByteArrayView line);
QByteArray strip(QByteArrayView line);

} // namespace CloudConsole::LineText
