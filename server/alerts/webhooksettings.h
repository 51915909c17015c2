#pragma once

// A webhook: an HTTP(S) endpoint that is sent the alerts of the rules and consoles it names, as
// a JSON body signed with its secret. It comes from a [webhook NAME] section of the configuration
// (configfile.cpp reads the keys with the parsers below); load() then reads the files it names
// (secret-file, ca), at start-up and on every reload, so a rotated secret or a renewed CA needs
// no restart. docs/config.md documents every key.
//
// Plain values: the settings know nothing of alerts, queues or the network (WebhookDispatcher
// sends, WebhookEndpoint delivers).

#include "consolelist.h"

#include <QByteArray>
#include <QList>
#include <QSslCertificate>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <chrono>
#include <vector>

namespace CloudConsole {

struct WebhookSettings
{
    QString name;
    QUrl url; // http or https, with a host
    QString secret; // secret = ...: the HMAC key, as written
    QString secretFile; // secret-file = ...: or the file that holds it (one of the two)
    QStringList rules; // empty: every rule
    QStringList consoles; // empty: every console
    QString caFile; // empty: the system's CA certificates
    std::chrono::seconds timeout {10}; // one attempt without a byte from the endpoint
    std::chrono::seconds retryFor {300}; // attempts of one alert start within this; 0: once

    // Read by load() from the above.
    QByteArray key; // the HMAC-SHA256 key: secret, or secret-file's text without its line end
    QList<QSslCertificate> caCertificates; // from caFile; empty: the system's

    // Reads secret-file and ca; false and *error ("webhook \"NAME\": ...") when one cannot be
    // used.
    bool load(QString *error);

    bool appliesTo(const QString &console, const QString &rule) const
    {
        return consoleListAllows(consoles, console) && (rules.isEmpty() || rules.contains(rule));
    }
};

using WebhookList = std::vector<WebhookSettings>;

// url = ...: an absolute http:// or https:// URL with a host, no user name or password (they
// would be sent in the clear on http and logged); empty or why not.
QString parseWebhookUrl(const QString &text, QUrl *url);
// public-url = ...: where users reach the server (a reverse proxy's address), an absolute http://
// or https:// URL; a missing final slash is added, since console pages are below it.
QString parsePublicUrl(const QString &text, QUrl *url);
// A console page's link for an alert at offset: BASE c/NAME/#offset=N.
QString consoleLink(const QUrl &base, const QString &console, qint64 offset);

} // namespace CloudConsole
