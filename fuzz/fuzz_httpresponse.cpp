// Fuzzes HttpResponseParser and the vm.info reader behind it: what a Cloud-Hypervisor API socket
// answers (or whatever else listens on the path a ch: source names) is read by these two.
//
// Properties, beyond not crashing:
// - the answer fed in pieces gives what the whole answer gives, before and after the connection
//   closes, since a socket may cut it anywhere;
// - a complete response's body is exactly the bytes after its head, as many as Content-Length
//   says, and never more than MaxBodySize; a refusal says why;
// - ChApiLocator::ptyFromVmInfo names a pty or says why there is none, for either device.

#include "chapilocator.h"
#include "fuzzcheck.h"
#include "httpresponseparser.h"

using CloudConsole::ChApiLocator;
using CloudConsole::HttpResponseParser;
using State = HttpResponseParser::State;

namespace {

bool sameResult(const HttpResponseParser &a, const HttpResponseParser &b)
{
    static const char *const names[]
        = {"Content-Length", "Content-Type", "Transfer-Encoding", "Connection"};
    for (const char *name : names) {
        if (a.header(name) != b.header(name))
            return false;
    }
    return a.state() == b.state() && a.status() == b.status() && a.reason() == b.reason()
        && a.body() == b.body() && a.errorString() == b.errorString();
}

void checkResult(const HttpResponseParser &parser, QByteArrayView input)
{
    if (parser.state() == State::Error) {
        FUZZ_CHECK(!parser.errorString().isEmpty(), "an error without a reason");
        return;
    }
    if (parser.state() != State::Complete)
        return;
    FUZZ_CHECK(parser.status() >= 100 && parser.status() <= 999, parser.status());
    FUZZ_CHECK(parser.body().size() <= HttpResponseParser::MaxBodySize, parser.body().size());
    const qsizetype headEnd = input.indexOf(QByteArrayView("\r\n\r\n"));
    FUZZ_CHECK(headEnd >= 0 && input.sliced(headEnd + 4).startsWith(parser.body()),
               "the body is not the bytes after the head");
    const QByteArray length = parser.header("Content-Length");
    const bool hasBody = parser.status() >= 200 && parser.status() != 204 && parser.status() != 304;
    if (!hasBody)
        FUZZ_CHECK(parser.body().isEmpty(), "status" << parser.status() << "with a body");
    else if (!length.isNull())
        FUZZ_CHECK(parser.body().size() == length.toLongLong(),
                   "Content-Length" << length << "but" << parser.body().size() << "bytes");
}

void checkVmInfo(const QByteArray &body, ChApiLocator::Device device)
{
    QString path;
    QString error;
    const bool found = ChApiLocator::ptyFromVmInfo(body, device, &path, &error);
    FUZZ_CHECK(found ? !path.isEmpty() && error.isEmpty() : path.isEmpty() && !error.isEmpty(),
               found << path << error);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input(data, qsizetype(size));
    HttpResponseParser whole;
    whole.feed(input);
    HttpResponseParser split;
    for (const QByteArrayView piece : CloudConsole::Fuzz::pieces(input))
        split.feed(piece);
    FUZZ_CHECK(sameResult(whole, split),
               "whole" << int(whole.state()) << whole.errorString() << "split" << int(split.state())
                       << split.errorString());
    checkResult(whole, input);

    // The API closes the connection after its answer (ChApiLocator asks with Connection: close).
    const State beforeClose = whole.state();
    whole.finish();
    split.finish();
    FUZZ_CHECK(sameResult(whole, split),
               "after the close: whole" << int(whole.state()) << whole.errorString() << "split"
                                        << int(split.state()) << split.errorString());
    FUZZ_CHECK(beforeClose == State::Incomplete || whole.state() == beforeClose,
               "finish() changed a decided response");
    FUZZ_CHECK(whole.state() != State::Incomplete, "still incomplete after the close");
    checkResult(whole, input);

    if (whole.state() == State::Complete) {
        checkVmInfo(whole.body(), ChApiLocator::Device::Serial);
        checkVmInfo(whole.body(), ChApiLocator::Device::Console);
    }
    return 0;
}
