// Fuzzes LineReader, which reads every byte a guest prints into the text lines that alert rules
// match, and the built-in rules on what it gives. The bytes are the guest's: a crashed or hostile
// guest prints anything, in reads of any size.
//
// Properties, beyond not crashing:
// - the input cut in three pieces, or fed a byte at a time, gives the lines and the pending line
//   the whole gives;
// - a line is not empty, at most MaxLine bytes (exactly MaxLine when cut), and holds no control
//   but tab: no escape sequence survives; the pending line likewise;
// - line offsets increase and lie within the input;
// - the built-in rules raise at most one alert per rule and line.

#include "alertmatcher.h"
#include "fuzzcheck.h"
#include "linereader.h"

using namespace CloudConsole;

namespace {

struct Reading
{
    std::vector<LineReader::Line> lines;
    LineReader::Line pending;
};

Reading read(const QList<QByteArrayView> &pieces)
{
    Reading reading;
    LineReader reader;
    qint64 offset = 0;
    for (const QByteArrayView piece : pieces) {
        reader.feed(offset, piece,
                    [&reading](const LineReader::Line &line) { reading.lines.push_back(line); });
        offset += piece.size();
    }
    reading.pending = reader.pending();
    return reading;
}

bool same(const Reading &a, const Reading &b)
{
    if (a.lines.size() != b.lines.size() || a.pending.text != b.pending.text
        || (!a.pending.text.isEmpty() && a.pending.offset != b.pending.offset))
        return false;
    for (size_t i = 0; i < a.lines.size(); ++i) {
        if (a.lines[i].text != b.lines[i].text || a.lines[i].offset != b.lines[i].offset
            || a.lines[i].truncated != b.lines[i].truncated)
            return false;
    }
    return true;
}

void checkText(const QByteArray &text)
{
    for (const char c : text)
        FUZZ_CHECK((uchar(c) >= 0x20 && uchar(c) != 0x7f) || c == '\t',
                   "control" << int(uchar(c)) << "in" << text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));
    const Reading whole = read({input});

    qint64 last = -1;
    for (const LineReader::Line &line : whole.lines) {
        FUZZ_CHECK(!line.text.isEmpty(), "an empty line at" << line.offset);
        FUZZ_CHECK(line.text.size() <= LineReader::MaxLine, line.text.size());
        FUZZ_CHECK(!line.truncated || line.text.size() == LineReader::MaxLine, line.text.size());
        FUZZ_CHECK(line.offset > last && line.offset < qint64(size),
                   line.offset << "after" << last << "of" << size);
        last = line.offset;
        checkText(line.text);
    }
    FUZZ_CHECK(whole.pending.text.size() < LineReader::MaxLine, whole.pending.text.size());
    checkText(whole.pending.text);

    FUZZ_CHECK(same(read(Fuzz::pieces(input)), whole), "pieces read otherwise than the whole");
    QList<QByteArrayView> bytes;
    for (qsizetype i = 0; i < input.size(); ++i)
        bytes.append(input.sliced(i, 1));
    FUZZ_CHECK(same(read(bytes), whole), "bytes one at a time read otherwise than the whole");

    AlertMatcher matcher(builtinAlertRules());
    for (const LineReader::Line &line : whole.lines) {
        const size_t alerts = matcher.matchLine(line, 0, 0).size();
        FUZZ_CHECK(alerts <= builtinAlertRules().size(), alerts);
    }
    if (!whole.pending.text.isEmpty())
        matcher.matchPartial(whole.pending, 0, 0);
    return 0;
}
