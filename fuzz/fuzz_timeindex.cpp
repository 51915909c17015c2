// Fuzzes the reading of a log's time index (TimeIndexDecoder, TimeIndex): the file is read back
// after a crash, a full disk or damage on disk, and must be read up to its damage, never beyond.
//
// Properties, beyond not crashing:
// - the input cut in three pieces reads the same segments and the same valid length;
// - the valid length is the header and whole records, within the input;
// - within a segment, marks never go back, and offsets follow positions;
// - every lookup answers within what the index says.

#include "fuzzcheck.h"
#include "timeindex.h"

using namespace CloudConsole;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));
    TimeIndexDecoder whole;
    whole.feed(input);
    TimeIndexDecoder inPieces;
    for (const QByteArrayView piece : Fuzz::pieces(input))
        inPieces.feed(piece);
    FUZZ_CHECK(inPieces.validBytes() == whole.validBytes(), inPieces.validBytes());
    FUZZ_CHECK(inPieces.segments().size() == whole.segments().size(), inPieces.segments().size());
    FUZZ_CHECK(inPieces.damaged() == whole.damaged(), whole.error());

    const qint64 valid = whole.validBytes();
    FUZZ_CHECK(valid <= qint64(size), valid);
    FUZZ_CHECK(valid == 0
                   || (valid - TimeIndexFormat::HeaderSize) % TimeIndexFormat::RecordSize == 0,
               valid);
    for (const IndexSegment &segment : whole.segments()) {
        qint64 last = segment.position;
        for (const IndexSegment::Mark &mark : segment.marks) {
            FUZZ_CHECK(mark.position >= last, mark.position << last);
            FUZZ_CHECK(mark.position - segment.position == mark.offset - segment.offset,
                       mark.position << mark.offset);
            last = mark.position;
        }
    }
    const TimeIndex index = TimeIndex::fromSegments(whole.segments());
    for (const IndexSegment &segment : index.segments()) {
        const auto place = index.at(segment.inode, segment.device, segment.position);
        FUZZ_CHECK(place.has_value(), segment.position);
        index.firstAtOrAfter(segment.inode, segment.device, segment.timeMs);
        index.endAfter(segment.inode, segment.device, segment.timeMs);
    }
    return 0;
}
