// Alerts on the page, from a real server's built-in rules matching what a guest prints on a real
// pty: a kernel panic puts a red banner over the terminal and a badge in the status bar; "Show"
// scrolls to the panic's line and highlights it; a later warning adds to the badge without
// taking the banner from the panic; the list shows both and each links to its moment; a login
// prompt (info) gets no banner; a link's #offset=N shows its moment once the page has drawn the
// history, and says so clearly when the line is no longer there.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    cc, cleanup, controlledSource, launchBrowser, screenshot, startServer, waitFor, waitForState,
} from './lib/harness.mjs';

const PANIC = '[   31.004503] Kernel panic - not syncing: sysrq triggered crash';
const OOM = '[   40.100000] Out of memory: Killed process 4242 (stress) total-vm:812kB';
const OOPS = '[   52.700001] Oops: 0000 [#1] PREEMPT SMP NOPTI';

let source;
let server;
let browser;
let panicAt;
let oomAt;

before(async () => {
    source = controlledSource();
    server = await startServer({ name: 'vm1', exec: source.exec, historySize: '256K' });
    browser = await launchBrowser();
});
after(cleanup);

// Lines of ordinary boot output.
function filler(count, tag) {
    let text = '';
    for (let i = 0; i < count; i += 1)
        text += `[    ${tag}.${String(i).padStart(6, '0')}] systemd[1]: Started unit ${tag}-${i}.service.\r\n`;
    return text;
}

// A kernel's oops trace after its panic line: enough to push the panic off the screen.
function trace(count) {
    let text = '';
    for (let i = 0; i < count; i += 1)
        text += `[   31.0${String(i).padStart(5, '0')}]  ? __trace_frame_${i}+0x${(i * 37).toString(16)}/0x200\r\n`;
    return text;
}

async function settled(page) {
    await page.waitForFunction((o) => window.cloudConsole.shownOffset === o, source.written,
                               { timeout: 20000 });
}

// A page loaded anew (not only a new fragment on the same page).
async function load(page, url) {
    await page.goto('about:blank');
    await page.goto(url);
}

async function open(page, suffix = '') {
    await load(page, `${server.url}?focus=0${suffix}`);
    await waitForState(page, 'connected');
    await settled(page);
}

// What the terminal shows on the row the page last took the person to, and where that row is.
async function momentShown(page) {
    return page.evaluate(() => {
        const cc = window.cloudConsole;
        const moment = cc.moment;
        if (!moment || moment.row === undefined)
            return { moment };
        const buffer = cc.terminal.buffer.active;
        const highlight = document.querySelector('.xterm .alert-moment');
        const box = highlight?.getBoundingClientRect();
        const screen = document.querySelector('.xterm-screen').getBoundingClientRect();
        return {
            moment,
            text: buffer.getLine(moment.row).translateToString(true),
            inView: moment.row >= buffer.viewportY && moment.row < buffer.viewportY + cc.size.rows,
            highlighted: Boolean(box) && box.height > 0 && box.top >= screen.top - 1
                && box.bottom <= screen.bottom + 1 && getComputedStyle(highlight).display !== 'none',
            severity: highlight?.dataset.severity ?? null,
        };
    });
}

// The same, once the page has taken the person to the moment at `offset` and drawn its
// highlight (decorations are drawn with the next frame).
async function momentAt(page, offset) {
    return waitFor(async () => {
        const shown = await momentShown(page);
        return shown.moment?.offset === offset && (shown.highlighted || shown.moment.gone) && shown;
    }, `the moment at ${offset}`);
}

const banner = (page) => page.evaluate(() => ({
    hidden: document.getElementById('alert-banner').hidden,
    severity: document.getElementById('alert-banner').dataset.severity,
    text: document.getElementById('alert-banner-text').textContent,
    more: document.getElementById('alert-banner-more').hidden
        ? '' : document.getElementById('alert-banner-more').textContent,
}));

const badge = (page) => page.evaluate(() => ({
    hidden: document.getElementById('alert-badge').hidden,
    text: document.getElementById('alert-badge-text').textContent,
    severity: document.getElementById('alert-badge').dataset.severity ?? null,
}));

test('a kernel panic shows a red banner and a badge; Show takes the person to its line', async () => {
    const { page } = browser;
    source.write(filler(200, 'boot'));
    await open(page);
    assert.equal((await badge(page)).hidden, true, 'no badge before any alert');
    assert.equal((await banner(page)).hidden, true);

    panicAt = source.written;
    source.write(`${PANIC}\r\n${trace(60)}`);
    await waitFor(async () => (await cc(page, 'cc.alerts')).length === 1, 'the alert');
    const [alert] = await cc(page, 'cc.alerts');
    assert.deepEqual([alert.rule, alert.severity, alert.line, alert.offset],
                     ['kernel-panic', 'critical', PANIC, panicAt]);
    const time = await page.evaluate((t) => {
        const at = new Date(t);
        return [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
    }, alert.time);

    await waitFor(async () => !(await banner(page)).hidden, 'the banner');
    assert.deepEqual(await banner(page), {
        hidden: false,
        severity: 'critical',
        text: `Kernel panic — kernel-panic (critical) at ${time}: [ 31.004503] Kernel panic - not syncing: sysrq triggered crash`,
        more: '',
    });
    assert.deepEqual(await badge(page), { hidden: false, text: '1 alert', severity: 'critical' });
    await settled(page);
    assert.ok(!(await cc(page, 'cc.visibleText()')).includes('Kernel panic'),
              'the trace pushed the panic off the screen');
    await screenshot(page, 'web-alert-banner.png');

    await page.click('#alert-banner-show');
    const shown = await momentAt(page, panicAt);
    assert.equal(shown.moment.offset, panicAt);
    assert.equal(shown.text, PANIC);
    assert.equal(shown.inView, true, JSON.stringify(shown));
    assert.equal(shown.highlighted, true, 'the line is highlighted');
    assert.equal(shown.severity, 'critical');
    assert.ok((await cc(page, 'cc.visibleText()')).includes(PANIC));
    assert.deepEqual(await badge(page), { hidden: false, text: 'Alerts', severity: null },
                     'seen once shown');

    // The guest goes on printing: the view stays on the moment.
    source.write(trace(10));
    await settled(page);
    assert.equal((await momentShown(page)).inView, true);
});

test('a warning counts in the badge and leaves the banner to the panic; the list links to both', async () => {
    const { page } = browser;
    oomAt = source.written;
    source.write(`${OOM}\r\n${filler(40, 'oom')}`);
    await waitFor(async () => (await cc(page, 'cc.alerts')).length === 2, 'the second alert');
    await waitFor(async () => (await badge(page)).text === '1 alert', 'the badge to count it');
    assert.deepEqual(await badge(page), { hidden: false, text: '1 alert', severity: 'warning' });
    const shownBanner = await banner(page);
    assert.equal(shownBanner.severity, 'critical', 'a warning does not replace a critical banner');
    assert.equal(shownBanner.more, '+1 more');

    await page.click('#alert-badge');
    assert.equal(await page.isVisible('#alert-list'), true);
    const items = await page.$$eval('#alert-list-items li', (lis) => lis.map((li) => ({
        severity: li.dataset.severity,
        offset: Number(li.dataset.offset),
        heading: li.querySelector('.heading').textContent,
        line: li.querySelector('.line').textContent,
    })));
    assert.equal(items.length, 2);
    assert.deepEqual(items.map((i) => [i.severity, i.offset]), [['warning', oomAt], ['critical', panicAt]],
                     'newest first');
    assert.match(items[0].heading, /^Out of memory: process killed — oom-kill \(warning\) at \d\d:\d\d:\d\d$/);
    assert.equal(items[0].line, OOM.replace(/\s+/g, ' '));
    assert.deepEqual(await badge(page), { hidden: false, text: 'Alerts', severity: null },
                     'opening the list sees them');
    assert.equal((await banner(page)).more, '');
    await screenshot(page, 'web-alert-list.png');

    await page.click(`#alert-list-items li[data-offset="${oomAt}"] button.show`);
    assert.equal(await page.isVisible('#alert-list'), false, 'Show closes the list');
    let shown = await momentAt(page, oomAt);
    assert.deepEqual([shown.moment.offset, shown.text, shown.inView, shown.highlighted, shown.severity],
                     [oomAt, OOM, true, true, 'warning']);

    await page.click('#alert-badge');
    await page.click(`#alert-list-items li[data-offset="${panicAt}"] button.show`);
    shown = await momentAt(page, panicAt);
    assert.deepEqual([shown.moment.offset, shown.text, shown.inView, shown.highlighted],
                     [panicAt, PANIC, true, true]);
    assert.equal(await page.locator('.xterm .alert-moment').count(), 1, 'one moment highlighted');

    await page.click('#alert-banner-close');
    assert.equal((await banner(page)).hidden, true, 'dismissed');
    await page.keyboard.press('Escape');
});

test('a login prompt (info) gets no banner, only the badge', async () => {
    const { page } = browser;
    await open(page); // a new page: alerts are not replayed
    assert.equal((await badge(page)).hidden, true);
    source.write('\r\nDebian GNU/Linux 12 vm1 ttyS0\r\n\r\nvm1 login: ');
    await waitFor(async () => (await cc(page, 'cc.alerts')).length === 1, 'the login prompt alert');
    const [alert] = await cc(page, 'cc.alerts');
    assert.deepEqual([alert.rule, alert.severity], ['login-prompt', 'info']);
    await waitFor(async () => !(await badge(page)).hidden, 'the badge');
    assert.deepEqual(await badge(page), { hidden: false, text: '1 alert', severity: 'info' });
    assert.equal((await banner(page)).hidden, true, 'no banner for info');
    assert.deepEqual(await cc(page, 'cc.notices'), [], 'and no notice');
    source.write('\r\n');
});

test('a link to #offset=N shows that moment once the page has attached', async () => {
    const { page } = browser;
    await load(page, `${server.url}?focus=0#offset=${panicAt}`);
    await waitForState(page, 'connected');
    await settled(page);
    const shown = await momentAt(page, panicAt);
    assert.deepEqual([shown.text, shown.inView, shown.highlighted, shown.moment.exact],
                     [PANIC, true, true, true], JSON.stringify(shown));
    assert.equal((await banner(page)).hidden, true, 'a link is no alert');

    // Changing the fragment on the open page goes to the new moment (the page loads again to
    // find it: its line was drawn in the middle of a write, among others).
    await page.evaluate((o) => { location.hash = `#offset=${o}`; }, oomAt);
    const second = await momentAt(page, oomAt);
    assert.deepEqual([second.text, second.inView, second.highlighted, second.moment.exact],
                     [OOM, true, true, true]);
});

test('a moment no longer there is said so: gone from the history, or from the scrollback', async () => {
    const { page } = browser;
    // Past the server's history (256 KiB): the panic's line is no longer there to send.
    source.write(filler(4500, 'later'));
    await load(page, `${server.url}?focus=0#offset=${panicAt}`);
    await waitForState(page, 'connected');
    await settled(page);
    const hello = await cc(page, 'cc.hello');
    assert.ok(hello.history.start > panicAt, JSON.stringify(hello.history));
    await waitFor(async () => (await cc(page, 'cc.moment'))?.gone, 'the moment to be gone');
    assert.equal((await cc(page, 'cc.moment')).gone, 'before');
    const notices = (await cc(page, 'cc.notices')).map((n) => n.text);
    assert.ok(notices.some((t) => t.startsWith(`Cannot show offset ${panicAt}: it came before the output this page has`)),
              JSON.stringify(notices));

    // A page with a short scrollback: an oops scrolls out of it before Show is clicked.
    await open(page, '&scrollback=100');
    const at = source.written;
    source.write(`${OOPS}\r\n`);
    await waitFor(async () => (await cc(page, 'cc.alerts')).length === 1, 'the oops alert');
    source.write(filler(300, 'after'));
    await settled(page);
    await page.click('#alert-banner-show');
    assert.deepEqual(await cc(page, 'cc.moment'), { offset: at, gone: 'scrollback' });
    const last = (await cc(page, 'cc.notices')).at(-1);
    assert.deepEqual(last, { ...last, kind: 'warning',
                             text: `Cannot show the line of kernel-oops (offset ${at}): it has left this page's scrollback (Settings: Scrollback lines)` });
});
