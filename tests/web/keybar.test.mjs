// The key bar on a touch screen (Chromium with touch emulation, a phone-sized viewport): it shows,
// each key reaches the pty as its bytes (the arrows in both cursor-key modes, the same bytes
// xterm.js sends for the physical keys), Ctrl and Alt stick for the next key, tapping keeps the
// focus in the terminal; on a desktop it does not show unless asked. Takes web-keybar.png.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    cc, cleanup, controlledSource, launchBrowser, screenshot, startServer, waitFor, waitForState,
    waitForText,
} from './lib/harness.mjs';

let source;
let server;
let page;

const PHONE = { viewport: { width: 390, height: 760 },
                contextOptions: { hasTouch: true, isMobile: true, deviceScaleFactor: 2 } };

before(async () => {
    source = controlledSource({ history: 'phone$ ' });
    server = await startServer({ name: 'keybar', exec: source.exec });
    ({ page } = await launchBrowser(PHONE));
    // The DOM renderer: headless Chromium's software WebGL draws nothing under touch emulation
    // at a device scale of 2, and the screenshot should show the terminal.
    await page.goto(`${server.url}?renderer=dom`);
    await waitForState(page, 'connected');
    await waitForText(page, 'ready');
    await page.tap('#terminal .xterm', { position: { x: 40, y: 10 } });
});
after(cleanup);

// Waits for the console to have received exactly `expected` after what it had before.
async function expectInput(before, expected, what) {
    const want = Buffer.concat([before, Buffer.from(expected, 'latin1')]);
    await waitFor(() => source.inputBytes().length >= want.length,
                  `${what}: ${want.length} input bytes (have ${source.inputBytes().length})`);
    const got = source.inputBytes();
    assert.equal(got.subarray(before.length).toString('hex'), want.subarray(before.length).toString('hex'), what);
    return got;
}

const tap = (key) => page.tap(`#keybar button[data-key="${key}"]`);

test('the bar shows on a touch screen, under the terminal', async () => {
    assert.equal(await page.isVisible('#keybar'), true);
    assert.equal(await cc(page, 'cc.keyBar.shown'), true);
    const labels = await page.$$eval('#keybar button', (buttons) => buttons.map((b) => b.textContent));
    assert.deepEqual(labels, ['Esc', 'Ctrl', 'Alt', 'Tab', '←', '↑', '↓', '→', '^C']);
    // Every key is a touch target: at least 40 pixels high.
    const heights = await page.$$eval('#keybar button', (buttons) => buttons.map((b) => b.getBoundingClientRect().height));
    assert.ok(heights.every((h) => h >= 40), JSON.stringify(heights));
});

test('each key sends its bytes, and the terminal keeps the focus', async () => {
    let before = source.inputBytes();
    const keys = [
        ['esc', '\x1b'], ['tab', '\t'], ['ctrl-c', '\x03'],
        ['up', '\x1b[A'], ['down', '\x1b[B'], ['right', '\x1b[C'], ['left', '\x1b[D'],
    ];
    for (const [key, bytes] of keys) {
        await tap(key);
        before = await expectInput(before, bytes, key);
    }
    assert.equal(await page.evaluate(() => document.activeElement === window.cloudConsole.terminal.textarea), true,
                 'the on-screen keyboard stays up');
});

test('arrows follow the program\'s cursor-key mode, as xterm.js does for the physical keys', async () => {
    let before = source.inputBytes();
    source.write('\x1b[?1h'); // DECCKM: application cursor keys (less, vim, readline's keypad mode)
    await page.waitForFunction(() => window.cloudConsole.terminal.modes.applicationCursorKeysMode);
    await tap('up');
    before = await expectInput(before, '\x1bOA', 'the bar\'s up');
    await page.keyboard.press('ArrowUp');
    before = await expectInput(before, '\x1bOA', 'the physical up');
    await tap('left');
    before = await expectInput(before, '\x1bOD', 'the bar\'s left');
    source.write('\x1b[?1l');
    await page.waitForFunction(() => !window.cloudConsole.terminal.modes.applicationCursorKeysMode);
    await tap('up');
    before = await expectInput(before, '\x1b[A', 'normal mode again');
    await page.keyboard.press('ArrowUp');
    await expectInput(before, '\x1b[A', 'the physical up, normal mode');
});

test('Ctrl and Alt stick for the next key, from the bar or typed, then let go', async () => {
    let before = source.inputBytes();
    await tap('ctrl');
    assert.equal(await page.getAttribute('#keybar button[data-key="ctrl"]', 'aria-pressed'), 'true');
    await page.keyboard.type('c');
    before = await expectInput(before, '\x03', 'Ctrl then c');
    assert.equal(await page.getAttribute('#keybar button[data-key="ctrl"]', 'aria-pressed'), 'false');
    await page.keyboard.type('c');
    before = await expectInput(before, 'c', 'c alone again');

    await tap('alt');
    await page.keyboard.type('b');
    before = await expectInput(before, '\x1bb', 'Alt then b');

    await tap('ctrl');
    await tap('alt');
    await page.keyboard.type('d');
    before = await expectInput(before, '\x1b\x04', 'Ctrl, Alt then d');

    await tap('ctrl');
    await tap('up');
    before = await expectInput(before, '\x1b[1;5A', 'Ctrl then the bar\'s up');
    await tap('alt');
    await tap('tab');
    before = await expectInput(before, '\x1b\t', 'Alt then Tab');

    // Tapped twice, a modifier is off again.
    await tap('ctrl');
    await tap('ctrl');
    await page.keyboard.type('x');
    await expectInput(before, 'x', 'Ctrl twice then x');
    assert.deepEqual(await cc(page, 'cc.keyBar.modifiers'), { ctrl: false, alt: false });
});

test('a phone-sized page with the bar, the status bar and the terminal', async () => {
    source.write('\r\n\x1b[1;32muser@vm1\x1b[0m:\x1b[1;34m~\x1b[0m$ ls /etc | head -3\r\nadduser.conf\r\nalternatives\r\napt\r\n'
                 + '\x1b[1;32muser@vm1\x1b[0m:\x1b[1;34m~\x1b[0m$ ');
    await waitForText(page, 'alternatives');
    await tap('ctrl');
    await screenshot(page, 'web-keybar.png');
    await tap('ctrl');
});

test('on a desktop the bar shows only when asked (Settings, or keyBar=on)', async () => {
    const desktop = await launchBrowser();
    await desktop.page.goto(server.url);
    await waitForState(desktop.page, 'connected');
    assert.equal(await desktop.page.isVisible('#keybar'), false);
    await desktop.page.goto(`${server.url}?keyBar=on`);
    await waitForState(desktop.page, 'connected');
    assert.equal(await desktop.page.isVisible('#keybar'), true);
    await desktop.page.click('#settings-button');
    await desktop.page.check('input[name="keyBar"][value="off"]');
    assert.equal(await desktop.page.isVisible('#keybar'), false);
    await desktop.page.check('input[name="keyBar"][value="auto"]');
    assert.equal(await desktop.page.isVisible('#keybar'), false, 'no touch screen here');
});
