// The page's own features: find bar, settings (shortcuts, localStorage, URL overrides), theme,
// actions (download, BREAK, fit to window) with their reasons, keyboard-only use, screen-reader
// mode, following the window, renderer fallback. Also takes the screenshot used in the README.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
    cc, cleanup, controlledSource, launchBrowser, screenshot, startServer, tempDir, waitFor,
    waitForState, waitForText,
} from './lib/harness.mjs';

let source;
let server;
let page;
let context;

before(async () => {
    source = controlledSource({
        history: 'alpha needle one\r\nbeta\r\ngamma needle two\r\ndelta NEEDLE three\r\n',
    });
    server = await startServer({ name: 'features', exec: source.exec });
    ({ page, context } = await launchBrowser({ permissions: ['clipboard-read', 'clipboard-write'] }));
    await page.goto(server.url);
    await waitForState(page, 'connected');
    await waitForText(page, 'ready');
});
after(cleanup);

const focused = () => page.evaluate(() => document.activeElement?.id
    || document.activeElement?.className || document.activeElement?.tagName);
const terminalFocused = () => page.evaluate(
    () => window.cloudConsole.terminal.textarea === document.activeElement);

test('find bar: Ctrl+Shift+F, match count, next and previous, Escape', async () => {
    await page.keyboard.press('Control+Shift+F');
    assert.equal(await page.isVisible('#findbar'), true);
    assert.equal(await focused(), 'find-input');
    await page.keyboard.type('needle');
    await waitFor(async () => /^\d of 3$/.test(await page.textContent('#find-count')), 'the match count');
    const first = await page.textContent('#find-count');
    await page.keyboard.press('Enter');
    await waitFor(async () => (await page.textContent('#find-count')) !== first, 'the next match');
    const second = await page.textContent('#find-count');
    await page.keyboard.press('Shift+Enter');
    await waitFor(async () => (await page.textContent('#find-count')) === first, 'the previous match');
    assert.notEqual(first, second);

    await page.check('#find-case');
    await page.focus('#find-input');
    await waitFor(async () => /of 2$/.test(await page.textContent('#find-count')), 'case-sensitive count');
    await page.fill('#find-input', 'no such thing');
    await waitFor(async () => (await page.textContent('#find-count')) === 'no matches', '"no matches"');

    await page.focus('#find-input');
    await page.keyboard.press('Escape');
    assert.equal(await page.isHidden('#findbar'), true);
    assert.equal(await terminalFocused(), true);
    // The search keys never reached the console.
    assert.equal(source.inputBytes().length, 0);
});

test('font size: Ctrl+= and Ctrl+-, remembered in localStorage, overridden by the URL', async () => {
    await page.locator('.xterm-screen').click();
    assert.equal(await cc(page, 'cc.settings.fontSize'), 14);
    await page.keyboard.press('Control+Equal');
    await page.keyboard.press('Control+Equal');
    assert.equal(await cc(page, 'cc.settings.fontSize'), 16);
    assert.equal(await cc(page, 'cc.terminal.options.fontSize'), 16);
    await page.keyboard.press('Control+Minus');
    assert.equal(await cc(page, 'cc.settings.fontSize'), 15);
    assert.equal(source.inputBytes().length, 0, 'font shortcuts are not input');
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('cloud-console.settings')));
    assert.equal(stored.fontSize, 15);

    await page.reload();
    await waitForState(page, 'connected');
    assert.equal(await cc(page, 'cc.settings.fontSize'), 15);

    await page.goto(`${server.url}?fontSize=22&theme=light&scrollback=500`);
    await waitForState(page, 'connected');
    assert.deepEqual(await cc(page, '[cc.settings.fontSize, cc.settings.theme, cc.settings.scrollback]'),
                     [22, 'light', 500]);
    assert.equal(await cc(page, 'cc.terminal.options.scrollback'), 500);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
    await page.keyboard.press('Control+0');
    assert.equal(await cc(page, 'cc.settings.fontSize'), 14);
});

test('settings panel by keyboard only: theme and screen-reader mode', async () => {
    await page.goto(`${server.url}?theme=dark`);
    await waitForState(page, 'connected');
    await page.keyboard.press('Control+Shift+O'); // from the terminal to the toolbar
    assert.equal(await focused(), 'find-button');
    // Through the toolbar's actions (Download, Replay, Redraw, Send BREAK, Fit to window, and
    // whatever else the toolbar holds) to Settings, its last.
    for (let i = 0; i < 12 && await focused() !== 'settings-button'; i += 1)
        await page.keyboard.press('Tab');
    assert.equal(await focused(), 'settings-button');
    await page.keyboard.press('Enter');
    assert.equal(await page.isVisible('#settings'), true);
    assert.equal(await focused(), 'set-font-size');

    await page.focus('input[name="theme"][value="light"]');
    await page.keyboard.press('Space');
    assert.equal(await cc(page, 'cc.settings.theme'), 'light');
    assert.equal(await cc(page, 'cc.terminal.options.theme.background'), '#fbfbf9');

    await page.focus('#set-screen-reader');
    await page.keyboard.press('Space');
    assert.equal(await cc(page, 'cc.settings.screenReader'), true);
    assert.equal(await cc(page, 'cc.terminal.options.screenReaderMode'), true);
    await waitFor(() => page.isVisible('.xterm-accessibility-tree').catch(() => false)
        || page.evaluate(() => !!document.querySelector('.xterm-accessibility')), 'the accessibility tree');

    await page.keyboard.press('Escape');
    assert.equal(await page.isHidden('#settings'), true);
    assert.equal(await focused(), 'settings-button');
    // Tab from the toolbar reaches the terminal again.
    await page.keyboard.press('Tab');
    assert.equal(await terminalFocused(), true);

    await page.focus('#settings-button');
    await page.keyboard.press('Enter');
    await page.focus('#set-screen-reader');
    await page.keyboard.press('Space');
    assert.equal(await cc(page, 'cc.settings.screenReader'), false);
    await page.keyboard.press('Escape');
});

test('actions: BREAK is shown unavailable with the reason; Fit to window is available', async () => {
    const caps = await cc(page, 'cc.capabilities');
    assert.equal(typeof caps.break, 'boolean');
    const breakButton = page.locator('#break-button');
    if (!caps.break) {
        assert.equal(await breakButton.getAttribute('aria-disabled'), 'true');
        assert.match(await breakButton.getAttribute('data-reason'), /does not support BREAK/);
        assert.match(await page.textContent('#break-reason'), /Unavailable: .*BREAK/);
        // Still focusable, and pressing it says why nothing happens.
        await breakButton.focus();
        await page.keyboard.press('Enter');
        assert.match(await page.textContent('#notice'), /unavailable.*does not support BREAK/);
    } else {
        assert.equal(await breakButton.getAttribute('aria-disabled'), 'false');
    }
    // A console spawned with --exec has a size.
    assert.equal(caps.resize, true);
    assert.equal(await page.getAttribute('#resize-button', 'aria-disabled'), 'false');
});

test('download saves the whole history as a file', async () => {
    source.write('one more line for the download\r\n');
    await waitForText(page, 'one more line for the download');
    const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('#download-button'),
    ]);
    assert.equal(download.suggestedFilename(), 'features-history.log');
    const file = await download.path();
    assert.equal(fs.readFileSync(file).toString('hex'), source.output().toString('hex'));
});

test('copy on select, when turned on', async () => {
    await page.goto(`${server.url}?copyOnSelect=1`);
    await waitForState(page, 'connected');
    await page.evaluate(() => navigator.clipboard.writeText(''));
    await page.evaluate(() => window.cloudConsole.terminal.selectAll());
    await waitFor(() => page.evaluate(() => navigator.clipboard.readText()).then((t) => t.includes('gamma needle two')),
                  'the selection on the clipboard');
});

test('renderer: WebGL when available, the DOM renderer on request or as fallback', async () => {
    const renderer = await cc(page, 'cc.renderer');
    assert.ok(['webgl', 'dom'].includes(renderer));
    await page.goto(`${server.url}?renderer=dom`);
    await waitForState(page, 'connected');
    assert.equal(await cc(page, 'cc.renderer'), 'dom');
    await waitForText(page, 'gamma needle two');
    assert.ok(await page.evaluate(() => !!document.querySelector('.xterm-rows')));
});

const SIZER = 'stty raw -echo; old=; while :; do s=$(stty size); '
    + 'if [ "$s" != "$old" ]; then printf "size %s\\r\\n" "$s"; old=$s; fi; sleep 0.1; done';

// Waits until the page has sent `sent` resizes and the program in the console reports the last
// one, which the page's terminal has too (the console's size); returns it. On a timeout the
// error names all three.
async function ptyFollows(on, sent) {
    let seen = {};
    try {
        return await waitFor(async () => {
            const { cols, rows } = await cc(on, 'cc.size');
            const resizes = await cc(on, 'cc.resizesSent');
            const lines = (await cc(on, 'cc.bufferText()')).split('\n')
                .filter((l) => l.startsWith('size ')).map((l) => l.trimEnd());
            const last = resizes.at(-1);
            seen = { terminal: `${rows} ${cols}`, pty: lines.slice(-3), resizes };
            return resizes.length === sent && last.cols === cols && last.rows === rows
                && lines.at(-1) === `size ${rows} ${cols}` && { cols, rows };
        }, 'the pty and the terminal to have the size the page sent');
    } catch (e) {
        throw new Error(`${e.message}; seen ${JSON.stringify(seen)}`);
    }
}

test('following the window (a setting): the console takes the window\'s size as it changes', async () => {
    const sizer = await startServer({ name: 'sizer', exec: SIZER });
    await page.setViewportSize({ width: 1000, height: 600 });
    await page.goto(`${sizer.url}?followWindow=1`);
    await waitForState(page, 'connected');
    const wide = await ptyFollows(page, 1);
    assert.ok(wide.cols > 80 && wide.rows > 20, JSON.stringify(wide));
    assert.deepEqual(await cc(page, 'cc.consoleSize'), wide);

    await page.setViewportSize({ width: 700, height: 420 });
    await waitFor(async () => (await cc(page, 'cc.size')).cols < wide.cols, 'the console to follow the window');
    const narrow = await ptyFollows(page, 2);
    assert.ok(narrow.cols < wide.cols && narrow.rows < wide.rows, JSON.stringify([wide, narrow]));

    // Turned off in the settings: the window changes, the console keeps its size.
    await page.click('#settings-button');
    await page.uncheck('#set-follow-window');
    await page.keyboard.press('Escape');
    assert.equal(await cc(page, 'cc.settings.followWindow'), false);
    await page.setViewportSize({ width: 1000, height: 600 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.deepEqual(await cc(page, 'cc.size'), narrow);
    await sizer.stop();
});

// A page that follows its window sends its size once it is connected, however late the hello
// comes: a page whose window settled before the hello (a slow connection, a reconnect) must not
// leave the pty at its old size. The WebSocket is held back for a second here to make that certain.
test('the console gets the window\'s size when the hello comes late', async () => {
    const sizer = await startServer({ name: 'late-hello', exec: SIZER });
    const late = await context.newPage();
    try {
        await late.routeWebSocket(/\/ws(\?|$)/, async (ws) => {
            await new Promise((resolve) => setTimeout(resolve, 1000));
            const upstream = ws.connectToServer();
            upstream.onMessage((message) => ws.send(message));
            ws.onMessage((message) => upstream.send(message));
        });
        await late.goto(`${sizer.url}?followWindow=1`);
        await waitForState(late, 'connected');
        const size = await ptyFollows(late, 1);
        assert.ok(size.cols > 80, JSON.stringify(size));
    } finally {
        await late.close();
        await sizer.stop();
    }
});

test('a read-only page shows the badge, refuses input visibly and offers no actions', async () => {
    // The server has no option yet to make a client read-only, so the real hello is rewritten
    // in flight (writable: false); everything else is the real server's traffic.
    const readOnly = await context.newPage();
    await readOnly.routeWebSocket(/\/ws(\?|$)/, (ws) => {
        const upstream = ws.connectToServer();
        upstream.onMessage((message) => {
            if (typeof message === 'string') {
                const m = JSON.parse(message);
                if (m.type === 'hello')
                    message = JSON.stringify({ ...m, writable: false });
            }
            ws.send(message);
        });
    });
    await readOnly.goto(server.url);
    await waitForState(readOnly, 'connected');
    await waitForText(readOnly, 'gamma needle two');
    assert.equal(await cc(readOnly, 'cc.writable'), false);
    assert.equal(await readOnly.isVisible('#readonly-badge'), true);
    assert.equal(await readOnly.textContent('#readonly-badge'), 'read-only');
    for (const id of ['#break-button', '#resize-button']) {
        assert.equal(await readOnly.getAttribute(id, 'aria-disabled'), 'true');
        assert.match(await readOnly.getAttribute(id, 'data-reason'), /read-only/);
    }
    const before = source.inputBytes().length;
    await readOnly.locator('.xterm-screen').click();
    await readOnly.keyboard.type('rm -rf /');
    assert.equal(await cc(readOnly, 'cc.refusedBytes'), 8);
    assert.match(await readOnly.textContent('#notice'), /Input not sent .*read-only/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(source.inputBytes().length, before, 'nothing reached the console');
    await readOnly.close();
});

test('screenshot of the page for the README', async () => {
    // A real shell in a real pty, in a directory of its own so the picture shows nothing of
    // the machine the tests run on.
    const home = tempDir('cc-demo-');
    fs.mkdirSync(path.join(home, 'scripts'));
    for (const name of ['boot.log', 'notes.txt', 'disk.qcow2'])
        fs.writeFileSync(path.join(home, name), '');
    fs.writeFileSync(path.join(home, 'run.sh'), '', { mode: 0o755 });
    fs.writeFileSync(path.join(home, 'boot.log'), [
        '[    0.000000] Linux version 6.1.0-27-amd64 (debian-kernel@lists.debian.org)',
        '[    0.412345] virtio_console virtio1: console ready',
        '[    1.204518] systemd[1]: Reached target multi-user.target',
        '',
    ].join('\n'));
    const shell = await startServer({
        name: 'vm-demo',
        exec: '/bin/sh -i',
        cwd: home,
        env: { HOME: home, PS1: 'root@vm-demo:~# ', ENV: '' },
    });
    // The console follows the window, as a person working alone in it would have it.
    await page.goto(`${shell.url}?theme=dark&fontSize=14&followWindow=1`);
    await waitForState(page, 'connected');
    await waitForText(page, 'root@vm-demo:~#');
    await waitFor(async () => (await cc(page, 'cc.size')).cols > 80, 'the console to fit the window');
    const commands = [
        'cat boot.log',
        'ls -F',
        "echo 'héllo wörld ✓ 日本語'",
        "printf '\\033[1;32m OK \\033[0m \\033[1;33m WARN \\033[0m \\033[1;31m FAIL \\033[0m\\n'",
    ];
    for (const [i, command] of commands.entries()) {
        await page.keyboard.type(`${command}\r`);
        await waitFor(async () => (await cc(page, 'cc.visibleText()')).match(/root@vm-demo:~# /g)?.length >= i + 2,
                      `the prompt after ${command}`);
    }
    await page.keyboard.press('Control+Shift+F');
    await page.keyboard.type('virtio');
    await waitFor(async () => /^1 of 2$/.test(await page.textContent('#find-count')), 'the matches');
    const file = await screenshot(page, 'web.png');
    assert.ok(fs.statSync(file).size > 10000);
});
