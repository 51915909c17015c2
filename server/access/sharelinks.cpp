#include "sharelinks.h"

#include "secrethash.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSaveFile>
#include <QtEndian>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace CloudConsole {

namespace {

constexpr char KeyFile[] = "share.key";
constexpr char ListFile[] = "shares.json";
constexpr char LockFile[] = "shares.lock";
constexpr int KeySize = 32;
constexpr int IdSize = 6;
constexpr char TokenVersion = 1;
constexpr char SingleUseFlag = 0x01;
// What each signature is of, so that a session's signature is never a link's and back.
constexpr char LinkLabel[] = "cloud-console share link v1";
constexpr char SessionLabel[] = "cloud-console share session v1";
// Links past their expiry are listed for a day, then forgotten.
constexpr qint64 ForgetAfterSeconds = 24 * 3600;

constexpr auto Base64Url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

QString errnoText()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

// A file descriptor closed when it goes.
class Fd
{
public:
    explicit Fd(int fd) : m_fd(fd) { }
    ~Fd()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    int get() const { return m_fd; }

private:
    int m_fd;
};

// Only the one way of writing the bytes: Qt's decoder ignores the unused low bits of the last
// character, so that several texts would otherwise read as one token.
std::optional<QByteArray> fromBase64Url(QByteArrayView text)
{
    auto decoded = QByteArray::fromBase64Encoding(
        text.toByteArray(), Base64Url | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.toBase64(Base64Url) != text)
        return std::nullopt;
    return *decoded;
}

bool validConsoleName(const QString &name)
{
    // ConsoleRegistry::isValidName's rule.
    static const QRegularExpression pattern(
        QStringLiteral("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}\\z"));
    return pattern.match(name).hasMatch();
}

QString timeText(const QDateTime &time)
{
    return time.isValid() ? time.toUTC().toString(Qt::ISODate) : QString();
}

} // namespace

ShareLink::State ShareLink::state(const QDateTime &now) const
{
    if (revoked)
        return State::Revoked;
    if (now >= expires)
        return State::Expired;
    if (singleUse && usedAt.isValid())
        return State::Used;
    return State::Live;
}

ShareLinks::ShareLinks(const QString &stateDir)
    : m_stateDir(stateDir.isEmpty() ? defaultStateDir() : stateDir)
{ }

void ShareLinks::setStateDir(const QString &stateDir)
{
    const QMutexLocker lock(&m_mutex);
    const QString next = stateDir.isEmpty() ? defaultStateDir() : stateDir;
    if (next == m_stateDir)
        return;
    m_stateDir = next;
    m_key.clear();
    m_keyStamp = {};
    m_links.clear();
    m_listStamp = {};
}

QString ShareLinks::stateDir() const
{
    const QMutexLocker lock(&m_mutex);
    return m_stateDir;
}

QString ShareLinks::defaultStateDir()
{
    // systemd's StateDirectory= sets it, a colon-separated list when several are named.
    const QString systemd = qEnvironmentVariable("STATE_DIRECTORY").section(u':', 0, 0);
    if (!systemd.isEmpty())
        return systemd;
    if (::geteuid() == 0)
        return QStringLiteral("/var/lib/cloud-console");
    // The XDG base directory specification ignores a relative $XDG_STATE_HOME.
    const QString xdg = qEnvironmentVariable("XDG_STATE_HOME");
    if (xdg.startsWith(u'/'))
        return xdg + QStringLiteral("/cloud-console");
    return QDir::homePath() + QStringLiteral("/.local/state/cloud-console");
}

QString ShareLinks::path(const char *file) const
{
    return m_stateDir + u'/' + QLatin1String(file);
}

ShareLinks::Stamp ShareLinks::stampOf(const QString &path)
{
    struct stat info;
    if (::stat(QFile::encodeName(path).constData(), &info) != 0)
        return {};
    return {qint64(info.st_dev), qint64(info.st_ino),
            qint64(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec,
            qint64(info.st_ctim.tv_sec) * 1'000'000'000 + info.st_ctim.tv_nsec,
            qint64(info.st_size)};
}

bool ShareLinks::ensureDirectory(QString *error) const
{
    const QByteArray dir = QFile::encodeName(m_stateDir);
    struct stat info;
    if (::stat(dir.constData(), &info) != 0) {
        // The parents as usual; the directory itself for its owner alone.
        const QString parent = QFileInfo(m_stateDir).absolutePath();
        if (!QDir().mkpath(parent) || (::mkdir(dir.constData(), 0700) != 0 && errno != EEXIST)) {
            *error = QStringLiteral("cannot make the state directory %1: %2")
                         .arg(m_stateDir, errnoText());
            return false;
        }
        if (::stat(dir.constData(), &info) != 0) {
            *error = QStringLiteral("cannot use the state directory %1: %2")
                         .arg(m_stateDir, errnoText());
            return false;
        }
    }
    if (!S_ISDIR(info.st_mode)) {
        *error = QStringLiteral("the state directory %1 is not a directory").arg(m_stateDir);
        return false;
    }
    // Others who may write here could put a key of their own in place.
    if (info.st_mode & (S_IWGRP | S_IWOTH)) {
        *error = QStringLiteral("the state directory %1 may be written by group or others "
                                "(mode %2): chmod 700 %1")
                     .arg(m_stateDir)
                     .arg(info.st_mode & 07777, 4, 8, QChar(u'0'));
        return false;
    }
    return true;
}

QByteArray ShareLinks::readKey(QString *error) const
{
    const QString file = path(KeyFile);
    const Fd fd(::open(QFile::encodeName(file).constData(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() < 0) {
        *error = errno == ENOENT
            ? QString()
            : QStringLiteral("cannot read the share key %1: %2").arg(file, errnoText());
        return {};
    }
    struct stat info;
    if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
        *error = QStringLiteral("the share key %1 is not a file").arg(file);
        return {};
    }
    if (info.st_mode & (S_IRWXG | S_IRWXO)) {
        *error = QStringLiteral("refusing the share key %1: group or others may read it "
                                "(mode %2); chmod 600 %1, or remove it to make a new one (which "
                                "ends every link)")
                     .arg(file)
                     .arg(info.st_mode & 07777, 4, 8, QChar(u'0'));
        return {};
    }
    QByteArray key(KeySize + 1, Qt::Uninitialized);
    const ssize_t got = ::read(fd.get(), key.data(), key.size());
    if (got != KeySize) {
        *error = QStringLiteral("the share key %1 is not %2 bytes; remove it to make a new one "
                                "(which ends every link)")
                     .arg(file)
                     .arg(KeySize);
        return {};
    }
    key.resize(KeySize);
    return key;
}

QByteArray ShareLinks::key(bool create, QString *error)
{
    const QString file = path(KeyFile);
    // Read again if it was replaced (by hand, or made by the command line meanwhile).
    const Stamp stamp = stampOf(file);
    if (!m_key.isEmpty() && stamp == m_keyStamp)
        return m_key;
    m_key.clear();
    QString why;
    QByteArray key = readKey(&why);
    if (key.isEmpty() && why.isEmpty() && create) {
        if (!ensureDirectory(error))
            return {};
        // Written whole under a temporary name, then linked into place: link(2) fails if another
        // process was first, and then its key is the one.
        QByteArray temporary = QFile::encodeName(file + QStringLiteral(".XXXXXX"));
        const Fd fd(::mkostemp(temporary.data(), O_CLOEXEC));
        if (fd.get() < 0) {
            *error = QStringLiteral("cannot make the share key %1: %2").arg(file, errnoText());
            return {};
        }
        QByteArray fresh(KeySize, Qt::Uninitialized);
        QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(fresh.data()),
                                              KeySize / sizeof(quint32));
        const bool written = ::fchmod(fd.get(), 0600) == 0
            && ::write(fd.get(), fresh.constData(), KeySize) == KeySize && ::fsync(fd.get()) == 0;
        const bool linked = written
            && (::link(temporary.constData(), QFile::encodeName(file).constData()) == 0
                || errno == EEXIST);
        const QString linkError = errnoText();
        ::unlink(temporary.constData());
        if (!linked) {
            *error = QStringLiteral("cannot make the share key %1: %2").arg(file, linkError);
            return {};
        }
        key = readKey(&why);
    }
    if (key.isEmpty()) {
        // Without create, no error: no link was made here yet.
        *error = why.isEmpty() && create
            ? QStringLiteral("cannot read the share key %1 just made").arg(file)
            : why;
        return {};
    }
    m_key = key;
    m_keyStamp = stampOf(file);
    return m_key;
}

QByteArray ShareLinks::mac(const QByteArray &label, const QByteArray &data,
                           const QByteArray &key) const
{
    QMessageAuthenticationCode code(QCryptographicHash::Sha256, key);
    code.addData(label);
    code.addData(QByteArray(1, char(0)));
    code.addData(data);
    return code.result();
}

bool ShareLinks::parseList(const QByteArray &json, QHash<QString, ShareLink> *links,
                           QString *error) const
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (!document.isObject()) {
        *error = QStringLiteral("%1 is not a list of share links: %2")
                     .arg(path(ListFile), parseError.errorString());
        return false;
    }
    links->clear();
    for (const QJsonValue &value : document.object().value(QLatin1String("links")).toArray()) {
        const QJsonObject object = value.toObject();
        ShareLink link;
        link.id = object.value(QLatin1String("id")).toString();
        link.console = object.value(QLatin1String("console")).toString();
        link.created
            = QDateTime::fromString(object.value(QLatin1String("created")).toString(), Qt::ISODate);
        link.expires
            = QDateTime::fromString(object.value(QLatin1String("expires")).toString(), Qt::ISODate);
        link.singleUse = object.value(QLatin1String("singleUse")).toBool();
        link.createdBy = object.value(QLatin1String("createdBy")).toString();
        link.usedAt
            = QDateTime::fromString(object.value(QLatin1String("usedAt")).toString(), Qt::ISODate);
        link.revoked = object.value(QLatin1String("revoked")).toBool();
        // An entry damaged by hand counts as no link: its token is refused as unknown.
        if (link.id.size() != IdSize * 2 || !link.expires.isValid())
            continue;
        links->insert(link.id, link);
    }
    return true;
}

QByteArray ShareLinks::serialize(const QHash<QString, ShareLink> &links) const
{
    std::vector<ShareLink> sorted(links.begin(), links.end());
    std::sort(sorted.begin(), sorted.end(), [](const ShareLink &a, const ShareLink &b) {
        return a.created != b.created ? a.created < b.created : a.id < b.id;
    });
    QJsonArray array;
    for (const ShareLink &link : sorted) {
        QJsonObject object {{QLatin1String("id"), link.id},
                            {QLatin1String("console"), link.console},
                            {QLatin1String("created"), timeText(link.created)},
                            {QLatin1String("expires"), timeText(link.expires)},
                            {QLatin1String("singleUse"), link.singleUse},
                            {QLatin1String("createdBy"), link.createdBy},
                            {QLatin1String("revoked"), link.revoked}};
        if (link.usedAt.isValid())
            object.insert(QLatin1String("usedAt"), timeText(link.usedAt));
        array.append(object);
    }
    return QJsonDocument(
               QJsonObject {{QLatin1String("version"), 1}, {QLatin1String("links"), array}})
        .toJson(QJsonDocument::Indented);
}

bool ShareLinks::refresh(QString *error)
{
    const QString file = path(ListFile);
    const Stamp stamp = stampOf(file);
    if (stamp == m_listStamp)
        return true;
    if (stamp.inode < 0) {
        m_links.clear(); // no list: no link made yet, or the list was removed
        m_listStamp = stamp;
        return true;
    }
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(file, in.errorString());
        return false;
    }
    QHash<QString, ShareLink> links;
    if (!parseList(in.read(4 * 1024 * 1024), &links, error))
        return false;
    m_links = std::move(links);
    m_listStamp = stamp;
    return true;
}

template<typename Change> bool ShareLinks::update(Change change, QString *error)
{
    if (!ensureDirectory(error))
        return false;
    const QString lockPath = path(LockFile);
    const Fd lock(::open(QFile::encodeName(lockPath).constData(),
                         O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (lock.get() < 0) {
        *error = QStringLiteral("cannot open %1: %2").arg(lockPath, errnoText());
        return false;
    }
    // Another process changing the list holds it for a moment; flock is released with the fd.
    while (::flock(lock.get(), LOCK_EX) != 0) {
        if (errno != EINTR) {
            *error = QStringLiteral("cannot lock %1: %2").arg(lockPath, errnoText());
            return false;
        }
    }
    m_listStamp = {}; // read fresh, under the lock
    if (!refresh(error))
        return false;
    QHash<QString, ShareLink> links = m_links;
    if (!change(links))
        return false;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    links.removeIf([&now](const auto &entry) {
        return entry.value().expires.secsTo(now) > ForgetAfterSeconds;
    });
    QSaveFile out(path(ListFile));
    if (!out.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write %1: %2").arg(path(ListFile), out.errorString());
        return false;
    }
    out.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    out.write(serialize(links));
    if (!out.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path(ListFile), out.errorString());
        return false;
    }
    m_links = std::move(links);
    m_listStamp = stampOf(path(ListFile));
    return true;
}

std::optional<ShareLinks::Issued> ShareLinks::create(const QString &console,
                                                     std::chrono::seconds lifetime, bool singleUse,
                                                     const QString &createdBy, QString *error)
{
    if (!validConsoleName(console)) {
        *error = QStringLiteral("invalid console name \"%1\"").arg(console.left(64));
        return std::nullopt;
    }
    if (lifetime.count() < 1 || lifetime > MaxLifetime) {
        *error = QStringLiteral("a link's lifetime is 1 second to 24 hours");
        return std::nullopt;
    }
    const QMutexLocker lock(&m_mutex);
    const QByteArray secret = key(true, error);
    if (secret.isEmpty())
        return std::nullopt;

    const QDateTime now = QDateTime::currentDateTimeUtc();
    ShareLink link;
    link.console = console;
    link.created = QDateTime::fromSecsSinceEpoch(now.toSecsSinceEpoch(), Qt::UTC);
    link.expires = link.created.addSecs(lifetime.count());
    link.singleUse = singleUse;
    link.createdBy = createdBy.left(128);
    const bool added = update(
        [&](QHash<QString, ShareLink> &links) {
            const auto live = std::count_if(links.cbegin(), links.cend(), [&](const ShareLink &l) {
                return l.state(now) == ShareLink::State::Live;
            });
            if (live >= MaxLinks) {
                *error = QStringLiteral("%1 links are live already, the most there may be; "
                                        "revoke some first")
                             .arg(MaxLinks);
                return false;
            }
            do {
                QByteArray id(IdSize, Qt::Uninitialized);
                for (char &byte : id)
                    byte = char(QRandomGenerator::system()->bounded(256));
                link.id = QString::fromLatin1(id.toHex());
            } while (links.contains(link.id));
            links.insert(link.id, link);
            return true;
        },
        error);
    if (!added)
        return std::nullopt;

    QByteArray payload;
    payload += TokenVersion;
    payload += QByteArray::fromHex(link.id.toLatin1());
    char expiry[8];
    qToBigEndian<qint64>(link.expires.toSecsSinceEpoch(), expiry);
    payload += QByteArrayView(expiry, 8);
    payload += singleUse ? SingleUseFlag : char(0);
    payload += console.toUtf8();
    const QString token = QString::fromLatin1(
        payload.toBase64(Base64Url) + '.' + mac(LinkLabel, payload, secret).toBase64(Base64Url));
    return Issued {link, token};
}

std::vector<ShareLink> ShareLinks::list(const QString &console, QString *error)
{
    const QMutexLocker lock(&m_mutex);
    std::vector<ShareLink> links;
    if (!refresh(error))
        return links;
    for (const ShareLink &link : std::as_const(m_links)) {
        if (console.isEmpty() || link.console == console)
            links.push_back(link);
    }
    std::sort(links.begin(), links.end(), [](const ShareLink &a, const ShareLink &b) {
        return a.created != b.created ? a.created > b.created : a.id > b.id;
    });
    return links;
}

bool ShareLinks::revoke(const QString &id, ShareLink *revoked, QString *error)
{
    const QMutexLocker lock(&m_mutex);
    return update(
        [&](QHash<QString, ShareLink> &links) {
            const auto found = links.find(id);
            if (found == links.end()) {
                *error = QStringLiteral("no share link with id \"%1\"").arg(id.left(64));
                return false;
            }
            found->revoked = true;
            if (revoked)
                *revoked = *found;
            return true;
        },
        error);
}

std::optional<ShareLink> ShareLinks::decode(const QString &token, const QByteArray &key) const
{
    if (token.size() > MaxTokenLength)
        return std::nullopt;
    const QByteArray text = token.toLatin1();
    const qsizetype dot = text.indexOf('.');
    if (dot < 0)
        return std::nullopt;
    const std::optional<QByteArray> payload = fromBase64Url(text.first(dot));
    const std::optional<QByteArray> signature = fromBase64Url(text.sliced(dot + 1));
    if (!payload || !signature)
        return std::nullopt;
    // Every byte of the payload is signed: nothing of it is believed before this.
    if (!SecretHash::constantTimeEquals(*signature, mac(LinkLabel, *payload, key)))
        return std::nullopt;
    constexpr qsizetype fixed = 1 + IdSize + 8 + 1;
    if (payload->size() <= fixed || payload->at(0) != TokenVersion)
        return std::nullopt;
    ShareLink link;
    link.id = QString::fromLatin1(payload->mid(1, IdSize).toHex());
    link.expires = QDateTime::fromSecsSinceEpoch(
        qFromBigEndian<qint64>(payload->constData() + 1 + IdSize), Qt::UTC);
    link.singleUse = payload->at(1 + IdSize + 8) & SingleUseFlag;
    link.console = QString::fromUtf8(payload->sliced(fixed));
    return link;
}

ShareLinks::Check ShareLinks::judge(const ShareLink &signedLink, const QDateTime &now) const
{
    Check check;
    const auto found = m_links.constFind(signedLink.id);
    // The list must agree with what was signed; a link made anew under the same id is not it.
    if (found == m_links.constEnd() || found->console != signedLink.console
        || found->expires != signedLink.expires) {
        check.verdict = Verdict::Unknown;
        check.link = signedLink;
        return check;
    }
    check.link = *found;
    switch (found->state(now)) {
    case ShareLink::State::Live:
        check.verdict = Verdict::Valid;
        break;
    case ShareLink::State::Expired:
        check.verdict = Verdict::Expired;
        break;
    case ShareLink::State::Revoked:
        check.verdict = Verdict::Revoked;
        break;
    case ShareLink::State::Used:
        check.verdict = Verdict::Used;
        break;
    }
    return check;
}

ShareLinks::Check ShareLinks::check(const QString &token)
{
    const QMutexLocker lock(&m_mutex);
    Check result;
    QString error;
    const QByteArray secret = key(false, &error);
    if (secret.isEmpty()) {
        // No key yet (no error): no link was ever made here, so this one is not this server's.
        result.verdict = error.isEmpty() ? Verdict::Invalid : Verdict::Unavailable;
        result.error = error;
        return result;
    }
    const std::optional<ShareLink> link = decode(token, secret);
    if (!link)
        return result; // Invalid
    if (!refresh(&result.error)) {
        result.verdict = Verdict::Unavailable;
        return result;
    }
    return judge(*link, QDateTime::currentDateTimeUtc());
}

ShareLinks::Check ShareLinks::open(const QString &token)
{
    Check result = check(token);
    if (result.verdict != Verdict::Valid || !result.link.singleUse)
        return result;
    // Used up under the lock, judged again on the list as it is there: of two opening it at
    // once, in this process or another, one finds it used.
    const QMutexLocker lock(&m_mutex);
    const bool opened = update(
        [&](QHash<QString, ShareLink> &links) {
            result = judge(result.link, QDateTime::currentDateTimeUtc());
            if (result.verdict != Verdict::Valid)
                return false;
            ShareLink &stored = links[result.link.id];
            stored.usedAt = QDateTime::currentDateTimeUtc();
            result.link = stored;
            return true;
        },
        &result.error);
    if (!opened && result.verdict == Verdict::Valid)
        result.verdict = Verdict::Unavailable;
    return result;
}

QString ShareLinks::sessionValue(const ShareLink &link)
{
    const QMutexLocker lock(&m_mutex);
    QString error;
    const QByteArray secret = key(false, &error);
    if (secret.isEmpty())
        return {};
    return link.id + u'.'
        + QString::fromLatin1(mac(SessionLabel, link.id.toLatin1(), secret).toBase64(Base64Url));
}

ShareLinks::Check ShareLinks::session(const QString &cookieValue)
{
    const QMutexLocker lock(&m_mutex);
    Check result;
    const qsizetype dot = cookieValue.indexOf(u'.');
    if (dot != IdSize * 2 || cookieValue.size() > 128)
        return result; // Invalid
    const QString id = cookieValue.first(dot);
    const std::optional<QByteArray> signature
        = fromBase64Url(cookieValue.sliced(dot + 1).toLatin1());
    QString error;
    const QByteArray secret = key(false, &error);
    if (secret.isEmpty()) {
        result.verdict = error.isEmpty() ? Verdict::Invalid : Verdict::Unavailable;
        result.error = error;
        return result;
    }
    if (!signature
        || !SecretHash::constantTimeEquals(*signature, mac(SessionLabel, id.toLatin1(), secret)))
        return result; // Invalid
    if (!refresh(&result.error)) {
        result.verdict = Verdict::Unavailable;
        return result;
    }
    const auto found = m_links.constFind(id);
    if (found == m_links.constEnd()) {
        result.verdict = Verdict::Unknown;
        return result;
    }
    result = judge(*found, QDateTime::currentDateTimeUtc());
    // A single-use link's session is what its one use opened.
    if (result.verdict == Verdict::Used)
        result.verdict = Verdict::Valid;
    return result;
}

Principal ShareLinks::principalOf(const ShareLink &link)
{
    Principal principal;
    principal.name = QStringLiteral("share:") + link.id;
    principal.role = Role::Viewer;
    principal.consoles = {link.console};
    principal.shareId = link.id;
    return principal;
}

QString ShareLinks::verdictName(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Valid:
        return QStringLiteral("valid");
    case Verdict::Invalid:
        return QStringLiteral("invalid");
    case Verdict::Unknown:
        return QStringLiteral("unknown");
    case Verdict::Expired:
        return QStringLiteral("expired");
    case Verdict::Revoked:
        return QStringLiteral("revoked");
    case Verdict::Used:
        return QStringLiteral("used");
    case Verdict::Unavailable:
        return QStringLiteral("unavailable");
    }
    return {};
}

QString ShareLinks::verdictText(const Check &check)
{
    switch (check.verdict) {
    case Verdict::Valid:
        return QStringLiteral("This link opens console \"%1\" read-only.").arg(check.link.console);
    case Verdict::Invalid:
        return QStringLiteral("This is not a valid link of this server: it may have been cut or "
                              "changed on its way. Ask for the link again.");
    case Verdict::Unknown:
        return QStringLiteral("This server no longer knows this link. Ask for a new one.");
    case Verdict::Expired:
        return QStringLiteral("This link to console \"%1\" expired at %2. Ask for a new one.")
            .arg(check.link.console, timeText(check.link.expires));
    case Verdict::Revoked:
        return QStringLiteral("This link to console \"%1\" was revoked. Ask for a new one.")
            .arg(check.link.console);
    case Verdict::Used:
        return QStringLiteral("This link to console \"%1\" could be opened once, and has been, at "
                              "%2. Ask for a new one.")
            .arg(check.link.console, timeText(check.link.usedAt));
    case Verdict::Unavailable:
        return QStringLiteral("Shared links cannot be checked on this server right now; its log "
                              "says why.");
    }
    return {};
}

void ShareLinks::count(const QString &result)
{
    const QMutexLocker lock(&m_mutex);
    ++m_counts[result];
}

std::map<QString, qint64> ShareLinks::counts() const
{
    const QMutexLocker lock(&m_mutex);
    return m_counts;
}

} // namespace CloudConsole
