// The cloud-console web page: a terminal attached to one console over protocol v1.
//
// This file only wires the page's parts together; each part has its own module:
//   terminal.js      the xterm.js terminal, its addons and renderer
//   screen.js        output, sizes and screens into the terminal, in stream order
//   connection.js    the WebSocket: reconnect (retry.js) and resume at the right offset
//   header.js, statusbar.js (status.js), notice.js   what the page says about it
//   input.js         keys, pastes and copies (shortcuts.js)
//   paste.js         pastes as paste messages, their progress and Cancel
//   presence.js      who is here, who has the keyboard (presencetext.js)
//   keybar.js        the key bar of touch screens (keys.js)
//   settings.js, settingspanel.js   the settings and their panel
//   login.js         whether the server wants a login, and whether the session is gone
//   find.js          the find bar, and "search all history" (results open replay.js's page)
//   alerts.js        alerts: banner, status bar badge and list (alerttext.js), and the moment
//                    each is about, found in the terminal by moments.js (also #offset=N)
//   actions.js       Redraw, Send BREAK, Fit to window (size.js) and Download
//   share.js         "Share read-only…": an operator's links to this console (sharetext.js)
//   automation.js    window.cloudConsole
// The DOM-free ones (protocol, retry, status, shortcuts, settings, page, login, size, alerttext,
// presencetext, keys)
// have node tests in tests/web, and so do the terminal's (screen, moments).

import '@xterm/xterm/css/xterm.css';
import './app.css';
import './timetravel.css'; // the Replay link, "search all history" (find.js)

import { Actions } from './actions.js';
import { Alerts } from './alerts.js';
import { automation } from './automation.js';
import { Connection } from './connection.js';
import { FindBar } from './find.js';
import { Header } from './header.js';
import { Input } from './input.js';
import { KeyBar } from './keybar.js';
import { Logins } from './login.js';
import { Moments } from './moments.js';
import { Notices } from './notice.js';
import {
    BoundedList, connectionOptions, consoleNameFromPath, focusOnLoad, loginPaths, offsetFromFragment,
} from './page.js';
import { Pastes } from './paste.js';
import { Presence } from './presence.js';
import { SUBPROTOCOL } from './protocol.js';
import { TerminalFeed } from './screen.js';
import { Settings } from './settings.js';
import { ShareDialog } from './share.js';
import { SettingsPanel } from './settingspanel.js';
import { fontSizeAfter } from './shortcuts.js';
import { watchSize } from './size.js';
import { serverErrorNotice } from './status.js';
import { StatusBar } from './statusbar.js';
import { TerminalView } from './terminal.js';

const $ = (id) => document.getElementById(id);

function log(text) {
    console.info(`cloud-console: ${text}`);
}

function storage() {
    try {
        return window.localStorage;
    } catch (e) {
        return null; // storage disabled: settings last for this page load only
    }
}

const settings = new Settings(location.search, storage(),
                              window.matchMedia?.('(prefers-color-scheme: light)').matches);
const view = new TerminalView($('terminal'), settings, { log, onRendererChange: () => renderInfo() });
const term = view.term;
const header = new Header(term);
term.onTitleChange((title) => header.setTitle(title));
const notices = new Notices($('notice'));
const notice = (text, kind) => notices.show(text, kind);
const paths = loginPaths(location.pathname);
const statusBar = new StatusBar(paths.login);
header.addLogout(paths.logout);

// What happened, for window.cloudConsole.
const record = {
    gaps: new BoundedList(1000), // {from, to, bytes, unseen}
    screens: new BoundedList(50), // {offset, cols, rows, complete, at}
    serverErrors: new BoundedList(1000),
    transitions: new BoundedList(200), // {state, reason, at}
    alerts: new BoundedList(1000), // the protocol's alert events, as they came
    clients: new BoundedList(200), // the protocol's clients events, as they came
    controls: new BoundedList(200), // the protocol's control events, as they came
};

// Lines the page itself writes into the terminal stand out the same way in both themes: bold
// dark text on a light background, in direct colour so the palette does not change them.
const MARK_GAP = '\x1b[0;1;38;2;34;24;0;48;2;247;193;72m';
const MARK_EPOCH = '\x1b[0;1;38;2;0;30;40;48;2;120;214;228m';

// Where offsets of the output stand in the terminal, for alerts and #offset=N links.
const moments = new Moments(term);

// Everything that goes into the terminal, in stream order: output, the page's marker lines, the
// console's size, screens.
const feed = new TerminalFeed(term, {
    onShown(offset) {
        infoSoon();
        alerts.passed(offset);
    },
    // A screen starts from nothing: the title too, unless its data sets one.
    onScreen: () => header.setTitle(''),
    moments,
});

const alerts = new Alerts({
    term,
    moments,
    notice,
    theme: () => settings.get('theme'),
    shownOffset: () => feed.shownOffset,
});

const connection = new Connection(location.href, {
    onState(state, { reason }) {
        record.transitions.push({ state, reason, at: Date.now() });
        if (state !== 'connected') {
            presence.disconnected();
            pastes.disconnected();
        }
        logins.watch(state, () => connection.state === 'connected');
        renderStatus();
        // The connection takes messages only from here on (it counts as connected after
        // onHello): a page that follows its window gives the console its size now, also after
        // every reconnect.
        if (state === 'connected' && settings.get('followWindow'))
            actions.fitConsole();
    },
    onHello(hello, { epochChanged }) {
        header.setName(hello.console);
        $('replay-link').href = `${consoleBase()}replay`;
        feed.resize(hello.size.cols, hello.size.rows);
        if (epochChanged) {
            feed.restart(hello.offset);
            feed.line(`\r\n${MARK_EPOCH} ── the server restarted: its history starts again here ── \x1b[0m\r\n`,
                      hello.offset);
        } else {
            feed.startAt(hello.offset);
        }
        header.showReadOnly(!hello.writable);
        alerts.attached(hello.history.end);
        actions.update();
        renderInfo();
    },
    onOutput(bytes, endOffset) {
        feed.output(bytes, endOffset);
    },
    onGap(gap) {
        record.gaps.push(gap);
        // When a screen follows (the server sends one after a gap when it can), it clears
        // this line with everything else: the page then stands where the screen puts it.
        feed.line(`\r\n${MARK_GAP} … ${gap.bytes} bytes skipped … \x1b[0m\r\n`, gap.to);
    },
    onSource() {
        renderStatus();
        actions.update();
    },
    onSize(size) {
        feed.resize(size.cols, size.rows);
        actions.update();
        renderInfo();
    },
    onScreen(screen) {
        const { offset, cols, rows, complete } = screen;
        record.screens.push({ offset, cols, rows, complete, at: Date.now() });
        feed.screen(screen);
        if (!complete)
            notice('The server\'s screen may be incomplete: it skipped output during a flood');
        actions.update();
        renderInfo();
    },
    onServerError(error) {
        record.serverErrors.push(error);
        pastes.serverError(error);
        notice(serverErrorNotice(error), 'error');
    },
    onAlert(alert) {
        record.alerts.push(alert);
        alerts.add(alert);
    },
    onClients(clients) {
        record.clients.push({ ...clients, at: Date.now() });
        presence.update(clients);
        share.update(clients);
        pastes.clientsChanged(clients.clients);
    },
    onControl(control) {
        record.controls.push({ ...control, at: Date.now() });
        presence.control(control);
    },
    onPaste(paste) {
        pastes.event(paste);
    },
    onLog: log,
}, connectionOptions(location.search));

const logins = new Logins(location.href, (...args) => fetch(...args), {
    onChange: () => header.showLogout(logins.uses),
    onNeeded: (needed) => connection.stop(needed === 'expired' ? 'the session has expired'
                                                                : 'this login may not use this console'),
    onLog: log,
});

const actions = new Actions({ connection, view, notice, consoleName: () => header.name });
const presence = new Presence({ connection, notice, focusTerminal: () => term.focus() });
const pastes = new Pastes({ term, connection, presence, notice });
const share = new ShareDialog({ notice, consoleName: () => header.name });

// The console's size: the server's, which the terminal follows (screen.js); the terminal's
// until the first hello says otherwise.
function consoleSize() {
    return connection.hello?.size ?? { cols: term.cols, rows: term.rows };
}

function renderStatus() {
    statusBar.render(connection, logins.needed, renderStatus);
    actions.update();
    renderInfo();
}

function renderInfo() {
    statusBar.renderInfo(feed.shownOffset, consoleSize(), view.renderer);
}

// After output: the offset shown changes with every frame, so at most four times a second.
function infoSoon() {
    statusBar.soon(renderInfo);
}

$('reconnect-button').addEventListener('click', () => {
    if (connection.state === 'closed')
        connection.start();
    else
        connection.reconnectNow();
    term.focus();
});

const panel = new SettingsPanel(settings, () => `Renderer: ${view.renderer}. Protocol ${SUBPROTOCOL}`
    + (connection.hello?.server ? `, server ${connection.hello.server}.` : '.'));
// The console's folder relative to this page, for search and the replay page: '' on its own
// page (/c/NAME/), 'c/NAME/' on the root page of the default console.
const consoleBase = () => (consoleNameFromPath(location.pathname) !== null || !header.name
    ? '' : `c/${encodeURIComponent(header.name)}/`);
const findBar = new FindBar(term, view.search, () => settings.get('theme'), consoleBase);
const input = new Input({
    term,
    area: $('terminal'),
    connection,
    settings,
    notice,
    loginNeeded: () => logins.needed,
    otherHolder: () => presence.otherHolder(),
    pastes,
    modifyTyped: (data) => keyBar.modify(data),
    actions: {
        find: () => findBar.open(),
        toolbar: () => $('find-button').focus(),
        fontSize: (shortcut) => panel.setFontSize(fontSizeAfter(shortcut, settings.get('fontSize'))),
    },
});

const keyBar = new KeyBar({ term, settings, send: (text) => input.sendText(text), onLayout: () => followWindow() });

// The window (or the font) changed size.
function followWindow() {
    actions.update();
    view.keepCursorInView();
    if (settings.get('followWindow'))
        actions.fitConsole();
}

settings.onChange((name, value) => {
    switch (name) {
    case 'fontSize':
        term.options.fontSize = value;
        // The same grid in bigger or smaller cells: what fits the window changes, not the
        // console, unless the page follows its window. (Measured once the new font is laid out.)
        requestAnimationFrame(followWindow);
        break;
    case 'followWindow':
        if (value)
            actions.fitConsole();
        break;
    case 'scrollback':
        view.setScrollback(value);
        break;
    case 'screenReader':
        term.options.screenReaderMode = value;
        break;
    case 'theme':
        view.setTheme(value);
        break;
    case 'keyBar':
        keyBar.update();
        break;
    default:
        break;
    }
});

// The terminal changes size only when the console does (a hello, a size, a screen): nothing to
// send back. The window changing size is the person's doing.
term.onResize(() => {
    actions.update();
    renderInfo();
});
watchSize($('terminal'), followWindow);

// For tests and tools driving the page; documented in docs/web.md.
window.cloudConsole = automation({
    connection, view, feed, header, statusBar, notices, input, actions, logins, settings, record,
    consoleSize, alerts, presence, pastes, keyBar,
});

// A link to a moment (webhooks link to <page>#offset=N): shown once the page has attached and
// drawn the history, and again whenever the fragment changes; when the terminal cannot tell
// that offset's line in what it has drawn, the page loads again and draws the history anew.
function showFragment(changed) {
    const offset = offsetFromFragment(location.hash);
    if (offset !== null && !alerts.showOffset(offset) && changed)
        location.reload();
}
window.addEventListener('hashchange', () => showFragment(true));
showFragment(false);

document.documentElement.dataset.theme = settings.get('theme');
header.setName(consoleNameFromPath(location.pathname) || 'console');
renderStatus();
connection.start();
logins.detect();
if (focusOnLoad(location.search))
    term.focus();
