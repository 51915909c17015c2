#pragma once

// LibvirtEventLoop runs libvirt's events on the Qt event loop: it is the implementation that
// virEventRegisterImpl() is given, its handles QSocketNotifiers and its timeouts QTimers, so
// libvirt's connections (keepalives, the close callback, domain events) are served by the same
// QCoreApplication loop as the consoles, and no thread of libvirt's own polls or spins.
//
// libvirt takes one event implementation per process, before the first connection is opened:
// install() registers it once (later calls do nothing) and must be called from the thread that runs
// the loop, before virConnectOpen(). libvirt may remove a handle or timeout from inside its own
// callback, so what libvirt frees (its `ff` callbacks) is freed on the next turn of the loop,
// never within the call that removed it. Calls from another thread are carried to the loop's.
//
// It owns the notifiers and timers of libvirt's handles and timeouts. It is never destroyed:
// libvirt may call into it for as long as the process lives (a connection closed at exit). It
// knows nothing of domains or consoles.

namespace CloudConsole::LibvirtEventLoop {

// Registers the implementation with libvirt, once per process; also silences libvirt's default
// error printer (its errors are reported by whoever called, through the logging categories).
void install();

// Handles and timeouts libvirt holds now, for tests: leaks show as counts that only grow.
int handleCount();
int timeoutCount();

} // namespace CloudConsole::LibvirtEventLoop
