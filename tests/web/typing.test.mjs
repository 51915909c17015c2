// Keystrokes typed on the page reach the console byte for byte: ASCII, UTF-8, control keys and
// the escape sequences of special keys; paste honours bracketed-paste mode.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    cc, cleanup, controlledSource, launchBrowser, startServer, waitFor, waitForState, waitForText,
} from './lib/harness.mjs';

let source;
let server;
let page;

before(async () => {
    source = controlledSource();
    server = await startServer({ name: 'typing', exec: source.exec });
    ({ page } = await launchBrowser({ permissions: ['clipboard-read', 'clipboard-write'] }));
    await page.goto(server.url);
    await waitForState(page, 'connected');
    await waitForText(page, 'ready');
});
after(cleanup);

// Waits for the console to have received exactly `expected` after what it had before.
async function expectInput(before, expected) {
    const want = Buffer.concat([before, Buffer.from(expected, 'latin1')]);
    await waitFor(() => source.inputBytes().length >= want.length,
                  `${want.length} input bytes (have ${source.inputBytes().length})`);
    const got = source.inputBytes();
    assert.equal(got.subarray(before.length).toString('hex'), want.subarray(before.length).toString('hex'));
    return got;
}

test('ASCII and UTF-8 text arrive as UTF-8 bytes', async () => {
    const before = source.inputBytes();
    await page.keyboard.type('echo héllo wörld ✓ 日本語 🙂');
    const utf8 = Buffer.from('echo héllo wörld ✓ 日本語 🙂', 'utf8').toString('latin1');
    await expectInput(before, utf8);
});

test('control keys and special keys arrive as their bytes', async () => {
    const keys = [
        ['Enter', '\r'],
        ['Tab', '\t'],
        ['Backspace', '\x7f'],
        ['Escape', '\x1b'],
        ['Control+c', '\x03'],
        ['Control+d', '\x04'],
        ['Control+z', '\x1a'],
        ['Control+a', '\x01'],
        ['ArrowUp', '\x1b[A'],
        ['ArrowDown', '\x1b[B'],
        ['ArrowRight', '\x1b[C'],
        ['ArrowLeft', '\x1b[D'],
        ['Home', '\x1b[H'],
        ['End', '\x1b[F'],
        ['Delete', '\x1b[3~'],
        ['PageUp', '\x1b[5~'],
        ['F1', '\x1bOP'],
        ['F5', '\x1b[15~'],
        ['Alt+b', '\x1bb'],
    ];
    let before = source.inputBytes();
    for (const [key, bytes] of keys) {
        await page.keyboard.press(key);
        before = await expectInput(before, bytes);
    }
});

test('paste sends the clipboard, bracketed when the program asked for it', async () => {
    // Plain paste first.
    let before = source.inputBytes();
    await page.evaluate(() => navigator.clipboard.writeText('pasted text\nsecond line'));
    await page.keyboard.press('Control+Shift+V');
    before = await expectInput(before, 'pasted text\rsecond line');

    // The program turns on bracketed paste (DECSET 2004): pastes are wrapped.
    source.write('\x1b[?2004h');
    await page.waitForFunction(() => window.cloudConsole.terminal.modes.bracketedPasteMode);
    await page.keyboard.press('Control+Shift+V');
    before = await expectInput(before, '\x1b[200~pasted text\rsecond line\x1b[201~');

    // Right-click pastes too.
    await page.evaluate(() => navigator.clipboard.writeText('via the mouse'));
    await page.click('#terminal', { button: 'right' });
    before = await expectInput(before, '\x1b[200~via the mouse\x1b[201~');
    source.write('\x1b[?2004l');
});

test('copy with Ctrl+Shift+C puts the selection on the clipboard', async () => {
    source.write('\r\ncopy me please\r\n');
    await waitForText(page, 'copy me please');
    await page.evaluate(() => navigator.clipboard.writeText(''));
    await page.evaluate(() => {
        const term = window.cloudConsole.terminal;
        const buffer = term.buffer.active;
        for (let y = buffer.length - 1; y >= 0; y -= 1) {
            const line = buffer.getLine(y).translateToString(true);
            const x = line.indexOf('copy me please');
            if (x >= 0) {
                term.select(x, y, 'copy me please'.length);
                return;
            }
        }
    });
    const before = source.inputBytes();
    await page.keyboard.press('Control+Shift+C');
    await waitFor(() => page.evaluate(() => navigator.clipboard.readText()).then((t) => t === 'copy me please'),
                  'the selection on the clipboard');
    // Copying is not input: nothing reached the console.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(source.inputBytes().length, before.length);
});

test('cloudConsole.send() is input too', async () => {
    const before = source.inputBytes();
    await cc(page, 'cc.send("via the automation API\\n")');
    await expectInput(before, 'via the automation API\n');
    assert.equal(await cc(page, 'cc.refusedBytes'), 0);
});
