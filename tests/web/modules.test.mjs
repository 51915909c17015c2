// The page's modules that do not touch the DOM, in node: what the status bar and notices say,
// the keyboard shortcuts and font size, what the page's address says, when and whether to
// retry, the login checks (with a fake fetch), what the page says about alerts, about who is
// here, the keyboard and pastes, and the key bar's bytes.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.resolve(here, '../../resources/web/src');
const load = (name) => import(pathToFileURL(path.join(src, name)).href);
const status = await load('status.js');
const { Shortcut, browserDoes, fontSizeAfter, shortcutFor } = await load('shortcuts.js');
const { FONT_SIZE, SETTINGS, clampFontSize } = await load('settings.js');
const page = await load('page.js');
const retry = await load('retry.js');
const { Logins, pageAnswer } = await load('login.js');
const { findCount, findDecorations } = await load('find.js');
const alertText = await load('alerttext.js');
const presenceText = await load('presencetext.js');
const keys = await load('keys.js');
const wallList = await load('walllist.js');

const hello = {
    writable: true, source: { state: 'up', reason: '/dev/pts/3' },
    capabilities: { resize: true, break: false }, size: { cols: 80, rows: 24 },
};
const connection = (fields) => ({
    state: 'connected', reason: '', connects: 1, attempt: 0, retryAt: 0, hello, ...fields,
});

test('status: the first attempt, a retry under way, connected, the source down', () => {
    const first = status.connectionStatus(connection({ state: 'connecting', connects: 0, hello: null }), null, 0);
    assert.equal(first.text, 'Connecting…');
    assert.equal(first.reconnect.hidden, true);
    const again = status.connectionStatus(connection({ state: 'connecting', reason: 'resuming at offset 7' }), null, 0);
    assert.equal(again.text, 'Reconnecting… resuming at offset 7');
    const up = status.connectionStatus(connection(), null, 0);
    assert.deepEqual([up.state, up.text, up.link, up.ticking], ['connected', 'Connected · /dev/pts/3', null, false]);
    const down = status.connectionStatus(connection({ hello: { ...hello, source: { state: 'down', reason: 'end of file' } } }), null, 0);
    assert.deepEqual([down.state, down.text], ['source-down', 'Source down: end of file']);
    const bare = status.connectionStatus(connection({ hello: { ...hello, source: { state: 'down', reason: '' } } }), null, 0);
    assert.equal(bare.text, 'Source down');
});

test('status: reconnecting counts down in whole seconds, never below 0', () => {
    const c = connection({ state: 'reconnecting', reason: 'the connection was lost', retryAt: 10_000 });
    const s = status.connectionStatus(c, null, 7_500);
    assert.equal(s.text, 'Disconnected: the connection was lost. Reconnecting in 3 s');
    assert.equal(s.ticking, true);
    assert.deepEqual(s.reconnect, { hidden: false, label: 'Reconnect now' });
    assert.match(status.connectionStatus(c, null, 20_000).text, /in 0 s$/);
});

test('status: closed, and closed because the session is gone', () => {
    const closed = status.connectionStatus(connection({ state: 'closed', reason: 'HTTP 404: no such console' }), null, 0);
    assert.equal(closed.text, 'Closed: HTTP 404: no such console');
    assert.deepEqual(closed.reconnect, { hidden: false, label: 'Connect' });
    const expired = status.connectionStatus(connection({ state: 'closed', reason: 'x' }), 'expired', 0);
    assert.deepEqual([expired.text, expired.link, expired.full],
                     ['Your session has expired —', 'Log in again', 'Your session has expired — Log in again']);
    assert.equal(expired.reconnect.hidden, true);
    const forbidden = status.connectionStatus(connection({ state: 'closed' }), 'forbidden', 0);
    assert.equal(forbidden.full, 'Your login may not use this console — Log in as someone else');
    // Only a closed connection shows the link: a login found gone while reconnecting waits.
    assert.equal(status.connectionStatus(connection({ state: 'reconnecting' }), 'expired', 0).link, null);
});

test('status: one short line for long reasons; the info half', () => {
    assert.equal(status.oneLine('  a\n\tb  c '), 'a b c');
    const long = status.oneLine('x'.repeat(200));
    assert.equal(long.length, 90);
    assert.ok(long.endsWith('…'));
    assert.equal(status.oneLine('x'.repeat(90)), 'x'.repeat(90));
    assert.equal(status.infoText(1200, { cols: 80, rows: 24 }, 'webgl'), 'offset 1200 · 80×24 · WebGL');
    assert.equal(status.infoText(null, { cols: 132, rows: 43 }, 'dom'), '132×43 · DOM renderer');
});

test('notices: refused input, server errors, fitting, unavailable actions', () => {
    assert.equal(status.refusedInputNotice(1, 1, 'disconnected', null),
                 'Input not sent (1 byte): not connected to the console. 1 byte refused so far.');
    assert.equal(status.refusedInputNotice(5, 13, 'read-only', null),
                 'Input not sent (5 bytes): this page is read-only. 13 bytes refused so far.');
    assert.match(status.refusedInputNotice(2, 2, 'disconnected', 'expired'), /the session has expired, log in again/);
    assert.equal(status.serverErrorNotice({ code: 'read-only', message: '' }),
                 'Input refused: this page may not write to the console');
    assert.equal(status.serverErrorNotice({ code: 'input-rate', message: '70000 bytes' }),
                 'Input refused: typed or pasted faster than this server accepts: 70000 bytes');
    assert.equal(status.serverErrorNotice({ code: 'constructor', message: '' }),
                 'The server refused a message (constructor)');
    assert.equal(status.fitNotice({ cols: 120, rows: 40 }), 'Console resized to 120×40');
    assert.equal(status.fitNotice({ why: 'not connected' }), 'Not resized: not connected');
    assert.equal(status.actionReason(false, hello, 'break', 'BREAK'), 'not connected');
    assert.equal(status.actionReason(true, null, 'break', 'BREAK'), 'not connected');
    assert.equal(status.actionReason(true, { ...hello, writable: false }, 'resize', 'resizing'), 'this page is read-only');
    assert.equal(status.actionReason(true, hello, 'break', 'BREAK'), 'this console does not support BREAK');
    assert.equal(status.actionReason(true, hello, 'resize', 'resizing'), '');
});

const key = (k, mods = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

test('shortcuts: the keys of docs/web.md, and nothing else', () => {
    const ctrlShift = { ctrlKey: true, shiftKey: true };
    assert.equal(shortcutFor(key('C', ctrlShift)), Shortcut.COPY);
    assert.equal(shortcutFor(key('V', ctrlShift)), Shortcut.PASTE);
    assert.equal(shortcutFor(key('F', ctrlShift)), Shortcut.FIND);
    assert.equal(shortcutFor(key('O', ctrlShift)), Shortcut.TOOLBAR);
    assert.equal(shortcutFor(key('f', { metaKey: true, shiftKey: true })), Shortcut.FIND); // Cmd
    assert.equal(shortcutFor(key('=', { ctrlKey: true })), Shortcut.FONT_BIGGER);
    assert.equal(shortcutFor(key('+', { ctrlKey: true, shiftKey: true })), Shortcut.FONT_BIGGER);
    assert.equal(shortcutFor(key('-', { ctrlKey: true })), Shortcut.FONT_SMALLER);
    assert.equal(shortcutFor(key('0', { ctrlKey: true })), Shortcut.FONT_DEFAULT);
    // These go to the console.
    for (const event of [key('c', { ctrlKey: true }), key('d', { ctrlKey: true }), key('Tab'),
                         key('F', { ctrlKey: true, shiftKey: true, altKey: true }), key('-', { ctrlKey: true, shiftKey: true }),
                         key('0', { ctrlKey: true, shiftKey: true }), key('=', { ctrlKey: true, altKey: true }),
                         key('x', ctrlShift), key('C', { shiftKey: true }), key('F3')])
        assert.equal(shortcutFor(event), null, JSON.stringify(event));
    assert.equal(browserDoes(Shortcut.PASTE), true);
    assert.equal(browserDoes(Shortcut.COPY), false);
});

test('font size: one set of bounds for the setting, the shortcuts and the panel', () => {
    assert.deepEqual(FONT_SIZE, { min: 6, max: 48, default: 14 });
    assert.equal(SETTINGS.fontSize[1], FONT_SIZE.default);
    assert.equal(SETTINGS.fontSize[0](FONT_SIZE.min), FONT_SIZE.min);
    assert.equal(SETTINGS.fontSize[0](FONT_SIZE.max + 1), undefined);
    assert.equal(clampFontSize(100), 48);
    assert.equal(clampFontSize(1), 6);
    assert.equal(fontSizeAfter(Shortcut.FONT_BIGGER, 14), 15);
    assert.equal(fontSizeAfter(Shortcut.FONT_BIGGER, 48), 48);
    assert.equal(fontSizeAfter(Shortcut.FONT_SMALLER, 6), 6);
    assert.equal(fontSizeAfter(Shortcut.FONT_SMALLER, 20), 19);
    assert.equal(fontSizeAfter(Shortcut.FONT_DEFAULT, 30), 14);
    assert.equal(fontSizeAfter(Shortcut.FIND, 30), 30);
});

test('the page\'s address: console name, login and logout, timing, focus', () => {
    assert.equal(page.consoleNameFromPath('/c/vm1/'), 'vm1');
    assert.equal(page.consoleNameFromPath('/tools/consoles/c/db-2.prod/'), 'db-2.prod');
    assert.equal(page.consoleNameFromPath('/c/vm1/index.html'), 'vm1');
    assert.equal(page.consoleNameFromPath('/'), null);
    assert.equal(page.consoleNameFromPath('/c/.hidden/'), null);
    assert.equal(page.consoleNameFromPath(`/c/${'a'.repeat(65)}/`), null);
    assert.deepEqual(page.loginPaths('/c/vm1/'), { login: '../../login?next=c/vm1/', logout: '../../logout' });
    assert.deepEqual(page.loginPaths('/tools/'), { login: 'login', logout: 'logout' });
    assert.deepEqual(page.connectionOptions(''), { backoffMin: 1000, backoffMax: 30000, keepalive: 20000, pongTimeout: 10000 });
    assert.deepEqual(page.connectionOptions('?retryMs=50&retryMaxMs=200&keepaliveMs=0&pongTimeoutMs=junk'),
                     { backoffMin: 50, backoffMax: 200, keepalive: 0, pongTimeout: 10000 });
    assert.equal(page.connectionOptions('?retryMs=-1').backoffMin, 1000);
    assert.equal(page.focusOnLoad(''), true);
    assert.equal(page.focusOnLoad('?focus=0'), false);
});

test('the page\'s address: the moment a link names in its fragment', () => {
    assert.equal(page.offsetFromFragment('#offset=20480'), 20480);
    assert.equal(page.offsetFromFragment('offset=0'), 0);
    assert.equal(page.offsetFromFragment('#x=1&offset=7&y=2'), 7);
    assert.equal(page.offsetFromFragment(''), null);
    assert.equal(page.offsetFromFragment('#offset='), null);
    assert.equal(page.offsetFromFragment('#offset=-1'), null);
    assert.equal(page.offsetFromFragment('#offset=12abc'), null);
    assert.equal(page.offsetFromFragment('#myoffset=3'), null);
    assert.equal(page.offsetFromFragment('#offset=99999999999999999'), null, 'beyond a safe integer');
});

test('alerts: severities, which ones get a banner, the badge', () => {
    assert.equal(alertText.severityOf({ severity: 'critical' }), 'critical');
    assert.equal(alertText.severityOf({ severity: 'emergency' }), 'warning', 'unknown: a warning');
    assert.equal(alertText.highestSeverity([]), null);
    assert.equal(alertText.highestSeverity([{ severity: 'info' }, { severity: 'critical' }, { severity: 'warning' }]),
                 'critical');
    assert.deepEqual(['info', 'warning', 'critical'].map(alertText.wantsBanner), [false, true, true]);
    assert.deepEqual(alertText.badgeText(1, 3), { text: '1 alert', label: '1 new alert of 3: show the list' });
    assert.deepEqual(alertText.badgeText(2, 2), { text: '2 alerts', label: '2 new alerts of 2: show the list' });
    assert.deepEqual(alertText.badgeText(0, 1), { text: 'Alerts', label: '1 alert, all seen: show the list' });
    assert.equal(alertText.moreText(0), '');
    assert.equal(alertText.moreText(3), '+3 more');
});

test('alerts: the banner\'s words, in the page\'s local time', () => {
    const at = new Date(2026, 11, 5, 3, 12, 44, 123); // local
    const alert = {
        rule: 'kernel-panic', severity: 'critical', time: at.toISOString(), offset: 20480,
        line: '[   31.004503] Kernel panic - not syncing:\tVFS: Unable to mount root fs',
    };
    assert.equal(alertText.alertTime(alert.time, at), '03:12:44');
    assert.equal(alertText.alertTime(alert.time, new Date(2026, 11, 6, 1)), '2026-12-05 03:12:44',
                 'another day: with its date');
    assert.equal(alertText.alertTime('not a time', at), 'not a time');
    assert.equal(alertText.alertHeading(alert, at), 'Kernel panic — kernel-panic (critical) at 03:12:44');
    assert.equal(alertText.bannerText(alert, at),
                 'Kernel panic — kernel-panic (critical) at 03:12:44: [ 31.004503] Kernel panic - not syncing: VFS: Unable to mount root fs');
    assert.equal(alertText.alertHeading({ ...alert, rule: 'my-rule', severity: 'odd' }, at),
                 'my-rule (warning) at 03:12:44', 'a rule of the configuration\'s own');
    assert.equal(alertText.ruleTitle('login-prompt'), 'Login prompt');
    assert.equal(alertText.ruleTitle('toString'), null);
    assert.ok(alertText.bannerText({ ...alert, line: 'x'.repeat(4096) }, at).length < 400, 'long lines cut');
});

test('alerts: why a moment cannot be shown, and its highlight', () => {
    assert.equal(alertText.goneNotice('before', 'offset 5', 1000),
                 'Cannot show offset 5: it came before the output this page has (from offset 1000 on); the console\'s history no longer holds it, or the page attached later');
    assert.equal(alertText.goneNotice('scrollback', 'the line of oom-kill (offset 9)', null),
                 'Cannot show the line of oom-kill (offset 9): it has left this page\'s scrollback (Settings: Scrollback lines)');
    assert.match(alertText.goneNotice('screen', 'offset 5', null), /full-screen program/);
    assert.match(alertText.goneNotice('unknown', 'offset 5', null), /^Cannot find offset 5/);
    for (const severity of alertText.SEVERITIES) {
        for (const theme of ['dark', 'light'])
            assert.match(alertText.momentColour(severity, theme), /^#[0-9a-f]{6}$/, `${severity} ${theme}`);
    }
});

test('a bounded list keeps the last items, and hands out copies', () => {
    const list = new page.BoundedList(3);
    for (let i = 0; i < 5; i += 1)
        list.push(i);
    assert.deepEqual(list.items(), [2, 3, 4]);
    list.items().push(99);
    assert.deepEqual(list.items(), [2, 3, 4]);
});

test('retry: the delay doubles up to the longest, final close codes, refused upgrades', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((n) => retry.retryDelay(n, 1000, 30000)),
                     [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    assert.equal(retry.retryDelay(0, 50, 200), 50);
    for (const code of [1000, 1001, 1005, 1006, 1011, 1012])
        assert.equal(retry.retryHelps(code), true, `${code}`);
    for (const code of [1002, 1003, 1007, 1008, 1009, 1010, 4000, 4999])
        assert.equal(retry.retryHelps(code), false, `${code}`);
    assert.equal(retry.describeClose({ code: 1006, reason: '' }), 'the connection was lost');
    assert.equal(retry.describeClose({ code: 1001, reason: 'no answer to pings for 60 s' }),
                 'the server is going away: no answer to pings for 60 s');
    assert.equal(retry.describeClose({ code: 4321, reason: '' }), 'close code 4321');
    assert.deepEqual(retry.explainRefusal(404, 'no console "x"'), { reason: 'HTTP 404: no console "x"', final: true });
    assert.deepEqual(retry.explainRefusal(400, ''), { reason: 'HTTP 400', final: true });
    assert.deepEqual(retry.explainRefusal(503, 'too many clients'), { reason: 'HTTP 503: too many clients', final: false });
    assert.deepEqual(retry.explainRefusal(426, 'upgrade required'), { reason: 'the connection was refused', final: false });
    assert.deepEqual(retry.explainRefusal(null), { reason: 'the server cannot be reached', final: false });
});

test('find: the count beside the field, the highlight per theme', () => {
    assert.equal(findCount('', 0, 3), '');
    assert.equal(findCount('x', -1, 0), 'no matches');
    assert.equal(findCount('x', -1, 1000), '1000+ matches');
    assert.equal(findCount('x', 0, 3), '1 of 3');
    assert.notEqual(findDecorations('light').matchBackground, findDecorations('dark').matchBackground);
});

test('logins: how the page\'s own URL was answered', () => {
    assert.equal(pageAnswer({ type: 'opaqueredirect', status: 0, ok: false }), 'login');
    assert.equal(pageAnswer({ type: 'basic', status: 401, ok: false }), 'login');
    assert.equal(pageAnswer({ type: 'basic', status: 403, ok: false }), 'forbidden');
    assert.equal(pageAnswer({ type: 'basic', status: 200, ok: true }), 'ok');
    assert.equal(pageAnswer({ type: 'basic', status: 500, ok: false }), 'other');
});

function fakeFetch(answers) {
    const asked = [];
    const fn = async (url, options) => {
        asked.push(options.credentials);
        const answer = answers[options.credentials];
        if (answer instanceof Error)
            throw answer;
        return answer;
    };
    return { fn, asked };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

test('logins: detected without the cookie; a gone session stops the attempts once', async () => {
    const redirect = { type: 'opaqueredirect', status: 0, ok: false };
    const { fn, asked } = fakeFetch({ omit: redirect, 'same-origin': redirect });
    const needed = [];
    const logins = new Logins('http://h/c/vm1/', fn, { onNeeded: (why) => needed.push(why) });
    await logins.detect();
    assert.equal(logins.uses, true);
    logins.watch('reconnecting', () => false);
    logins.watch('reconnecting', () => false); // a check under way is not repeated
    await settle();
    assert.deepEqual(needed, ['expired']);
    assert.equal(logins.needed, 'expired');
    assert.deepEqual(asked, ['omit', 'same-origin']);
    logins.watch('closed', () => false); // already known: not asked again
    await settle();
    assert.equal(asked.length, 2);
    logins.watch('connected', () => true);
    assert.equal(logins.needed, null);
});

test('logins: none on a server without access control; a stop on request is not checked', async () => {
    const ok = { type: 'basic', status: 200, ok: true };
    const { fn, asked } = fakeFetch({ omit: ok, 'same-origin': new Error('offline') });
    const logins = new Logins('http://h/', fn, { onNeeded: () => assert.fail('not needed') });
    await logins.detect();
    assert.equal(logins.uses, false);
    logins.stopRequested();
    logins.watch('closed', () => false);
    assert.deepEqual(asked, ['omit']);
    logins.watch('reconnecting', () => false); // unreachable: nothing to conclude
    await settle();
    assert.equal(logins.needed, null);
    // A connection that came back meanwhile wins over the answer.
    const redirect = { type: 'opaqueredirect', status: 0, ok: false };
    const late = new Logins('http://h/', fakeFetch({ 'same-origin': redirect }).fn,
                            { onNeeded: () => assert.fail('connected meanwhile') });
    late.watch('reconnecting', () => true);
    await settle();
    assert.equal(late.needed, null);
});

// --- presence, the keyboard, pastes ----------------------------------------------------------

const alice = { id: 1, name: 'alice', role: 'operator', kind: 'page', address: '10.0.0.7:51472',
                joined: '2026-12-05T03:07:02.123Z', typed: '' };
const bob = { id: 4, name: 'bob', role: 'viewer', kind: 'viewer', address: '127.0.0.1:40112',
              joined: '2026-12-05T03:08:40.500Z', typed: '' };

test('presence: names, repeated ones told apart by id; the count', () => {
    const names = presenceText.namesOf([alice, bob]);
    assert.equal(names.get(1), 'alice');
    assert.equal(names.get(4), 'bob');
    const anonymous = presenceText.namesOf([{ ...alice, name: 'anonymous' }, { ...bob, name: 'anonymous' }]);
    assert.equal(anonymous.get(1), 'anonymous #1');
    assert.equal(anonymous.get(4), 'anonymous #4');
    assert.equal(presenceText.nameOf(names, 9), 'client #9');
    assert.equal(presenceText.countText(3), '3 here');
    assert.match(presenceText.countLabel(1), /^1 client attached/);
    assert.match(presenceText.countLabel(2), /^2 clients attached/);
});

test('presence: who has the keyboard, in the status bar', () => {
    const names = presenceText.namesOf([alice, bob]);
    assert.equal(presenceText.keyboardText({ input: 'shared', holder: null, you: 4 }, names), '');
    assert.equal(presenceText.keyboardText({ input: 'exclusive', holder: null, you: 4 }, names),
                 'Nobody has the keyboard');
    assert.equal(presenceText.keyboardText({ input: 'exclusive', holder: 1, you: 4 }, names),
                 'alice has the keyboard');
    assert.equal(presenceText.keyboardText({ input: 'exclusive', holder: 1, you: 1 }, names),
                 'You have the keyboard');
});

test('presence: a notice for every change of the keyboard\'s holder', () => {
    const names = presenceText.namesOf([alice, { ...bob, role: 'operator' }]);
    const notice = (control, previous, you) => presenceText.controlNotice(control, previous, you, names);
    assert.deepEqual(notice({ holder: 4, by: 4, reason: 'taken' }, 1, 4), { text: 'You have the keyboard', kind: 'info' });
    assert.deepEqual(notice({ holder: 4, by: 4, reason: 'taken' }, 1, 1),
                     { text: 'bob took the keyboard: this page is read-only until you take it back', kind: 'warning' });
    assert.equal(notice({ holder: 4, by: 4, reason: 'taken' }, null, 7).text, 'bob took the keyboard');
    assert.equal(notice({ holder: 4, by: 1, reason: 'given' }, 1, 4).text, 'alice gave you the keyboard');
    assert.equal(notice({ holder: 4, by: 1, reason: 'given' }, 1, 1).text, 'You gave the keyboard to bob');
    assert.equal(notice({ holder: 4, by: 1, reason: 'given' }, 1, 7).text, 'alice gave the keyboard to bob');
    assert.match(notice({ holder: null, by: 1, reason: 'released' }, 1, 4).text, /^alice released the keyboard/);
    assert.deepEqual(notice({ holder: null, by: null, reason: 'idle' }, 4, 4),
                     { text: 'You were idle: the keyboard is free again', kind: 'warning' });
    assert.equal(notice({ holder: null, by: null, reason: 'idle' }, 1, 4).text, 'alice was idle: the keyboard is free again');
    assert.equal(notice({ holder: null, by: null, reason: 'left' }, 1, 4).text, 'alice left: the keyboard is free again');
    assert.equal(notice({ holder: null, by: null, reason: 'left' }, null, 4).text, 'Its holder left: the keyboard is free again');
    assert.equal(notice({ holder: 1, by: 1, reason: 'stolen' }, null, 4).text, 'The keyboard changed hands (stolen)');
});

test('presence: when each client typed, and its details', () => {
    const now = Date.parse('2026-12-05T03:10:00.000Z');
    assert.equal(presenceText.typedText('', now), 'never typed');
    assert.equal(presenceText.typedText('2026-12-05T03:09:58.000Z', now), 'typing');
    assert.equal(presenceText.typedText('2026-12-05T03:10:01.000Z', now), 'typing', 'a clock ahead of ours');
    assert.equal(presenceText.typedText('2026-12-05T03:09:48.000Z', now), 'typed 12 s ago');
    assert.equal(presenceText.typedText('2026-12-05T03:06:00.000Z', now), 'typed 4 min ago');
    assert.match(presenceText.typedText('2026-12-05T01:00:00.000Z', now), /^typed at \d\d:\d\d$/);
    assert.equal(presenceText.typedText('t', now), 'typed t');
    assert.match(presenceText.clientDetail(alice), /^operator · page · 10\.0\.0\.7:51472 · joined \d\d:\d\d:\d\d$/);
    assert.equal(presenceText.localTime('t'), 't');
    assert.equal(status.refusedInputNotice(1, 3, 'keyboard', null, 'alice'),
                 'Input not sent (1 byte): alice has the keyboard; use Take keyboard in the status bar to type. 3 bytes refused so far.');
    assert.equal(status.serverErrorNotice({ code: 'paste-refused', message: 'larger than 1 MiB' }),
                 'Paste refused: larger than 1 MiB');
});

test('pastes: progress in words, and how each ends', () => {
    const names = presenceText.namesOf([alice, bob]);
    const running = { id: 7, by: 1, state: 'running', sent: 8192, total: 20480, message: '' };
    assert.equal(presenceText.pasteStatus(running, true, names), 'Pasting 40% (8.0 KiB of 20 KiB)');
    assert.equal(presenceText.pasteStatus(running, false, names), 'alice is pasting 40%');
    assert.equal(presenceText.percent(0, 0), 100);
    assert.equal(presenceText.byteText(1), '1 byte');
    assert.equal(presenceText.byteText(1023), '1023 bytes');
    assert.equal(presenceText.byteText(1024 * 1024), '1.0 MiB');
    assert.deepEqual(presenceText.pasteEndNotice({ ...running, state: 'done', sent: 20480 }),
                     { text: 'Pasted 20 KiB', kind: 'info' });
    assert.deepEqual(presenceText.pasteEndNotice({ ...running, state: 'cancelled', message: 'cancelled by alice' }),
                     { text: 'Paste cancelled after 8.0 KiB of 20 KiB: cancelled by alice', kind: 'warning' });
    assert.equal(presenceText.pasteEndNotice({ ...running, state: 'failed', message: 'source down' }).kind, 'error');
});

test('pastes: line ends as CR, bracketed only when asked, no end marker inside', () => {
    assert.equal(presenceText.preparePaste('a\nb\r\nc\rd', false), 'a\rb\rc\rd');
    assert.equal(presenceText.preparePaste('ls\n', true), '\x1b[200~ls\r\x1b[201~');
    assert.equal(presenceText.preparePaste('x\x1b[201~rm -rf /\n', true), '\x1b[200~xrm -rf /\r\x1b[201~');
    assert.equal(presenceText.preparePaste('', false), '');
});

// --- the key bar -----------------------------------------------------------------------------

test('key bar: each key\'s bytes, in both cursor-key modes and with sticky modifiers', () => {
    const { BarKey, keyBytes } = keys;
    const table = [
        [BarKey.ESC, {}, '\x1b'],
        [BarKey.TAB, {}, '\t'],
        [BarKey.CTRL_C, {}, '\x03'],
        [BarKey.UP, {}, '\x1b[A'],
        [BarKey.DOWN, {}, '\x1b[B'],
        [BarKey.RIGHT, {}, '\x1b[C'],
        [BarKey.LEFT, {}, '\x1b[D'],
        [BarKey.UP, { applicationCursor: true }, '\x1bOA'],
        [BarKey.LEFT, { applicationCursor: true }, '\x1bOD'],
        [BarKey.UP, { ctrl: true }, '\x1b[1;5A'],
        [BarKey.RIGHT, { alt: true, applicationCursor: true }, '\x1b[1;3C'],
        [BarKey.DOWN, { ctrl: true, alt: true }, '\x1b[1;7B'],
        [BarKey.ESC, { alt: true }, '\x1b\x1b'],
        [BarKey.TAB, { alt: true }, '\x1b\t'],
        [BarKey.CTRL_C, { alt: true }, '\x1b\x03'],
        ['nothing', {}, ''],
    ];
    for (const [key, modifiers, bytes] of table)
        assert.equal(keyBytes(key, modifiers), bytes, `${key} ${JSON.stringify(modifiers)}`);
});

test('key bar: sticky Ctrl and Alt on typed input; when the bar shows', () => {
    const { controlCharacter, isSequence, showsKeyBar, withModifiers } = keys;
    assert.equal(withModifiers('c', { ctrl: true }), '\x03');
    assert.equal(withModifiers('C', { ctrl: true }), '\x03');
    assert.equal(withModifiers('d', { ctrl: true, alt: true }), '\x1b\x04');
    assert.equal(withModifiers('b', { alt: true }), '\x1bb');
    assert.equal(withModifiers('é', { alt: true }), '\x1bé');
    assert.equal(withModifiers('1', { ctrl: true }), '1', 'Ctrl does nothing to a digit without a control character');
    assert.equal(withModifiers('word', { ctrl: true }), '\x17ord', 'the first character only');
    assert.equal(withModifiers('x', {}), 'x');
    assert.equal(controlCharacter('['), '\x1b');
    assert.equal(controlCharacter(' '), '\x00');
    assert.equal(controlCharacter('?'), '\x7f');
    assert.equal(controlCharacter('é'), null);
    assert.equal(isSequence('\x1b[A'), true);
    assert.equal(isSequence('\x1bOP'), true);
    assert.equal(isSequence('\x1b'), false);
    assert.equal(isSequence('a'), false);
    assert.equal(showsKeyBar('auto', { coarsePointer: true }), true);
    assert.equal(showsKeyBar('auto', { maxTouchPoints: 5 }), true);
    assert.equal(showsKeyBar('auto', {}), false);
    assert.equal(showsKeyBar('on', {}), true);
    assert.equal(showsKeyBar('off', { coarsePointer: true, maxTouchPoints: 5 }), false);
    assert.deepEqual(SETTINGS.keyBar[0]('on'), 'on');
    assert.equal(SETTINGS.keyBar[0]('sometimes'), undefined);
    assert.equal(SETTINGS.keyBar[1], 'auto');
});

// --- sharetext.js: the share dialog's words and addresses -----------------------------------

const shareText = await load('sharetext.js');

test('the share dialog asks for the console\'s links beside the page and builds links from its address', () => {
    assert.equal(shareText.sharesPath('vm1', 'vm1'), 'shares');
    assert.equal(shareText.sharesPath(null, 'vm 1'), 'c/vm%201/shares');
    // Below a reverse proxy's prefix, the link keeps it.
    assert.equal(shareText.linkUrl('https://h.example/p/c/vm1/', 'vm1', 'share/AB.CD'),
                 'https://h.example/p/share/AB.CD');
    assert.equal(shareText.linkUrl('http://127.0.0.1:8080/', null, 'share/AB.CD'),
                 'http://127.0.0.1:8080/share/AB.CD');
    assert.equal(shareText.DEFAULT_LIFETIME, 3600);
    assert.ok(shareText.LIFETIMES.every(({ seconds }) => seconds > 0 && seconds <= shareText.MAX_LIFETIME));
});

test('the share dialog says how long a link has left, and offers sharing to operators only', () => {
    const now = Date.UTC(2026, 11, 5, 9, 0, 0);
    assert.equal(shareText.timeLeft(now + 40_000, now), 'in 40 s');
    assert.equal(shareText.timeLeft(now + 59 * 60_000, now), 'in 59 min');
    assert.equal(shareText.timeLeft(now + 200 * 60_000, now), 'in 3 h 20 min');
    assert.equal(shareText.timeLeft(now + 24 * 3600_000, now), 'in 24 h');
    assert.equal(shareText.timeLeft(now - 1000, now), 'expired');
    const link = { expires: new Date(now + 3600_000).toISOString(), singleUse: true, createdBy: 'alice' };
    assert.equal(shareText.linkSummary(link, now, () => '10:00'),
                 'until 10:00 (in 1 h) · single-use · by alice');
    assert.equal(shareText.linkSummary({ ...link, usedAt: link.expires }, now, () => '10:00'),
                 'until 10:00 (in 1 h) · single-use, opened · by alice');
    const clients = (role) => ({ you: 2, clients: [{ id: 1, role: 'operator' }, { id: 2, role }] });
    assert.equal(shareText.isOperator(clients('operator')), true);
    assert.equal(shareText.isOperator(clients('viewer')), false);
    assert.equal(shareText.isOperator(null), false);
});

test('wall: which tiles the filters let through, and the hosts of a fleet', () => {
    const host = { name: 'a' };
    const tile = (name, state, alert = '') => ({ name, state, alert, host });
    const none = { name: '', state: '', host: '' };
    assert.ok(wallList.passes(tile('vm1', 'ready'), none));
    assert.ok(wallList.passes(tile('Web-01', 'ready'), { ...none, name: 'web' }));
    assert.ok(!wallList.passes(tile('db-01', 'ready'), { ...none, name: 'web' }));
    assert.ok(!wallList.passes(tile('vm1', 'ready'), { ...none, host: 'b' }));
    assert.ok(wallList.passes(tile('vm1', 'failed'), { ...none, state: 'failed' }));
    assert.ok(!wallList.passes(tile('vm1', 'ready'), { ...none, state: 'failed' }));
    assert.ok(wallList.passes(tile('vm1', 'ready', 'warning'), { ...none, state: 'alert' }));
    assert.ok(!wallList.passes(tile('vm1', 'failed'), { ...none, state: 'alert' }));

    const self = 'https://proxy.example/h/a/';
    assert.deepEqual(wallList.hostsFrom(null, self), [{ name: 'this server', prefix: self, self: true }]);
    const hosts = wallList.hostsFrom({ self: 'a', hosts: [
        { name: 'b', prefix: '/h/b' }, { name: 'a-again', prefix: '/h/a/' }, { name: 7, prefix: '/x/' },
        { name: 'c', prefix: '/h/c/' },
    ] }, self);
    assert.deepEqual(hosts.map((h) => `${h.name} ${h.prefix}`), [
        'a https://proxy.example/h/a/', 'b https://proxy.example/h/b/', 'c https://proxy.example/h/c/',
    ]);
    assert.equal(wallList.ageText(null), 'never');
    assert.equal(wallList.ageText(75), '1 min ago');
    assert.deepEqual(wallList.alertCounts({ alerts: { critical: 2 } }), { critical: 2, warning: 0, info: 0 });
});
