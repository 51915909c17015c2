#pragma once

// What every fuzz target shares: FUZZ_CHECK, which turns a property that does not hold into a
// finding like any crash, and the cuts at which a target feeds its input in pieces to compare
// the result with the whole input's.
//
// A target is one LLVMFuzzerTestOneInput. The fuzz preset links it with libFuzzer; every other
// build links it with replaymain.cpp, which runs it over the committed corpus and regressions
// under ctest (docs/fuzzing.md).

#include <QByteArrayView>
#include <QDebug>
#include <QList>
#include <QString>

#include <cstdio>
#include <cstdlib>
#include <utility>

// Aborts with the file, the line, the condition and what detail says (anything QDebug prints),
// so libFuzzer keeps the input as a crash- file and a replay under ctest fails loudly. Checked in
// every build type: a fuzz target's properties are the point of it, not a debug aid.
#define FUZZ_CHECK(condition, detail)                                                              \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            QString text_;                                                                         \
            QDebug(&text_) << detail;                                                              \
            CloudConsole::Fuzz::fail(__FILE__, __LINE__, #condition, text_);                       \
        }                                                                                          \
    } while (false)

namespace CloudConsole::Fuzz {

[[noreturn]] inline void fail(const char *file, int line, const char *condition,
                              const QString &detail)
{
    std::fprintf(stderr, "%s:%d: property does not hold: %s\n  %s\n", file, line, condition,
                 qPrintable(detail));
    std::abort();
}

// The input cut in three at two points taken from its own bytes (FNV-1a): the corpus stays the
// plain bytes a peer would send, the same input always takes the same cuts, and any mutation
// moves them. Pieces may be empty, which is a case of its own for a reader.
inline QList<QByteArrayView> pieces(QByteArrayView input)
{
    quint64 hash = 14695981039346656037ull;
    for (const char c : input) {
        hash ^= uchar(c);
        hash *= 1099511628211ull;
    }
    const auto cuts = quint64(input.size()) + 1;
    qsizetype first = qsizetype(hash % cuts);
    qsizetype second = qsizetype((hash >> 32) % cuts);
    if (second < first)
        std::swap(first, second);
    return {input.first(first), input.sliced(first, second - first), input.sliced(second)};
}

} // namespace CloudConsole::Fuzz
