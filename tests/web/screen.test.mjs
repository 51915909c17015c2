// A page that comes late to a full-screen program still sees it as it is: once the server's
// history (64 KiB here) has wrapped, replaying the bytes it kept would draw a few updates of one
// field on an empty screen, so the server sends its screen instead. The page shows the title,
// the header and the footer drawn long before, the field's latest value, on the alternate
// screen; the same after a reconnect across a gap, and when the person asks for a redraw.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';

import {
    cc, cleanup, controlledSource, launchBrowser, screenshot, startProxy, startServer, waitFor,
    waitForState,
} from './lib/harness.mjs';

const ESC = '\x1b';
const HISTORY = 64 * 1024;

let source;
let server;
let browser;
let count = 0;

before(async () => {
    source = controlledSource();
    server = await startServer({ name: 'fullscreen', exec: source.exec, historySize: '64K' });
    browser = await launchBrowser();
});
after(cleanup);

// A full-screen program: the alternate screen, a title, a header and a footer, once.
function drawProgram(title) {
    source.write(`${ESC}[?1049h${ESC}]2;${title}\x07${ESC}[2J`
                 + `${ESC}[1;1H${ESC}[7m HEADER  load monitor ${ESC}[0m`
                 + `${ESC}[24;1H${ESC}[1mFOOTER  F1 help  F10 quit${ESC}[0m`);
}

// Then only one field changes, in place, until at least `bytes` have gone by.
function updateField(bytes) {
    const start = source.written;
    while (source.written - start < bytes) {
        let chunk = '';
        for (let i = 0; i < 500; i += 1) {
            count += 1;
            chunk += `${ESC}[12;5Hcount ${String(count).padStart(8, '0')}`;
        }
        source.write(chunk);
    }
}

const latest = () => `count ${String(count).padStart(8, '0')}`;

async function settled(page) {
    await page.waitForFunction((o) => window.cloudConsole.shownOffset === o, source.written,
                               { timeout: 30000 });
}

// What the page shows of the program: its rows, the active buffer, the title.
async function program(page) {
    const rows = (await cc(page, 'cc.visibleText()')).split('\n');
    return {
        header: rows[0],
        field: rows[11],
        footer: rows[23],
        rows: rows.length,
        buffer: await cc(page, 'cc.buffer'),
        title: await page.title(),
        shownTitle: await page.textContent('#terminal-title'),
    };
}

function assertShowsProgram(shown, title) {
    assert.equal(shown.buffer, 'alternate', 'on the alternate screen');
    assert.equal(shown.rows, 24);
    assert.match(shown.header, /^ HEADER {2}load monitor/);
    assert.match(shown.footer, /^FOOTER {2}F1 help {2}F10 quit/);
    assert.equal(shown.field.trim(), latest());
    assert.equal(shown.title, `fullscreen: ${title} — cloud-console`);
    assert.equal(shown.shownTitle, title);
}

test('a page that attaches after the history wrapped shows the program as it is', async () => {
    drawProgram('monitor on vm1');
    updateField(3 * HISTORY);
    const { page } = browser;
    await page.goto(`${server.url}?focus=0`);
    await waitForState(page, 'connected');
    await settled(page);

    const hello = await cc(page, 'cc.hello');
    assert.ok(hello.history.start > 0, `the history wrapped: ${JSON.stringify(hello.history)}`);
    assertShowsProgram(await program(page), 'monitor on vm1');
    const screens = await cc(page, 'cc.screens');
    assert.equal(screens.length, 1, JSON.stringify(screens));
    assert.equal(screens[0].complete, true);
    assert.ok(screens[0].offset >= hello.history.start && screens[0].offset <= source.written);
    assert.deepEqual(await cc(page, 'cc.gaps'), []);
    await screenshot(page, 'web-wrapped.png');

    // Download still saves the bytes the history keeps (asked from where it starts, so the
    // server sends them rather than its screen).
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-button')]);
    const saved = fs.readFileSync(await download.path());
    assert.equal(saved.toString('hex'), source.output().subarray(hello.history.start).toString('hex'));

    // The program goes on: the page follows, and keys still reach it.
    updateField(1000);
    await settled(page);
    assert.equal((await program(page)).field.trim(), latest());
    const input = source.inputBytes().length;
    await page.locator('.xterm-screen').click();
    await page.keyboard.type('q');
    await waitFor(() => source.inputBytes().subarray(input).toString() === 'q', 'the key');
});

test('a reconnect across a gap gets a screen and shows the latest state, without a gap line', async () => {
    const proxy = await startProxy(server.port);
    const { page } = browser;
    await page.goto(`http://127.0.0.1:${proxy.port}/?retryMs=300&retryMaxMs=1000&focus=0`);
    await waitForState(page, 'connected');
    await settled(page);
    const cutAt = source.written;
    const screensBefore = (await cc(page, 'cc.screens')).length;

    proxy.cut();
    await waitForState(page, 'reconnecting');
    drawProgram('monitor after the gap');
    updateField(3 * HISTORY);
    proxy.restore();
    await waitForState(page, 'connected', 20000);
    await settled(page);

    assertShowsProgram(await program(page), 'monitor after the gap');
    const gaps = await cc(page, 'cc.gaps');
    assert.equal(gaps.length, 1, JSON.stringify(gaps));
    assert.equal(gaps[0].from, cutAt);
    const screens = (await cc(page, 'cc.screens')).slice(screensBefore);
    assert.equal(screens.length, 1, JSON.stringify(screens));
    assert.equal(screens[0].offset, gaps[0].to, 'the gap runs to the screen');
    const whole = await cc(page, 'cc.bufferText()');
    assert.ok(!whole.includes('bytes skipped'), 'the screen replaced the gap line');
    await proxy.close();
});

test('Redraw asks for the screen again and shows the same', async () => {
    const { page } = browser;
    await page.goto(`${server.url}?focus=0`);
    await waitForState(page, 'connected');
    await settled(page);
    const before = (await cc(page, 'cc.screens')).length;
    // The page's terminal loses track (as after a local mishap): Redraw puts it right.
    await page.evaluate(() => window.cloudConsole.terminal.write('\x1b[?1049l\x1b[2Jgarbage'));
    await page.click('#redraw-button');
    await waitFor(async () => (await cc(page, 'cc.screens')).length === before + 1, 'a screen');
    await settled(page);
    assertShowsProgram(await program(page), 'monitor after the gap');
    assert.equal(await cc(page, 'cc.terminal.textarea === document.activeElement'), true,
                 'the terminal has the focus again');
});
