// Fuzzes ShareLinks' reading of what a share link's visitor sends: the token of share/TOKEN and
// the value of the cc_share cookie, both from anyone (server/access/sharelinks.h).
//
// Properties, beyond not crashing:
// - only the very token the server issued is read as signed (any verdict but invalid), and as the
//   link it was issued for: any other text, however close to it, is invalid;
// - likewise only the very session value the server gave is a session, of that link.
//
// The key is made anew in every run, so no seed can hold a valid token. An input is therefore
// read either as a text of its own (first byte even), or as an edit of the issued token or
// session value (first byte odd; bit 1 picks which): the second byte is where, and the rest
// overwrites the text from there. libFuzzer so explores the texts one edit away from valid ones.

#include "fuzzcheck.h"
#include "sharelinks.h"

#include <QTemporaryDir>

#include <memory>

using CloudConsole::ShareLink;
using CloudConsole::ShareLinks;

namespace {

struct Fixture
{
    QTemporaryDir dir;
    std::unique_ptr<ShareLinks> links;
    ShareLinks::Issued issued;
    QString session;
};

// One link, made at the first input, in a state directory of its own that goes at exit.
std::unique_ptr<Fixture> made;

Fixture &fixture()
{
    if (made)
        return *made;
    made = std::make_unique<Fixture>();
    made->links = std::make_unique<ShareLinks>(made->dir.path() + QStringLiteral("/state"));
    QString error;
    const auto issued = made->links->create(QStringLiteral("vm1"), std::chrono::hours(1), false,
                                            QStringLiteral("fuzz"), &error);
    FUZZ_CHECK(issued, "cannot make the link to fuzz around:" << error);
    made->issued = *issued;
    made->session = made->links->sessionValue(issued->link);
    FUZZ_CHECK(!made->session.isEmpty(), "no session value");
    return *made;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Fixture &f = fixture();
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    QString text;
    if (input.size() >= 2 && (input[0] & 1)) {
        const QString base = (input[0] & 2) ? f.session : f.issued.token;
        const qsizetype at = qsizetype(uchar(input[1])) % (base.size() + 1);
        const QString edit = QString::fromLatin1(input.sliced(2));
        text = base.left(at) + edit + base.mid(at + edit.size());
    } else {
        text = QString::fromLatin1(input);
    }

    const ShareLinks::Check link = f.links->check(text);
    if (link.verdict != ShareLinks::Verdict::Invalid) {
        FUZZ_CHECK(text == f.issued.token,
                   "a text the server did not issue is read as signed ("
                       << ShareLinks::verdictName(link.verdict) << "):" << text);
        FUZZ_CHECK(link.verdict == ShareLinks::Verdict::Valid && link.link.id == f.issued.link.id
                       && link.link.console == QLatin1String("vm1"),
                   "the issued token reads as" << ShareLinks::verdictName(link.verdict)
                                               << link.link.id << link.link.console);
    } else {
        FUZZ_CHECK(text != f.issued.token, "the issued token is read as invalid");
    }

    const ShareLinks::Check session = f.links->session(text);
    if (session.verdict != ShareLinks::Verdict::Invalid) {
        FUZZ_CHECK(text == f.session,
                   "a text the server did not give is a session ("
                       << ShareLinks::verdictName(session.verdict) << "):" << text);
        FUZZ_CHECK(session.verdict == ShareLinks::Verdict::Valid
                       && session.link.id == f.issued.link.id,
                   "the session value reads as" << ShareLinks::verdictName(session.verdict));
    } else {
        FUZZ_CHECK(text != f.session, "the session value is read as invalid");
    }
    return 0;
}
