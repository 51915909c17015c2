// Runs a fuzz target over files, without libFuzzer: how builds other than the fuzz preset (gcc,
// the release and sanitizer presets) check the committed seeds and regression inputs under
// ctest. Arguments are files, or directories whose files are all run, in name order.
//
// libFuzzer's own main does the same for one file (`fuzz_NAME FILE`), but only in the fuzz
// preset; this keeps every regression input a test in every build.

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStringList>

#include <cstdint>
#include <cstdio>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

bool replay(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "cannot read %s: %s\n", qPrintable(path),
                     qPrintable(file.errorString()));
        return false;
    }
    const QByteArray input = file.readAll();
    // Said first, so the input is named when the target aborts on it.
    std::fprintf(stderr, "replaying %s (%lld bytes)\n", qPrintable(path),
                 static_cast<long long>(input.size()));
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(input.constData()),
                           size_t(input.size()));
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    int count = 0;
    for (int i = 1; i < argc; ++i) {
        const QString path = QFile::decodeName(argv[i]);
        QStringList files;
        if (QFileInfo(path).isDir()) {
            for (const QString &name : QDir(path).entryList(QDir::Files, QDir::Name))
                files.append(QDir(path).filePath(name));
        } else {
            files.append(path);
        }
        for (const QString &file : files) {
            if (!replay(file))
                return 1;
            ++count;
        }
    }
    // No input at all is a mistake in the test's arguments, not a pass.
    if (count == 0) {
        std::fprintf(stderr, "usage: %s FILE|DIR...: no input to replay\n", argv[0]);
        return 1;
    }
    std::printf("%d inputs replayed\n", count);
    return 0;
}
