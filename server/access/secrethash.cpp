#include "secrethash.h"

#include <QCryptographicHash>
#include <QPasswordDigestor>
#include <QRandomGenerator>
#include <QStringList>

namespace CloudConsole::SecretHash {

namespace {

constexpr int KeyBytes = 32;
constexpr int SaltBytes = 16;
constexpr int MinIterations = 10'000;
constexpr int MaxIterations = 1'000'000;

QByteArray randomBytes(int count)
{
    QByteArray bytes(count, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(bytes.data()),
                                         reinterpret_cast<quint32 *>(bytes.data() + count));
    return bytes;
}

struct Pbkdf2
{
    int iterations = 0;
    QByteArray salt;
    QByteArray key;
};

bool parsePbkdf2(const QString &text, Pbkdf2 *out, QString *error)
{
    const QStringList parts = text.split(u'$');
    if (parts.size() != 4 || parts[0] != QLatin1String("pbkdf2-sha256")) {
        *error = QStringLiteral("expected pbkdf2-sha256$ITERATIONS$SALT$KEY (make one with "
                                "cloud-console --hash-password)");
        return false;
    }
    bool ok = false;
    out->iterations = parts[1].toInt(&ok);
    if (!ok || out->iterations < MinIterations || out->iterations > MaxIterations) {
        *error
            = QStringLiteral("iterations must be %1 to %2").arg(MinIterations).arg(MaxIterations);
        return false;
    }
    const auto decode = [](const QString &part, QByteArray *bytes) {
        const auto result = QByteArray::fromBase64Encoding(part.toLatin1(),
                                                           QByteArray::AbortOnBase64DecodingErrors);
        *bytes = result.decoded;
        return bool(result);
    };
    if (!decode(parts[2], &out->salt) || out->salt.size() < 8 || !decode(parts[3], &out->key)
        || out->key.size() != KeyBytes) {
        *error = QStringLiteral("the salt or key is not valid base64 of the right size");
        return false;
    }
    return true;
}

QByteArray derive(const QString &password, const QByteArray &salt, int iterations)
{
    return QPasswordDigestor::deriveKeyPbkdf2(QCryptographicHash::Sha256, password.toUtf8(), salt,
                                              iterations, KeyBytes);
}

} // namespace

QString hashPassword(const QString &password, int iterations)
{
    const QByteArray salt = randomBytes(SaltBytes);
    return QStringLiteral("pbkdf2-sha256$%1$%2$%3")
        .arg(iterations)
        .arg(QString::fromLatin1(salt.toBase64()),
             QString::fromLatin1(derive(password, salt, iterations).toBase64()));
}

bool verifyPassword(const QString &password, const QString &hash, int work)
{
    Pbkdf2 parsed;
    QString error;
    const bool wellFormed = parsePbkdf2(hash, &parsed, &error);
    const bool matches = wellFormed
        && constantTimeEquals(derive(password, parsed.salt, parsed.iterations), parsed.key);
    // PBKDF2 costs the same for every iteration, so the time a check takes tells its iteration
    // count; the rest of the work, derived and thrown away, makes every check take work's time.
    const int done = wellFormed ? parsed.iterations : 0;
    if (work > done)
        static_cast<void>(derive(password, QByteArray(SaltBytes, '\0'), work - done));
    return matches;
}

int passwordIterations(const QString &hash)
{
    Pbkdf2 parsed;
    QString error;
    return parsePbkdf2(hash, &parsed, &error) ? parsed.iterations : 0;
}

QString decoyPasswordHash(int iterations)
{
    return QStringLiteral("pbkdf2-sha256$%1$%2$%3")
        .arg(iterations)
        .arg(QString::fromLatin1(randomBytes(SaltBytes).toBase64()),
             QString::fromLatin1(randomBytes(KeyBytes).toBase64()));
}

QString newToken()
{
    return QString::fromLatin1(
        randomBytes(32).toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QString hashToken(const QString &token)
{
    return QStringLiteral("sha256$")
        + QString::fromLatin1(
               QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256).toHex());
}

bool verifyToken(const QString &token, const QString &hash)
{
    return constantTimeEquals(hashToken(token).toLatin1(), hash.toLatin1());
}

bool isPasswordHash(const QString &text, QString *error)
{
    Pbkdf2 parsed;
    return parsePbkdf2(text, &parsed, error);
}

bool isTokenHash(const QString &text, QString *error)
{
    static const QString prefix = QStringLiteral("sha256$");
    const QString hex = text.mid(prefix.size());
    const bool ok = text.startsWith(prefix) && hex.size() == 64
        && std::all_of(hex.begin(), hex.end(), [](QChar c) {
                        return (c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f');
                    });
    if (!ok)
        *error = QStringLiteral("expected sha256$ and 64 lowercase hex digits (make one with "
                                "cloud-console --new-token)");
    return ok;
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

} // namespace CloudConsole::SecretHash
