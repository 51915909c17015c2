#include "connectdialog.h"

#include "consoleconnection.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace CloudConsole::Viewer {

namespace {
const QString RecentKey = QStringLiteral("recentConnections");
}

ConnectDialog::ConnectDialog(QWidget *parent)
    : QDialog(parent)
    , m_address(new QComboBox(this))
    , m_error(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Connect to a Console"));
    auto *layout = new QVBoxLayout(this);
    auto *label = new QLabel(tr("Console &address:"), this);
    label->setBuddy(m_address);
    layout->addWidget(label);
    m_address->setEditable(true);
    m_address->setInsertPolicy(QComboBox::NoInsert);
    m_address->setMinimumContentsLength(40);
    m_address->addItems(recentConnections());
    m_address->lineEdit()->setPlaceholderText(QStringLiteral("ws://host:8080/c/vm1/ws"));
    layout->addWidget(m_address);
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: palette(highlight)"));
    layout->addWidget(m_error);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Connect"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ConnectDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ConnectDialog::reject);
    connect(m_address, &QComboBox::editTextChanged, this, &ConnectDialog::validate);
    validate();
}

void ConnectDialog::setAddress(const QString &address)
{
    m_address->setEditText(address);
}

void ConnectDialog::validate()
{
    QString error;
    const bool valid
        = ConsoleConnection::normalizeUrl(m_address->currentText(), &error).has_value();
    m_error->setText(valid || m_address->currentText().isEmpty() ? QString() : error);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(valid);
}

void ConnectDialog::accept()
{
    QString error;
    const std::optional<QUrl> url
        = ConsoleConnection::normalizeUrl(m_address->currentText(), &error);
    if (!url) {
        m_error->setText(error);
        return;
    }
    m_url = *url;
    QDialog::accept();
}

QStringList ConnectDialog::recentConnections()
{
    return QSettings().value(RecentKey).toStringList();
}

void ConnectDialog::rememberConnection(const QUrl &url)
{
    QSettings settings;
    QStringList recent = settings.value(RecentKey).toStringList();
    const QString address = url.toString();
    recent.removeAll(address);
    recent.prepend(address);
    while (recent.size() > MaxRecent)
        recent.removeLast();
    settings.setValue(RecentKey, recent);
}

} // namespace CloudConsole::Viewer
