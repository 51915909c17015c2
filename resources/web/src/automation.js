// window.cloudConsole: the page's state and controls for tests and tools (docs/web.md). Only
// reads what the other parts keep, and calls what they offer.

import { SUBPROTOCOL, VERSION } from './protocol.js';

// parts: {connection, view (TerminalView), feed (TerminalFeed), header, statusBar, notices,
// input, actions, logins, settings, record: {gaps, screens, serverErrors, transitions, alerts,
// clients, controls} (BoundedLists), consoleSize(), alerts (Alerts), presence (Presence),
// pastes (Pastes), keyBar (KeyBar)}.
export function automation(parts) {
    const { connection, view, feed, header, statusBar, notices, input, actions, logins, settings,
            record, alerts, presence, pastes, keyBar } = parts;
    const term = view.term;
    return Object.freeze({
        protocol: { version: VERSION, subprotocol: SUBPROTOCOL },
        get state() { return connection.state; },
        get reason() { return connection.reason; },
        get status() { return statusBar.lastStatus; },
        get console() { return header.name; },
        get hello() { return connection.hello; },
        get writable() { return connection.hello?.writable ?? null; },
        get source() { return connection.hello?.source ?? null; },
        get capabilities() { return connection.hello?.capabilities ?? null; },
        get epoch() { return connection.epoch; },
        get offset() { return connection.offset; },
        get shownOffset() { return feed.shownOffset; },
        get connects() { return connection.connects; },
        get bytesReceived() { return connection.bytesReceived; },
        get bytesSent() { return connection.bytesSent; },
        get refusedBytes() { return input.refusedBytes; },
        get gaps() { return record.gaps.items(); },
        get notices() { return notices.shown.items(); },
        get serverErrors() { return record.serverErrors.items(); },
        get transitions() { return record.transitions.items(); },
        get renderer() { return view.renderer; },
        get settings() { return settings.all(); },
        get size() { return { cols: term.cols, rows: term.rows }; },
        get consoleSize() { return connection.hello ? { ...parts.consoleSize() } : null; },
        get title() { return header.title; },
        get buffer() { return term.buffer.active.type; },
        get screens() { return record.screens.items(); },
        get resizesSent() { return actions.resizesSent.items(); },
        get alerts() { return record.alerts.items(); },
        get alertList() { return alerts.entries; },
        get unseenAlerts() { return alerts.unseen; },
        get moment() { return alerts.moment && { ...alerts.moment }; },
        showOffset(offset) { return alerts.showOffset(offset); },
        get presence() { return presence.state && structuredClone(presence.state); },
        get clientsEvents() { return record.clients.items(); },
        get controls() { return record.controls.items(); },
        get keyboard() { return document.getElementById('keyboard-text').textContent; },
        takeKeyboard() { presence.take(); },
        releaseKeyboard() { presence.release(); },
        giveKeyboard(id) { presence.give(id); },
        paste(text) { return input.paste(text); },
        cancelPaste() { return pastes.cancel(); },
        get pasting() { return pastes.shown; },
        get pastesSent() { return pastes.sent.items(); },
        get pasteEvents() { return pastes.events.items(); },
        get keyBar() { return { shown: keyBar.shown, modifiers: { ...keyBar.modifiers }, sent: keyBar.sent.slice() }; },
        visibleText() { return view.visibleText(); },
        bufferText() { return view.bufferText(); },
        send(text) { input.sendText(text); },
        get login() {
            return { uses: logins.uses, needed: logins.needed, url: statusBar.loginUrl };
        },
        reconnect() { connection.reconnectNow(); },
        drop(reason) { connection.drop(reason); },
        disconnect() {
            logins.stopRequested();
            connection.stop();
        },
        connect() { connection.start(); },
        redraw() { return connection.requestScreen(); },
        fitToWindow() { return actions.fitConsole(); },
        terminal: term,
    });
}
