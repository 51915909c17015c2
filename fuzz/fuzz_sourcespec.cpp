// Fuzzes parseSourceSpec, which reads a console source as written on the command line or in a
// configuration file (pty, exec, unix, tcp, telnet, serial, ch, qmp).
//
// Properties, beyond not crashing:
// - a refusal says why;
// - what parses has a canonical form (SourceSpec::toString(), which the status page, the
//   metrics, /consoles.json and error messages show) that parses back to the same spec, and is
//   its own canonical form: an operator can copy what the server shows back into a config.

#include "fuzzcheck.h"
#include "sourcespec.h"

using CloudConsole::SourceSpec;

namespace {

bool sameSpec(const SourceSpec &a, const SourceSpec &b)
{
    const auto &e = a.endpoint;
    const auto &f = b.endpoint;
    const auto &s = a.serial;
    const auto &t = b.serial;
    return a.kind == b.kind && a.target == b.target && a.device == b.device
        && a.chardev == b.chardev && a.restart == b.restart && e.transport == f.transport
        && e.path == f.path && e.host == f.host && e.port == f.port && s.path == t.path
        && s.baud == t.baud && s.dataBits == t.dataBits && s.parity == t.parity
        && s.stopBits == t.stopBits && s.flow == t.flow;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    const auto spec = CloudConsole::parseSourceSpec(text, &error);
    if (!spec) {
        FUZZ_CHECK(!error.isEmpty(), "refused without a reason:" << text);
        return 0;
    }
    const QString canonical = spec->toString();
    QString again;
    const auto reparsed = CloudConsole::parseSourceSpec(canonical, &again);
    FUZZ_CHECK(reparsed,
               "the canonical form" << canonical << "of" << text << "does not parse:" << again);
    FUZZ_CHECK(sameSpec(*reparsed, *spec),
               "the canonical form" << canonical << "of" << text << "parses to another spec");
    FUZZ_CHECK(reparsed->toString() == canonical,
               "the canonical form" << canonical << "is written again as" << reparsed->toString());
    return 0;
}
