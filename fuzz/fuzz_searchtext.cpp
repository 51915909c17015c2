// Fuzzes what search reads from strangers: the query string of GET /c/NAME/search
// (SearchQuery::parse), and the log's lines it cleans for matching and showing (LineText).
//
// Properties, beyond not crashing:
// - a query is accepted only with a text of 1 to MaxText characters, a limit and context in
//   range, and a valid pattern when regex=1;
// - a cleaned line holds no control but tab, is no longer than the line, and is the same when
//   cleaned again.

#include "fuzzcheck.h"
#include "linetext.h"
#include "logsearch.h"

using namespace CloudConsole;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));

    QString why;
    const std::optional<SearchQuery> query = SearchQuery::parse(
        QString::fromUtf8(input.first(std::min<qsizetype>(input.size(), 4096))), &why);
    if (query) {
        FUZZ_CHECK(!query->text.isEmpty() && query->text.size() <= SearchQuery::MaxText,
                   query->text.size());
        FUZZ_CHECK(query->limit >= 1 && query->limit <= SearchQuery::MaxLimit, query->limit);
        FUZZ_CHECK(query->context >= 0 && query->context <= SearchQuery::MaxContext,
                   query->context);
        FUZZ_CHECK(!query->regex || query->pattern.isValid(), query->text);
    } else {
        FUZZ_CHECK(!why.isEmpty(), "refused without a reason");
    }

    const QByteArray text = LineText::strip(input);
    FUZZ_CHECK(text.size() <= input.size(), text.size());
    for (const char c : text)
        FUZZ_CHECK((uchar(c) >= 0x20 && uchar(c) != 0x7f) || c == '\t', int(uchar(c)));
    FUZZ_CHECK(!LineText::needsStripping(text), text.toHex());
    FUZZ_CHECK(LineText::strip(text) == text, text.toHex());
    return 0;
}
