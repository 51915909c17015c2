#pragma once

// ShareLinks issues and checks read-only links to one console that expire: an operator makes
// one (the page, or `cloud-console --share`), whoever opens it gets a viewer's session of that
// console alone until the link expires or is revoked. The server and the command line share the
// state directory, and so the links:
//
//   share.key    32 random bytes (0600) that sign every link; made on first use, by link(2) of a
//                finished temporary file, so that two processes making it at once agree on one;
//                refused when group or others may read it
//   shares.json  the links issued: id, console, created, expires, single-use, created-by,
//                used-at, revoked. Never a token: a link's secret is its signature, given once.
//   shares.lock  flock(2)ed around every change of shares.json (written whole, by rename), so
//                that the server and the command line never lose each other's changes
//
// A link's token is base64url(payload) "." base64url(HMAC-SHA256(key, payload)), the payload
// being a version byte, the id (6 random bytes), the expiry (seconds since the epoch, 8 bytes
// big-endian), the flags (single-use) and the console's name: a changed byte anywhere fails
// the signature. A session opened from a link is a cookie of its id and a signature of that id
// under another label; it is checked against shares.json at every request, which is read again
// whenever it changed, so a revocation from the command line applies at once.
//
// It owns the files and a cache of shares.json; every member may be called from any thread. It
// knows nothing of HTTP, cookies' attributes or consoles beyond their names.

#include "authenticator.h"

#include <QDateTime>
#include <QHash>
#include <QMutex>
#include <QString>

#include <chrono>
#include <map>
#include <optional>
#include <vector>

namespace CloudConsole {

struct ShareLink
{
    enum class State { Live, Expired, Revoked, Used };

    QString id; // 12 hex digits; not secret
    QString console;
    QDateTime created; // UTC, to the second
    QDateTime expires;
    bool singleUse = false;
    QString createdBy;
    QDateTime usedAt; // when a single-use link was opened; null until then
    bool revoked = false;

    State state(const QDateTime &now) const;
};

class ShareLinks
{
public:
    static constexpr const char *CookieName = "cc_share";
    static constexpr std::chrono::seconds MaxLifetime {24 * 3600};
    static constexpr std::chrono::seconds DefaultLifetime {3600};
    // Links in shares.json at once (those past their expiry for a day are forgotten first).
    static constexpr int MaxLinks = 1000;
    // A token is about 150 characters; anything much longer is not one.
    static constexpr int MaxTokenLength = 512;

    // How a link or a share session was found. The names (verdictName) are /metrics' results.
    enum class Verdict {
        Valid,
        Invalid, // not signed with this server's key: tampered, cut, or another server's
        Unknown, // signed, but not in shares.json (the list was removed)
        Expired,
        Revoked,
        Used, // a single-use link opened before
        Unavailable, // the state directory or the key cannot be used (the error says why)
    };
    struct Check
    {
        Verdict verdict = Verdict::Invalid;
        ShareLink link; // when the token was signed with this server's key
        QString error; // Unavailable: why
    };
    struct Issued
    {
        ShareLink link;
        QString token; // the secret part of the URL: share/TOKEN
    };

    // stateDir empty: defaultStateDir().
    explicit ShareLinks(const QString &stateDir = {});
    ShareLinks(const ShareLinks &) = delete;
    ShareLinks &operator=(const ShareLinks &) = delete;

    void setStateDir(const QString &stateDir);
    QString stateDir() const;
    // $STATE_DIRECTORY (systemd's StateDirectory=, the first of several), else
    // /var/lib/cloud-console for root, else $XDG_STATE_HOME/cloud-console, else
    // ~/.local/state/cloud-console.
    static QString defaultStateDir();

    // A new link; lifetime 1 s to MaxLifetime. Makes the state directory (0700) and the key on
    // first use. nullopt and *error when it cannot.
    std::optional<Issued> create(const QString &console, std::chrono::seconds lifetime,
                                 bool singleUse, const QString &createdBy, QString *error);
    // Every link shares.json holds (of one console, when named), newest first.
    std::vector<ShareLink> list(const QString &console, QString *error);
    // Revokes a link: its sessions end at their next request. False and *error for an unknown id.
    bool revoke(const QString &id, ShareLink *revoked, QString *error);

    // What a link's token is worth now, without using it up.
    Check check(const QString &token);
    // Opens a link: check(), and a single-use link is used up (under the lock, so that of two
    // processes opening it at once only one succeeds).
    Check open(const QString &token);
    // The cookie value of a session opened from link (never the token).
    QString sessionValue(const ShareLink &link);
    // What a session's cookie value is worth now: Valid while its link is neither revoked nor
    // expired (a single-use link's session outlives its one use).
    Check session(const QString &cookieValue);
    // The session's principal: a viewer of the link's console alone.
    static Principal principalOf(const ShareLink &link);

    static QString verdictName(Verdict verdict);
    // A sentence for the person who opened the link.
    static QString verdictText(const Check &check);
    // Counts one use of a link by its result (verdictName, or "opened", "wrong-console", ...),
    // for /metrics; and the counts.
    void count(const QString &result);
    std::map<QString, qint64> counts() const;

private:
    struct Stamp
    {
        qint64 device = -1;
        qint64 inode = -1;
        qint64 mtimeNs = -1;
        qint64 ctimeNs = -1; // a chmod changes it: a key made readable is refused at once
        qint64 size = -1;
        bool operator==(const Stamp &other) const
        {
            return device == other.device && inode == other.inode && mtimeNs == other.mtimeNs
                && ctimeNs == other.ctimeNs && size == other.size;
        }
    };
    static Stamp stampOf(const QString &path);

    QString path(const char *file) const;
    bool ensureDirectory(QString *error) const;
    // The key, read (and made, with create) when needed; empty and *error when unusable.
    QByteArray key(bool create, QString *error);
    QByteArray readKey(QString *error) const;
    QByteArray mac(const QByteArray &label, const QByteArray &data, const QByteArray &key) const;
    // shares.json read again when it changed since the last read; false and *error if unreadable.
    bool refresh(QString *error);
    bool parseList(const QByteArray &json, QHash<QString, ShareLink> *links, QString *error) const;
    QByteArray serialize(const QHash<QString, ShareLink> &links) const;
    // Reads the list fresh under the lock, lets change() edit it (false: nothing to write, and
    // *error if that is why), and writes it back.
    template<typename Change> bool update(Change change, QString *error);
    // The signed contents of a token, or nullopt.
    std::optional<ShareLink> decode(const QString &token, const QByteArray &key) const;
    Check judge(const ShareLink &signedLink, const QDateTime &now) const;

    mutable QMutex m_mutex; // guards everything below
    QString m_stateDir;
    QByteArray m_key;
    Stamp m_keyStamp;
    QHash<QString, ShareLink> m_links; // by id, as shares.json last read
    Stamp m_listStamp;
    std::map<QString, qint64> m_counts;
};

} // namespace CloudConsole
