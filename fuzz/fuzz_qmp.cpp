// Fuzzes QmpReader and the query-chardev reader behind it: what a QEMU QMP socket answers (or
// whatever else listens on the path a qmp: source names) is read by these two.
//
// Properties, beyond not crashing:
// - the stream fed in pieces gives the messages, the verdict and the error the whole stream
//   gives, since a socket may cut it anywhere;
// - a refusal says why;
// - QmpLocator::ptyFromChardevs, given the "return" of any message, names the pty of the first
//   chardev with the asked label, as its filename says ("pty:" and a path), or says why not.

#include "fuzzcheck.h"
#include "qmplocator.h"

using CloudConsole::QmpLocator;
using CloudConsole::QmpReader;

namespace {

struct Outcome
{
    bool ok = true;
    QList<QJsonObject> messages;
    QString error;
};

Outcome read(const QList<QByteArrayView> &pieces)
{
    QmpReader reader;
    Outcome outcome;
    for (const QByteArrayView piece : pieces) {
        // After a refusal the stream is not to be trusted; QmpLocator stops reading it.
        outcome.ok = reader.feed(piece, &outcome.messages, &outcome.error);
        if (!outcome.ok)
            break;
    }
    return outcome;
}

void checkChardevs(const QJsonArray &chardevs, const QString &label)
{
    QString path;
    QString error;
    if (!QmpLocator::ptyFromChardevs(chardevs, label, &path, &error)) {
        FUZZ_CHECK(!error.isEmpty() && path.isEmpty(), error << path);
        return;
    }
    FUZZ_CHECK(!path.isEmpty() && error.isEmpty(), path << error);
    for (const QJsonValue &value : chardevs) {
        const QJsonObject device = value.toObject();
        if (device.value(QLatin1String("label")).toString() != label)
            continue;
        FUZZ_CHECK(device.value(QLatin1String("filename")).toString()
                       == QLatin1String("pty:") + path,
                   "pty" << path << "from" << device);
        return;
    }
    FUZZ_CHECK(false, "pty" << path << "from no chardev labelled" << label);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input(data, qsizetype(size));
    const Outcome whole = read({input});
    const Outcome split = read(CloudConsole::Fuzz::pieces(input));
    FUZZ_CHECK(whole.ok == split.ok && whole.messages == split.messages
                   && whole.error == split.error,
               "whole" << whole.ok << whole.messages.size() << whole.error << "split" << split.ok
                       << split.messages.size() << split.error);
    FUZZ_CHECK(whole.ok || !whole.error.isEmpty(), "a refusal without a reason");

    for (const QJsonObject &message : whole.messages) {
        const QJsonArray chardevs = message.value(QLatin1String("return")).toArray();
        checkChardevs(chardevs, QStringLiteral("serial0"));
        // A label the input chose: the first chardev's, whatever it is.
        if (!chardevs.isEmpty())
            checkChardevs(chardevs,
                          chardevs.first().toObject().value(QLatin1String("label")).toString());
    }
    return 0;
}
