// The cloud-console web page: a terminal attached to one console over protocol v1.
//
// Output bytes, size changes and screens go into the terminal in stream order (screen.js); the
// connection (connection.js) keeps the offset so a reconnect resumes exactly where the page
// stopped. The terminal has the console's size, not the window's (size.js). Keystrokes leave as
// binary frames; the terminal's answers to queries in the output do not (queries.js): the
// server answers those. While the page is not connected, input is refused visibly (a notice
// says how many bytes were not sent) rather than queued: typing into a console the person
// cannot see is never safe.

import '@xterm/xterm/css/xterm.css';
import './app.css';

import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { WebglAddon } from '@xterm/addon-webgl';

import { Connection, fetchHistory } from './connection.js';
import { ErrorCode, SUBPROTOCOL, VERSION } from './protocol.js';
import { onUserData, silenceQueries } from './queries.js';
import { TerminalFeed } from './screen.js';
import { FONT_SIZE_MAX, FONT_SIZE_MIN, Settings } from './settings.js';
import { fitRequest, keepInView, watchSize } from './size.js';
import { THEMES } from './themes.js';

const $ = (id) => document.getElementById(id);
const encoder = new TextEncoder();

// --- settings ----------------------------------------------------------------------------------

function storage() {
    try {
        return window.localStorage;
    } catch (e) {
        return null; // storage disabled: settings last for this page load only
    }
}

const settings = new Settings(location.search, storage(),
                              window.matchMedia?.('(prefers-color-scheme: light)').matches);
const query = new URLSearchParams(location.search);

// --- terminal ----------------------------------------------------------------------------------

const term = new Terminal({
    allowProposedApi: true, // the search addon's match highlighting uses decorations
    fontFamily: '"DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
    fontSize: settings.get('fontSize'),
    scrollback: settings.get('scrollback'),
    screenReaderMode: settings.get('screenReader'),
    theme: THEMES[settings.get('theme')].terminal,
    cursorBlink: true,
    convertEol: false,
    rightClickSelectsWord: false,
});

const fit = new FitAddon();
const search = new SearchAddon();
const unicode11 = new Unicode11Addon();
term.loadAddon(fit);
term.loadAddon(search);
term.loadAddon(unicode11);
term.unicode.activeVersion = '11';
term.loadAddon(new WebLinksAddon((event, uri) => {
    const opened = window.open(uri, '_blank', 'noopener,noreferrer');
    if (opened)
        opened.opener = null;
}));

silenceQueries(term);
term.open($('terminal'));
term.element.setAttribute('aria-label', 'Console output');

// WebGL when it works, the DOM renderer otherwise (and after a lost WebGL context).
let renderer = 'dom';
let webgl = null;
function useWebgl() {
    if (settings.get('renderer') === 'dom')
        return;
    try {
        webgl = new WebglAddon();
        webgl.onContextLoss(() => {
            log('WebGL context lost: falling back to the DOM renderer');
            webgl.dispose();
            webgl = null;
            renderer = 'dom';
            renderInfo();
        });
        term.loadAddon(webgl);
        renderer = 'webgl';
    } catch (e) {
        log(`WebGL renderer unavailable (${e.message}): using the DOM renderer`);
        webgl = null;
        renderer = 'dom';
    }
}
useWebgl();

function log(text) {
    console.info(`cloud-console: ${text}`);
}

// --- state shown on the page -------------------------------------------------------------------

const view = {
    name: null,
    title: '', // the title the console's program gave its terminal
    gaps: [],
    screens: [], // the screens drawn: {offset, cols, rows, complete, at}
    resizesSent: [], // the resizes this page asked for: {cols, rows, at}
    notices: [],
    refusedBytes: 0,
    serverErrors: [],
    transitions: [], // every connection state change: {state, reason, at}
    lastStatus: '',
};

function pathConsoleName() {
    const match = /\/c\/([A-Za-z0-9_\-][A-Za-z0-9._\-]{0,63})\/[^/]*$/.exec(location.pathname);
    return match ? decodeURIComponent(match[1]) : null;
}

function setName(name) {
    view.name = name;
    $('console-name').textContent = name;
    renderTitle();
    term.element.setAttribute('aria-label', `Console ${name}`);
}

// The program's title (OSC 0 or 2: a full-screen program's name, a shell's directory) beside the
// console's name, and in the window's title after it.
function setTitle(title) {
    view.title = title;
    renderTitle();
}

function renderTitle() {
    const title = oneLine(view.title, 120);
    $('terminal-title').textContent = title;
    $('terminal-title').hidden = !title;
    $('terminal-title').title = view.title;
    document.title = title ? `${view.name}: ${title} — cloud-console` : `${view.name} — cloud-console`;
}
term.onTitleChange(setTitle);

let noticeTimer = null;
function notice(text, kind = 'warning') {
    view.notices.push({ text, kind, at: Date.now() });
    if (view.notices.length > 50)
        view.notices.shift();
    const box = $('notice');
    box.textContent = text;
    box.dataset.kind = kind;
    box.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { box.hidden = true; }, 8000);
}

// Lines the page itself writes into the terminal stand out the same way in both themes: bold
// dark text on a light background, in direct colour so the palette does not change them.
const MARK_GAP = '\x1b[0;1;38;2;34;24;0;48;2;247;193;72m';
const MARK_EPOCH = '\x1b[0;1;38;2;0;30;40;48;2;120;214;228m';

// Everything that goes into the terminal, in stream order: output, the page's marker lines, the
// console's size, screens.
const feed = new TerminalFeed(term, {
    onShown: infoSoon,
    // A screen starts from nothing: the title too, unless its data sets one.
    onScreen: () => setTitle(''),
});

// --- connection --------------------------------------------------------------------------------

function numberOption(name, fallback) {
    const n = Number(query.get(name));
    return query.has(name) && Number.isFinite(n) && n >= 0 ? n : fallback;
}

const connection = new Connection(location.href, {
    onState(state, { reason }) {
        view.transitions.push({ state, reason, at: Date.now() });
        if (view.transitions.length > 200)
            view.transitions.shift();
        watchSession(state);
        renderStatus();
        // The connection takes messages only from here on (it counts as connected after
        // onHello): a page that follows its window gives the console its size now, also after
        // every reconnect.
        if (state === 'connected' && settings.get('followWindow'))
            fitConsole();
    },
    onHello(hello, { epochChanged }) {
        setName(hello.console);
        feed.resize(hello.size.cols, hello.size.rows);
        if (epochChanged) {
            feed.line(`\r\n${MARK_EPOCH} ── the server restarted: its history starts again here ── \x1b[0m\r\n`,
                      hello.offset);
        } else {
            feed.startAt(hello.offset);
        }
        $('readonly-badge').hidden = hello.writable;
        updateActions();
        renderInfo();
    },
    onOutput(bytes, endOffset) {
        feed.output(bytes, endOffset);
    },
    onGap(gap) {
        view.gaps.push(gap);
        // When a screen follows (the server sends one after a gap when it can), it clears
        // this line with everything else: the page then stands where the screen puts it.
        feed.line(`\r\n${MARK_GAP} … ${gap.bytes} bytes skipped … \x1b[0m\r\n`, gap.to);
    },
    onSource() {
        renderStatus();
        updateActions();
    },
    onSize(size) {
        feed.resize(size.cols, size.rows);
        updateActions();
        renderInfo();
    },
    onScreen(screen) {
        const { offset, cols, rows, complete } = screen;
        view.screens.push({ offset, cols, rows, complete, at: Date.now() });
        if (view.screens.length > 50)
            view.screens.shift();
        feed.screen(screen);
        if (!complete)
            notice('The server\'s screen may be incomplete: it skipped output during a flood');
        updateActions();
        renderInfo();
    },
    onServerError(error) {
        view.serverErrors.push(error);
        const what = {
            [ErrorCode.READ_ONLY]: 'Input refused: this page may not write to the console',
            [ErrorCode.SOURCE_DOWN]: 'Input refused: the console source is down',
            [ErrorCode.INPUT_OVERFLOW]: 'Input refused: the console is not reading its input',
            [ErrorCode.INPUT_RATE]: 'Input refused: typed or pasted faster than this server accepts',
            [ErrorCode.UNSUPPORTED]: 'Not supported by this console',
        }[error.code] || `The server refused a message (${error.code})`;
        notice(error.message ? `${what}: ${error.message}` : what, 'error');
    },
    onLog: log,
}, {
    backoffMin: numberOption('retryMs', 1000),
    backoffMax: numberOption('retryMaxMs', 30000),
    keepalive: numberOption('keepaliveMs', 20000),
    pongTimeout: numberOption('pongTimeoutMs', 10000),
});

// --- logins ------------------------------------------------------------------------------------

// With access control on, the server sends a browser without a valid session to its login form
// (the page at .../c/NAME/ to ../../login?next=c/NAME/, the root to login), and refuses its
// WebSocket with a 401 that a page cannot see. So when a connection fails or closes, the page
// asks for itself over HTTP, without following redirects: a redirect (or 401/403) means the
// session is gone, and retrying cannot help until the person logs in again.
const login = {
    // Whether this server asks for a login: the page asked for itself without its cookie (which
    // it cannot read: it is HttpOnly) and was sent to log in. null until known.
    uses: null,
    needed: null, // null, 'expired' (no valid session) or 'forbidden' (this user may not)
    checking: false,
    stopRequested: false, // the person (or a tool) disconnected: nothing to explain
};
const rootPrefix = pathConsoleName() === null ? '' : '../../';
const loginHref = pathConsoleName() === null
    ? 'login' : `../../login?next=c/${encodeURIComponent(pathConsoleName())}/`;

// How the server answers this page's own URL: 'ok', 'login', 'forbidden', 'other' or
// 'unreachable'.
async function pageAnswer(credentials) {
    try {
        const response = await fetch(location.href,
                                      { redirect: 'manual', cache: 'no-store', credentials });
        response.body?.cancel().catch(() => {});
        if (response.type === 'opaqueredirect' || response.status === 401)
            return 'login';
        if (response.status === 403)
            return 'forbidden';
        return response.ok ? 'ok' : 'other';
    } catch (e) {
        return 'unreachable';
    }
}

async function checkSession() {
    if (login.checking || login.needed)
        return;
    login.checking = true;
    const answer = await pageAnswer('same-origin');
    login.checking = false;
    if ((answer !== 'login' && answer !== 'forbidden') || connection.state === 'connected')
        return;
    login.uses = true;
    login.needed = answer === 'login' ? 'expired' : 'forbidden';
    showLogout();
    log(`the server wants a login (${login.needed}): no more attempts`);
    connection.stop(answer === 'login' ? 'the session has expired'
                                       : 'this login may not use this console');
}

function watchSession(state) {
    if (state === 'connecting' || state === 'connected') {
        login.needed = null;
        login.stopRequested = false;
    } else if (state === 'reconnecting' || (state === 'closed' && !login.stopRequested)) {
        checkSession();
    }
}

// The link shown in the status region when the session is gone: a real link, so it is focusable
// and a screen reader announces it with the status.
function addLoginLink() {
    const link = document.createElement('a');
    link.id = 'login-link';
    link.setAttribute('href', loginHref);
    link.hidden = true;
    link.style.color = 'var(--bar-fg)';
    link.style.textDecoration = 'underline';
    $('status-text').after(link);
}

// "Log out" posts to the server's logout, which ends the session and answers with the login form.
// It is shown only when the server uses logins.
function addLogoutControl() {
    const form = document.createElement('form');
    form.id = 'logout-form';
    form.method = 'post';
    form.setAttribute('action', `${rootPrefix}logout`);
    form.hidden = true;
    const button = document.createElement('button');
    button.type = 'submit';
    button.id = 'logout-button';
    button.textContent = 'Log out';
    button.title = 'End this login session';
    form.append(button);
    $('settings-button').after(form);
}

function showLogout() {
    $('logout-form').hidden = !login.uses;
}

async function detectLogins() {
    const answer = await pageAnswer('omit');
    if (answer === 'login')
        login.uses = true;
    else if (answer === 'ok' && login.uses === null)
        login.uses = false;
    showLogout();
}

let infoTimer = null;
function infoSoon() {
    if (infoTimer === null)
        infoTimer = setTimeout(() => { infoTimer = null; renderInfo(); }, 250);
}

// Reasons come from the server and may be long or span lines (a command line, say): the status
// bar shows one short line, its tooltip the whole text.
function oneLine(text, max = 90) {
    const flat = String(text).replace(/\s+/g, ' ').trim();
    return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

let countdown = null;
function renderStatus() {
    const c = connection;
    const source = c.hello?.source;
    let state = c.state;
    let text;
    clearInterval(countdown);
    countdown = null;
    switch (c.state) {
    case 'connecting':
        text = c.connects === 0 && c.attempt === 0 ? 'Connecting…' : `Reconnecting… ${c.reason}`;
        break;
    case 'connected':
        if (source?.state === 'down') {
            state = 'source-down';
            text = `Source down${source.reason ? `: ${source.reason}` : ''}`;
        } else {
            text = `Connected${source?.reason ? ` · ${source.reason}` : ''}`;
        }
        break;
    case 'reconnecting': {
        const seconds = Math.max(0, Math.ceil((c.retryAt - Date.now()) / 1000));
        text = `Disconnected: ${c.reason}. Reconnecting in ${seconds} s`;
        countdown = setInterval(renderStatus, 1000);
        break;
    }
    default:
        text = `Closed${c.reason ? `: ${c.reason}` : ''}`;
    }
    // A gone session ends the attempts; the way on is the login form, as a link in the status.
    const loginLink = $('login-link');
    const needLogin = c.state === 'closed' && login.needed !== null;
    if (needLogin) {
        text = login.needed === 'expired' ? 'Your session has expired —'
                                          : 'Your login may not use this console —';
        loginLink.textContent = login.needed === 'expired' ? 'Log in again'
                                                           : 'Log in as someone else';
    }
    loginLink.hidden = !needLogin;
    const box = $('status');
    box.dataset.state = state;
    if (needLogin)
        box.dataset.login = login.needed;
    else
        delete box.dataset.login;
    const full = needLogin ? `${text} ${loginLink.textContent}` : text;
    if (view.lastStatus !== full) {
        $('status-text').textContent = oneLine(text);
        box.title = full;
        view.lastStatus = full;
    }
    const button = $('reconnect-button');
    button.hidden = needLogin || !(c.state === 'reconnecting' || c.state === 'closed');
    button.textContent = c.state === 'closed' ? 'Connect' : 'Reconnect now';
    document.body.dataset.connection = c.state;
    updateActions();
    renderInfo();
}

// The quieter half of the status bar: where the output stands, the console's size (which the
// terminal has), the renderer.
function renderInfo() {
    const parts = [];
    if (feed.shownOffset !== null)
        parts.push(`offset ${feed.shownOffset}`);
    const size = consoleSize();
    parts.push(`${size.cols}×${size.rows}`);
    parts.push(renderer === 'webgl' ? 'WebGL' : 'DOM renderer');
    $('status-info').textContent = parts.join(' · ');
}

$('reconnect-button').addEventListener('click', () => {
    if (connection.state === 'closed')
        connection.start();
    else
        connection.reconnectNow();
    term.focus();
});

// --- input -------------------------------------------------------------------------------------

function sendBytes(bytes) {
    if (bytes.length === 0)
        return;
    const result = connection.sendInput(bytes);
    if (typeof result === 'number')
        return;
    view.refusedBytes += bytes.length;
    let why = result === 'read-only' ? 'this page is read-only' : 'not connected to the console';
    if (login.needed === 'expired')
        why = 'the session has expired, log in again';
    notice(`Input not sent (${bytes.length} byte${bytes.length === 1 ? '' : 's'}): ${why}. `
           + `${view.refusedBytes} byte${view.refusedBytes === 1 ? '' : 's'} refused so far.`);
}

onUserData(term, (data) => sendBytes(encoder.encode(data)));
// Legacy mouse reports: one byte per character.
term.onBinary((data) => sendBytes(Uint8Array.from(data, (ch) => ch.charCodeAt(0) & 0xff)));

// --- clipboard ---------------------------------------------------------------------------------

async function copyText(text) {
    if (!text)
        return false;
    try {
        if (navigator.clipboard && window.isSecureContext) {
            await navigator.clipboard.writeText(text);
            return true;
        }
    } catch (e) {
        // fall back below
    }
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
        ok = document.execCommand('copy');
    } catch (e) {
        ok = false;
    }
    area.remove();
    term.focus();
    return ok;
}

function copySelection() {
    if (!term.hasSelection())
        return;
    copyText(term.getSelection()).then((ok) => {
        if (!ok)
            notice('The browser refused to copy the selection');
    });
}

// Pastes the clipboard through the terminal, which wraps it in bracketed-paste markers when the
// console's program asked for them.
async function pasteClipboard() {
    try {
        const text = await navigator.clipboard.readText();
        if (text)
            term.paste(text);
    } catch (e) {
        notice('The browser did not allow reading the clipboard: use Ctrl+Shift+V');
    }
}

// Copy on select waits for the selection to settle (a mouse drag changes it many times).
let selectionTimer = null;
term.onSelectionChange(() => {
    if (!settings.get('copyOnSelect'))
        return;
    clearTimeout(selectionTimer);
    selectionTimer = setTimeout(() => {
        if (term.hasSelection())
            copyText(term.getSelection());
    }, 150);
});

$('terminal').addEventListener('contextmenu', (event) => {
    if (!settings.get('rightClickPaste') || !navigator.clipboard?.readText || !window.isSecureContext)
        return; // the browser's own menu offers Paste
    event.preventDefault();
    pasteClipboard();
});

// --- font size ---------------------------------------------------------------------------------

function setFontSize(size) {
    const clamped = Math.min(FONT_SIZE_MAX, Math.max(FONT_SIZE_MIN, size));
    settings.set('fontSize', clamped);
}

// --- keyboard ----------------------------------------------------------------------------------

// Shortcuts the page takes before the terminal sees the key. Returns true when handled.
function pageShortcut(event) {
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const ctrl = event.ctrlKey || event.metaKey;
    if (ctrl && event.shiftKey && !event.altKey) {
        switch (key) {
        case 'c':
            if (event.type === 'keydown')
                copySelection();
            return 'handled';
        case 'v':
            // Let the browser paste into the terminal's input: it fires a paste event the
            // terminal turns into input, bracketed when the program asked for that.
            return 'native';
        case 'f':
            if (event.type === 'keydown')
                openFind();
            return 'handled';
        case 'o':
            if (event.type === 'keydown')
                $('find-button').focus();
            return 'handled';
        default:
            break;
        }
    }
    if (ctrl && !event.altKey) {
        if (key === '+' || key === '=') {
            if (event.type === 'keydown')
                setFontSize(settings.get('fontSize') + 1);
            return 'handled';
        }
        if (key === '-' && !event.shiftKey) {
            if (event.type === 'keydown')
                setFontSize(settings.get('fontSize') - 1);
            return 'handled';
        }
        if (key === '0' && !event.shiftKey) {
            if (event.type === 'keydown')
                setFontSize(14);
            return 'handled';
        }
    }
    return null;
}

term.attachCustomKeyEventHandler((event) => {
    const what = pageShortcut(event);
    if (what === 'handled')
        event.preventDefault();
    return what === null;
});

// The same shortcuts work when the focus is elsewhere on the page.
window.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || term.element.contains(event.target))
        return;
    const what = pageShortcut(event);
    if (what === 'handled')
        event.preventDefault();
});

// --- find bar ----------------------------------------------------------------------------------

const findDecorations = () => {
    const light = settings.get('theme') === 'light';
    return {
        matchBackground: light ? '#f6e08e' : '#5c4d10',
        matchOverviewRuler: '#c9a227',
        activeMatchBackground: light ? '#f0a020' : '#c76b00',
        activeMatchColorOverviewRuler: '#ff9f1a',
    };
};

function findOptions(incremental = false) {
    return {
        caseSensitive: $('find-case').checked,
        regex: $('find-regex').checked,
        incremental,
        decorations: findDecorations(),
    };
}

const findState = { index: -1, count: 0 };
search.onDidChangeResults(({ resultIndex, resultCount }) => {
    findState.index = resultIndex;
    findState.count = resultCount;
    renderFindCount();
});

function renderFindCount() {
    const term_ = $('find-input').value;
    const box = $('find-count');
    if (!term_)
        box.textContent = '';
    else if (findState.count === 0)
        box.textContent = 'no matches';
    else if (findState.index < 0)
        box.textContent = `${findState.count}+ matches`;
    else
        box.textContent = `${findState.index + 1} of ${findState.count}`;
    box.dataset.none = String(Boolean(term_) && findState.count === 0);
}

function find(forward, incremental = false) {
    const text = $('find-input').value;
    if (!text) {
        search.clearDecorations();
        findState.index = -1;
        findState.count = 0;
        renderFindCount();
        return;
    }
    try {
        if (forward)
            search.findNext(text, findOptions(incremental));
        else
            search.findPrevious(text, findOptions());
    } catch (e) {
        $('find-count').textContent = 'invalid pattern';
    }
}

function openFind() {
    const bar = $('findbar');
    bar.hidden = false;
    const input = $('find-input');
    if (term.hasSelection() && !term.getSelection().includes('\n'))
        input.value = term.getSelection();
    input.focus();
    input.select();
    if (input.value)
        find(true, true);
}

function closeFind() {
    $('findbar').hidden = true;
    search.clearDecorations();
    term.focus();
}

$('find-button').addEventListener('click', openFind);
$('find-close').addEventListener('click', closeFind);
$('find-next').addEventListener('click', () => find(true));
$('find-prev').addEventListener('click', () => find(false));
$('find-input').addEventListener('input', () => find(true, true));
// A changed option starts the search afresh, so the count follows the new options.
function refind() {
    search.clearDecorations();
    find(true, true);
}
$('find-case').addEventListener('change', refind);
$('find-regex').addEventListener('change', refind);
$('findbar').addEventListener('submit', (event) => event.preventDefault());
$('findbar').addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
        event.preventDefault();
        closeFind();
    } else if (event.key === 'Enter' && event.target === $('find-input')) {
        event.preventDefault();
        find(!event.shiftKey);
    } else if (event.key === 'F3') {
        event.preventDefault();
        find(!event.shiftKey);
    }
});

// --- actions -----------------------------------------------------------------------------------

function setAction(button, reasonBox, reason) {
    // Disabled actions stay focusable so keyboard and screen-reader users can learn why.
    button.setAttribute('aria-disabled', reason ? 'true' : 'false');
    button.classList.toggle('disabled', Boolean(reason));
    button.dataset.reason = reason || '';
    button.title = reason ? "" : button.dataset.help;
    $(reasonBox).textContent = reason ? `Unavailable: ${reason}` : '';
}

$('break-button').dataset.help = 'Send a BREAK to the console';
$('redraw-button').dataset.help = 'Draw the console\'s screen again, as the server has it';

function actionReason(capability, what) {
    const h = connection.hello;
    if (!connection.connected || !h)
        return 'not connected';
    if (!h.writable)
        return 'this page is read-only';
    if (!h.capabilities[capability])
        return `this console does not support ${what}`;
    return '';
}

function updateActions() {
    const fits = fit.proposeDimensions();
    $('resize-button').dataset.help = `Set the console's size to this window${
        fits ? `: ${fits.cols}×${fits.rows}` : ''}`;
    setAction($('break-button'), 'break-reason', actionReason('break', 'BREAK'));
    setAction($('resize-button'), 'resize-reason', actionReason('resize', 'resizing'));
    setAction($('redraw-button'), 'redraw-reason', connection.connected ? '' : 'not connected');
}

function runAction(button, action) {
    button.addEventListener('click', () => {
        if (button.getAttribute('aria-disabled') === 'true') {
            notice(`${button.textContent}: unavailable, ${button.dataset.reason}`);
            return;
        }
        action();
    });
}

runAction($('break-button'), () => {
    if (connection.sendBreak())
        notice('BREAK sent', 'info');
});
runAction($('resize-button'), () => {
    const sent = fitConsole();
    notice(sent.why ? `Not resized: ${sent.why}` : `Console resized to ${sent.cols}×${sent.rows}`,
           sent.why ? 'warning' : 'info');
    term.focus();
});
runAction($('redraw-button'), () => {
    connection.requestScreen();
    term.focus();
});

// The console's size: the server's, which the terminal follows (screen.js); 80x24 until the
// first hello says otherwise.
function consoleSize() {
    return connection.hello?.size ?? { cols: term.cols, rows: term.rows };
}

// Asks the server to give the console the size that fits this window. Only the person's doing:
// the Fit action, or their window changing while the page follows it (size.js says why never
// in answer to the server). Returns what fitRequest() says: {cols, rows} sent, or {why} not.
function fitConsole() {
    const request = fitRequest(fit.proposeDimensions(), connection.connected ? connection.hello : null);
    if (request.why)
        return request;
    connection.sendResize(request.cols, request.rows);
    view.resizesSent.push({ ...request, at: Date.now() });
    if (view.resizesSent.length > 50)
        view.resizesSent.shift();
    return request;
}

// The window (or the font) changed size.
function followWindow() {
    updateActions();
    keepCursorInView();
    if (settings.get('followWindow'))
        fitConsole();
}

let downloading = false;
$('download-button').addEventListener('click', async () => {
    if (downloading)
        return;
    downloading = true;
    const button = $('download-button');
    button.setAttribute('aria-busy', 'true');
    try {
        const { bytes, hello } = await fetchHistory(location.href);
        const name = hello?.console || view.name || 'console';
        const blob = new Blob([bytes], { type: 'application/octet-stream' });
        const link = document.createElement('a');
        link.href = URL.createObjectURL(blob);
        link.download = `${name}-history.log`;
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(link.href), 60000);
        notice(`Downloaded ${bytes.length} bytes of history`, 'info');
    } catch (e) {
        notice(`Download failed: ${e.message}`, 'error');
    } finally {
        downloading = false;
        button.removeAttribute('aria-busy');
    }
});

// --- settings panel ----------------------------------------------------------------------------

function toggleSettings(open) {
    const panel = $('settings');
    const show = open ?? panel.hidden;
    panel.hidden = !show;
    $('settings-button').setAttribute('aria-expanded', String(show));
    if (show) {
        renderSettings();
        $('set-font-size').focus();
    }
}

function renderSettings() {
    const s = settings.all();
    $('set-font-size').value = s.fontSize;
    $('set-scrollback').value = s.scrollback;
    $('set-copy-on-select').checked = s.copyOnSelect;
    $('set-right-click-paste').checked = s.rightClickPaste;
    $('set-screen-reader').checked = s.screenReader;
    $('set-follow-window').checked = s.followWindow;
    for (const radio of document.querySelectorAll('input[name="theme"]'))
        radio.checked = radio.value === s.theme;
    const overridden = settings.overridden();
    $('settings-note').textContent = overridden.length
        ? `Set by the page address for now: ${overridden.join(', ')}.` : '';
    $('about').textContent = `Renderer: ${renderer}. Protocol ${SUBPROTOCOL}`
        + (connection.hello?.server ? `, server ${connection.hello.server}.` : '.');
}

$('settings-button').addEventListener('click', () => toggleSettings());
$('settings').addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
        event.preventDefault();
        toggleSettings(false);
        $('settings-button').focus();
    }
});
$('font-smaller').addEventListener('click', () => setFontSize(settings.get('fontSize') - 1));
$('font-bigger').addEventListener('click', () => setFontSize(settings.get('fontSize') + 1));
$('set-font-size').addEventListener('change', (e) => setFontSize(Number(e.target.value)));
$('set-scrollback').addEventListener('change', (e) => {
    if (!settings.set('scrollback', e.target.value))
        e.target.value = settings.get('scrollback');
});
$('set-copy-on-select').addEventListener('change', (e) => settings.set('copyOnSelect', e.target.checked));
$('set-right-click-paste').addEventListener('change', (e) => settings.set('rightClickPaste', e.target.checked));
$('set-screen-reader').addEventListener('change', (e) => settings.set('screenReader', e.target.checked));
$('set-follow-window').addEventListener('change', (e) => settings.set('followWindow', e.target.checked));
for (const radio of document.querySelectorAll('input[name="theme"]'))
    radio.addEventListener('change', (e) => settings.set('theme', e.target.value));

function applyTheme(name) {
    const theme = THEMES[name];
    document.documentElement.dataset.theme = name;
    term.options.theme = theme.terminal;
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
            fitConsole();
        break;
    case 'scrollback':
        term.options.scrollback = value;
        showsScrollbar();
        break;
    case 'screenReader':
        term.options.screenReaderMode = value;
        break;
    case 'theme':
        applyTheme(value);
        break;
    default:
        break;
    }
    if (!$('settings').hidden)
        renderSettings();
});

// --- layout ------------------------------------------------------------------------------------

// Without scrollback xterm.js shows no scroll bar, and FitAddon leaves no room for one: neither
// does the page then (app.css).
function showsScrollbar() {
    $('terminal').dataset.scrollbar = String(settings.get('scrollback') > 0);
}
showsScrollbar();

// The terminal changes size only when the console does (a hello, a size, a screen): nothing to
// send back. The window changing size is the person's doing.
term.onResize(() => {
    updateActions();
    renderInfo();
});
watchSize($('terminal'), followWindow);

// A window smaller than the console scrolls the terminal's area. While the person works in the
// terminal, the area keeps the cursor in sight, so what they type shows. (xterm.js keeps its
// textarea over the cursor cell: CoreBrowserTerminal._syncTextArea on every cursor move.)
let cursorFrame = 0;
function keepCursorInView() {
    if (document.activeElement === term.textarea)
        keepInView($('terminal'), term.textarea);
}
term.onCursorMove(() => {
    cancelAnimationFrame(cursorFrame);
    cursorFrame = requestAnimationFrame(keepCursorInView);
});
term.textarea.addEventListener('focus', () => requestAnimationFrame(keepCursorInView));

// The area around a terminal smaller than the window is the terminal's too: a click there gives
// it the keyboard, as a click on the grid does.
$('terminal').addEventListener('mousedown', (event) => {
    if (event.target !== $('terminal'))
        return;
    event.preventDefault();
    term.focus();
});

// --- automation --------------------------------------------------------------------------------

function lines(from, to) {
    const buffer = term.buffer.active;
    const result = [];
    for (let y = from; y < to; y += 1)
        result.push(buffer.getLine(y)?.translateToString(true) ?? '');
    return result.join('\n');
}

// For tests and tools driving the page; documented in docs/web.md.
window.cloudConsole = Object.freeze({
    protocol: { version: VERSION, subprotocol: SUBPROTOCOL },
    get state() { return connection.state; },
    get reason() { return connection.reason; },
    get status() { return view.lastStatus; },
    get console() { return view.name; },
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
    get refusedBytes() { return view.refusedBytes; },
    get gaps() { return view.gaps.slice(); },
    get notices() { return view.notices.slice(); },
    get serverErrors() { return view.serverErrors.slice(); },
    get transitions() { return view.transitions.slice(); },
    get renderer() { return renderer; },
    get settings() { return settings.all(); },
    get size() { return { cols: term.cols, rows: term.rows }; },
    get consoleSize() { return connection.hello ? { ...consoleSize() } : null; },
    get title() { return view.title; },
    get buffer() { return term.buffer.active.type; },
    get screens() { return view.screens.slice(); },
    get resizesSent() { return view.resizesSent.slice(); },
    visibleText() {
        const y = term.buffer.active.viewportY;
        return lines(y, y + term.rows);
    },
    bufferText() {
        return lines(0, term.buffer.active.length);
    },
    send(text) { sendBytes(encoder.encode(text)); },
    get login() {
        return { uses: login.uses, needed: login.needed, url: $('login-link').href };
    },
    reconnect() { connection.reconnectNow(); },
    drop(reason) { connection.drop(reason); },
    disconnect() {
        login.stopRequested = true;
        connection.stop();
    },
    connect() { connection.start(); },
    redraw() { return connection.requestScreen(); },
    fitToWindow() { return fitConsole(); },
    terminal: term,
});

// --- start -------------------------------------------------------------------------------------

document.documentElement.dataset.theme = settings.get('theme');
setName(pathConsoleName() || 'console');
addLoginLink();
addLogoutControl();
renderStatus();
connection.start();
detectLogins();
if (query.get('focus') !== '0')
    term.focus();
