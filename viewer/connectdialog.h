#pragma once

// ConnectDialog asks for a console address, offering the recent ones (kept in QSettings under
// "recentConnections", newest first). It validates with ConsoleConnection::normalizeUrl and
// knows nothing else about connecting.

#include <QDialog>
#include <QUrl>

class QComboBox;
class QLabel;
class QDialogButtonBox;

namespace CloudConsole::Viewer {

class ConnectDialog : public QDialog
{
    Q_OBJECT

public:
    static constexpr int MaxRecent = 10;

    explicit ConnectDialog(QWidget *parent = nullptr);

    void setAddress(const QString &address);
    QUrl url() const { return m_url; }

    static QStringList recentConnections();
    static void rememberConnection(const QUrl &url);

    void accept() override;

private:
    void validate();

    QComboBox *m_address;
    QLabel *m_error;
    QDialogButtonBox *m_buttons;
    QUrl m_url;
};

} // namespace CloudConsole::Viewer
