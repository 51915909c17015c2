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
bool verifyPassword(const QString &password, const QString &hash);

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
