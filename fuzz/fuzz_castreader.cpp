// Fuzzes the reading of asciicast recordings (CastReader, withoutInput) and the UTF-8 text the
// recorder makes of a console's bytes (Utf8Text). A recording read back may be cut off by a
// crash or damaged on disk; the console's bytes are the guest's, anything at all.
//
// Properties, beyond not crashing:
// - the input cut in three pieces reads the same events as the whole;
// - a viewer's copy holds no input event and no input marker, and reads without damage;
// - Utf8Text gives valid UTF-8, the same whatever the pieces, and an event made of it reads
//   back as the same text.

#include "castformat.h"
#include "fuzzcheck.h"

#include <QString>

using namespace CloudConsole;

namespace {

QStringList eventsOf(const QList<QByteArrayView> &pieces, CastReader *reader)
{
    QStringList events;
    for (const QByteArrayView piece : pieces)
        reader->feed(piece, [&events](const CastReader::Event &e) {
            events.append(e.code + QLatin1Char('|') + e.data);
        });
    reader->finish();
    return events;
}

bool validUtf8(const QByteArray &text)
{
    return QString::fromUtf8(text).toUtf8() == text;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));

    CastReader whole;
    const QStringList events = eventsOf({input}, &whole);
    CastReader inPieces;
    FUZZ_CHECK(eventsOf(Fuzz::pieces(input), &inPieces) == events, "pieces read otherwise");
    FUZZ_CHECK(inPieces.malformed() == whole.malformed(), inPieces.malformed());

    const QByteArray copy = withoutInput(input);
    CastReader viewer;
    const QStringList shown = eventsOf({copy}, &viewer);
    FUZZ_CHECK(copy.isEmpty() || viewer.header().has_value(), copy.left(200));
    for (const QString &event : shown) {
        FUZZ_CHECK(!event.startsWith(QLatin1String("i|")), event.left(200));
        FUZZ_CHECK(!event.startsWith(QLatin1String("m|") + QLatin1String(Cast::InputMarkerPrefix)),
                   event.left(200));
    }

    Utf8Text text;
    QByteArray decoded = text.decode(input);
    decoded += text.flush();
    FUZZ_CHECK(validUtf8(decoded), decoded.toHex());
    QByteArray again;
    Utf8Text pieces;
    for (const QByteArrayView piece : Fuzz::pieces(input))
        again += pieces.decode(piece);
    again += pieces.flush();
    FUZZ_CHECK(again == decoded, again.toHex() << decoded.toHex());

    CastReader line;
    QString read;
    line.feed(Cast::header(80, 24, 0, QStringLiteral("t")) + Cast::event(0.5, 'o', decoded),
              [&read](const CastReader::Event &e) { read = e.data; });
    FUZZ_CHECK(read.toUtf8() == decoded, read.toUtf8().toHex() << decoded.toHex());
    return 0;
}
