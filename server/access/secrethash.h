#pragma once

// Secrets are stored hashed: a user's password as PBKDF2-HMAC-SHA256 with a random salt
// ("pbkdf2-sha256$ITERATIONS$SALT$KEY", base64), slow on purpose since passwords are guessable;
// a token as plain SHA-256 ("sha256$HEX"), since tokens are 256 random bits and cannot be
// guessed. Comparisons take the same time whatever matches. `cloud-console --hash-password`
// and `--new-token` print what goes into the configuration.

#include <QString>

namespace CloudConsole::SecretHash {

constexpr int DefaultIterations = 100'000;

QString hashPassword(const QString &password, int iterations = DefaultIterations);
// Whether password is hash's. With work, the check does at least that many PBKDF2 iterations in
// all: a hash with fewer is checked and then more is derived and thrown away, and a malformed
// hash costs the whole work, so that checks against hashes of different counts take the same
// time.
bool verifyPassword(const QString &password, const QString &hash, int work = 0);
// The iteration count of a password hash; 0 if text is not one.
int passwordIterations(const QString &hash);
// A well-formed password hash that no password is known to match: a random salt and a random key
// rather than a derived one (no password matches it but by finding a PBKDF2 preimage), so it is
// made at once, yet checking a password against it costs as much as against a real hash of as
// many iterations.
QString decoyPasswordHash(int iterations);

// A new random token, base64url without padding (43 characters).
QString newToken();
QString hashToken(const QString &token);
bool verifyToken(const QString &token, const QString &hash);

// Whether text is a well-formed hash of its kind, for the configuration's error messages.
bool isPasswordHash(const QString &text, QString *error);
bool isTokenHash(const QString &text, QString *error);

// Equal in time independent of where the first difference is.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

} // namespace CloudConsole::SecretHash
