#pragma once

// PtyLocator says where a console's pty is right now. PtySource asks before every attach, so a
// console follows a VM whose pty moves: a symlink re-pointed by a VM manager, or a VMM that makes
// a new pty on every guest reboot and tells its path only through its API (Cloud-Hypervisor's
// vm.info, QEMU's query-chardev).
//
// locate() answers once, with located() or failed(), possibly before it returns; a later
// locate() supersedes an unanswered one. A locator knows nothing about opening or reading the
// pty.

#include <QObject>
#include <QString>

namespace CloudConsole {

class PtyLocator : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    virtual void locate() = 0;
    // The pty last located has hung up (its path may now name something else).
    virtual void noteHangup() { }
    // What is asked, for messages: "/dev/pts/3", "Cloud-Hypervisor API at /run/vm1/api.sock".
    virtual QString describe() const = 0;

Q_SIGNALS:
    void located(const QString &path);
    void failed(const QString &reason);
};

// A fixed path, or a symlink resolved anew on every attempt. A bare /dev/pts/N that hung up is
// located again only while no other process has it open: the kernel hands a closed pty's number
// to the next terminal made, which may be someone's ssh session, whereas a VMM's new pty is held
// by nobody but the VMM's master end.
class FixedPtyLocator : public PtyLocator
{
    Q_OBJECT
public:
    explicit FixedPtyLocator(const QString &path, QObject *parent = nullptr);

    void locate() override;
    void noteHangup() override { m_hungUp = true; }
    QString describe() const override { return m_path; }

private:
    QString m_path;
    bool m_hungUp = false;
};

} // namespace CloudConsole
