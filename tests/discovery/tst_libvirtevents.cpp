// libvirt without a daemon: which console device a domain's XML gives (libvirt's documented
// forms, split every way that matters), and libvirt's events on the Qt event loop with libvirt's
// own test driver (test:///default, in this process), which define, start, destroy and undefine
// domains as libvirtd does and queues their lifecycle events through the event implementation
// registered here. The real libvirtd is tst_libvirtdiscovery's.

#include "libvirtdiscoverer.h"
#include "libvirtdomainxml.h"
#include "libvirteventloop.h"

#include <QSignalSpy>
#include <QTest>

#include <libvirt/libvirt.h>

using namespace CloudConsole;

Q_DECLARE_METATYPE(LibvirtConsoleDevice::Type)

class tst_LibvirtEvents : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void theDomainXmlNamesTheDeviceToServe_data();
    void theDomainXmlNamesTheDeviceToServe();
    void devicesThatCannotBeServedSayWhy_data();
    void devicesThatCannotBeServedSayWhy();
    void lifecycleEventsReachTheQtEventLoop();
    void aUriThatCannotBeOpenedIsRetriedAndReported();
};

namespace {

QString domain(const QString &devices)
{
    return QStringLiteral("<domain type='qemu'><name>d</name><devices>%1</devices></domain>")
        .arg(devices);
}

} // namespace

void tst_LibvirtEvents::theDomainXmlNamesTheDeviceToServe_data()
{
    QTest::addColumn<QString>("xml");
    QTest::addColumn<bool>("virtio");
    QTest::addColumn<LibvirtConsoleDevice::Type>("type");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("endpoint"); // host:port

    using Type = LibvirtConsoleDevice::Type;
    // A running domain's live XML, as libvirt writes it (the console repeats serial port 0).
    QTest::newRow("live pty serial")
        << domain("<serial type='pty'><source path='/dev/pts/7'/><target type='isa-serial' "
                  "port='0'><model name='isa-serial'/></target><alias name='serial0'/></serial>"
                  "<console type='pty' tty='/dev/pts/7'><source path='/dev/pts/7'/>"
                  "<target type='serial' port='0'/><alias name='serial0'/></console>")
        << false << Type::Pty << "/dev/pts/7"
        << "";
    QTest::newRow("inactive pty serial: no path yet")
        << domain("<serial type='pty'><target port='0'/></serial>") << false << Type::Pty << ""
        << "";
    QTest::newRow("a console whose target is the serial port")
        << domain("<console type='pty'><source path='/dev/pts/2'/><target type='serial'/>"
                  "</console>")
        << false << Type::Pty << "/dev/pts/2"
        << "";
    QTest::newRow("the virtio console, asked for")
        << domain("<serial type='pty'><source path='/dev/pts/1'/></serial>"
                  "<console type='pty'><source path='/dev/pts/3'/><target type='virtio' "
                  "port='0'/></console>")
        << true << Type::Pty << "/dev/pts/3"
        << "";
    QTest::newRow("a unix socket QEMU listens on")
        << domain("<serial type='unix'><source mode='bind' path='/var/lib/libvirt/vm1.serial'/>"
                  "<target port='0'/></serial>")
        << false << Type::Unix << "/var/lib/libvirt/vm1.serial"
        << "";
    QTest::newRow("a telnet port")
        << domain("<serial type='tcp'><source mode='bind' host='127.0.0.1' service='4555'/>"
                  "<protocol type='telnet'/><target port='0'/></serial>")
        << false << Type::Telnet << ""
        << "127.0.0.1:4555";
    QTest::newRow("a raw tcp port on every address")
        << domain("<serial type='tcp'><source mode='bind' host='0.0.0.0' service='4556'/>"
                  "<protocol type='raw'/></serial>")
        << false << Type::Tcp << ""
        << "0.0.0.0:4556";
    QTest::newRow("a serial element outside devices does not count")
        << QStringLiteral("<domain><metadata><serial type='unix'/></metadata><devices>"
                          "<serial type='pty'><source path='/dev/pts/9'/></serial></devices>"
                          "</domain>")
        << false << Type::Pty << "/dev/pts/9"
        << "";
}

void tst_LibvirtEvents::theDomainXmlNamesTheDeviceToServe()
{
    QFETCH(QString, xml);
    QFETCH(bool, virtio);
    QFETCH(LibvirtConsoleDevice::Type, type);
    QFETCH(QString, path);
    QFETCH(QString, endpoint);
    QString why;
    const auto device = consoleDeviceFromXml(xml, virtio, &why);
    QVERIFY2(device, qPrintable(why));
    QVERIFY(device->type == type);
    QCOMPARE(device->virtio, virtio);
    QCOMPARE(device->path, path);
    if (!endpoint.isEmpty())
        QCOMPARE(device->host + u':' + device->port, endpoint);
}

void tst_LibvirtEvents::devicesThatCannotBeServedSayWhy_data()
{
    QTest::addColumn<QString>("xml");
    QTest::addColumn<bool>("virtio");
    QTest::addColumn<QString>("why");

    QTest::newRow("no serial port") << domain("<disk type='file'/>") << false
                                    << "the domain has no serial port (<serial> or <console>)";
    QTest::newRow("no virtio console")
        << domain("<serial type='pty'/>") << true
        << "the domain has no virtio console (<console> with <target type='virtio'/>)";
    QTest::newRow("a file") << domain("<serial type='file'><source path='/tmp/x'/></serial>")
                            << false
                            << "the domain's <serial type='file'> cannot be served (pty, a unix "
                               "socket or a tcp port QEMU listens on can)";
    QTest::newRow("a socket QEMU connects out of")
        << domain("<serial type='unix'><source mode='connect' path='/run/x.sock'/></serial>")
        << false
        << "the domain's <serial type='unix'> cannot be served (pty, a unix socket or a tcp port "
           "QEMU listens on can)";
    QTest::newRow("not XML") << QStringLiteral("<domain><devices>") << false
                             << "the domain's XML does not parse: Premature end of document.";
}

void tst_LibvirtEvents::devicesThatCannotBeServedSayWhy()
{
    QFETCH(QString, xml);
    QFETCH(bool, virtio);
    QFETCH(QString, why);
    QString got;
    QVERIFY(!consoleDeviceFromXml(xml, virtio, &got));
    QCOMPARE(got, why);
}

void tst_LibvirtEvents::lifecycleEventsReachTheQtEventLoop()
{
    DiscoverySettings settings;
    settings.uri = QStringLiteral("test:///default");
    LibvirtDiscoverer discoverer(settings);
    QSignalSpy status(&discoverer, &Discoverer::statusChanged);
    QSignalSpy appeared(&discoverer, &Discoverer::appeared);
    QSignalSpy states(&discoverer, &Discoverer::vmStateChanged);
    QSignalSpy vanished(&discoverer, &Discoverer::vanished);
    discoverer.start();
    QVERIFY(discoverer.isConnected());
    QCOMPARE(status.size(), 1);
    QVERIFY(status.at(0).at(0).toBool());
    // The test driver's own domain "test" has no serial port: not served.
    QCOMPARE(appeared.size(), 0);

    // Another connection to the same driver changes what the discoverer watches.
    virConnectPtr admin = virConnectOpen("test:///default");
    QVERIFY(admin);
    const QByteArray xml = "<domain type='test'><name>cc-events</name><memory>65536</memory>"
                           "<os><type>hvm</type></os><devices><serial type='pty'/></devices>"
                           "</domain>";
    virDomainPtr domain = virDomainDefineXML(admin, xml.constData());
    QVERIFY(domain);
    // Only through the event (no scan): a 0 ms libvirt timeout, run by the Qt loop.
    QTRY_COMPARE(appeared.size(), 1);
    QCOMPARE(appeared.at(0).at(0).toString(), QStringLiteral("cc-events"));
    QCOMPARE(states.last().at(1).toString(), QStringLiteral("shut off"));

    QCOMPARE(virDomainCreate(domain), 0);
    QTRY_COMPARE(states.last().at(1).toString(), QStringLiteral("running"));
    // The test driver names no pty: the locator is told why.
    QCOMPARE(discoverer.ptyOf(QStringLiteral("cc-events")).path, QString());
    QCOMPARE(virDomainSuspend(domain), 0);
    QTRY_COMPARE(states.last().at(1).toString(), QStringLiteral("paused"));
    QCOMPARE(virDomainDestroy(domain), 0);
    QTRY_COMPARE(states.last().at(1).toString(), QStringLiteral("shut off"));
    QCOMPARE(vanished.size(), 0);
    QCOMPARE(virDomainUndefine(domain), 0);
    QTRY_COMPARE(vanished.size(), 1);
    QCOMPARE(vanished.at(0).at(0).toString(), QStringLiteral("cc-events"));
    QCOMPARE(vanished.at(0).at(1).toString(), QStringLiteral("domain undefined"));
    virDomainFree(domain);
    virConnectClose(admin);
    QCOMPARE(appeared.size(), 1);
}

void tst_LibvirtEvents::aUriThatCannotBeOpenedIsRetriedAndReported()
{
    DiscoverySettings settings;
    settings.uri = QStringLiteral("qemu:///system?socket=/nonexistent/libvirt-sock");
    LibvirtDiscoverer discoverer(settings);
    QSignalSpy status(&discoverer, &Discoverer::statusChanged);
    discoverer.start();
    QVERIFY(!discoverer.isConnected());
    QCOMPARE(status.size(), 1);
    QVERIFY(!status.at(0).at(0).toBool());
    const QString reason = status.at(0).at(1).toString();
    QVERIFY2(reason.startsWith(QLatin1String("cannot connect to libvirt at "
                                             "qemu:///system?socket=/nonexistent/libvirt-sock: ")),
             qPrintable(reason));
    QVERIFY2(reason.endsWith(QLatin1String("(next try in 1 s)")), qPrintable(reason));
    // Tried again after the backoff's first delay, and reported with the next one.
    QTRY_COMPARE_WITH_TIMEOUT(status.size(), 2, 3000);
    QVERIFY2(status.at(1).at(1).toString().endsWith(QLatin1String("(next try in 2 s)")),
             qPrintable(status.at(1).at(1).toString()));
}

QTEST_MAIN(tst_LibvirtEvents)
#include "tst_libvirtevents.moc"
