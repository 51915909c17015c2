// The page loads, shows the console's history and its name, and shows new output as the
// console writes it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    cc, cleanup, controlledSource, launchBrowser, screenshot, startServer, waitFor, waitForState,
    waitForText,
} from './lib/harness.mjs';

const history = [
    'Debian GNU/Linux 12 web-vm ttyS0\r\n',
    '\r\n',
    'web-vm login: root\r\n',
    'Last login: Mon Nov 24 09:12:44 UTC 2025 on ttyS0\r\n',
    '\x1b[1;32mroot@web-vm\x1b[0m:\x1b[1;34m~\x1b[0m# uname -a\r\n',
    'Linux web-vm 6.1.0-27-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 x86_64 GNU/Linux\r\n',
    '\x1b[1;32mroot@web-vm\x1b[0m:\x1b[1;34m~\x1b[0m# printf "h\\xc3\\xa9llo \\xe2\\x9c\\x93\\n"\r\n',
    'héllo ✓ 日本語\r\n',
].join('');

let source;
let server;
let browser;

before(async () => {
    source = controlledSource({ history, banner: '\x1b[1;32mroot@web-vm\x1b[0m:\x1b[1;34m~\x1b[0m# ' });
    server = await startServer({ name: 'web-vm', exec: source.exec });
    browser = await launchBrowser();
});
after(cleanup);

test('the page at / loads and shows the history', async () => {
    const { page } = browser;
    await page.goto(server.url);
    await waitForState(page, 'connected');
    await waitForText(page, 'Linux web-vm 6.1.0-27-amd64');
    const text = await cc(page, 'cc.visibleText()');
    assert.match(text, /^Debian GNU\/Linux 12 web-vm ttyS0\n\nweb-vm login: root\n/);
    assert.ok(text.includes('héllo ✓ 日本語'), `UTF-8 history shown: ${text}`);
    assert.equal(await cc(page, 'cc.console'), 'web-vm');
    assert.equal(await page.title(), 'web-vm — cloud-console');
    assert.equal(await page.textContent('#console-name'), 'web-vm');
    assert.match(await page.textContent('#status-text'), /^Connected/);
    assert.equal(await cc(page, 'cc.writable'), true);
    assert.equal(await page.isHidden('#readonly-badge'), true);
});

test('output written into the console appears, once, in order', async () => {
    const { page } = browser;
    await waitForOffset(page, source.written);
    source.write('ls /\r\nbin  boot  dev  etc  home\r\n');
    await waitForText(page, 'bin  boot  dev  etc  home');
    for (let i = 1; i <= 30; i += 1)
        source.write(`line ${i} of 30\r\n`);
    await waitForText(page, 'line 30 of 30');
    await waitForOffset(page, source.written);
    const whole = await cc(page, 'cc.bufferText()');
    for (let i = 1; i <= 30; i += 1)
        assert.equal(whole.split(`line ${i} of 30\n`).length, 2, `line ${i} shown exactly once`);
    assert.equal(await cc(page, 'cc.shownOffset'), source.written);
    assert.equal(await cc(page, 'cc.gaps.length'), 0);
    source.write('\x1b[1;32mroot@web-vm\x1b[0m:\x1b[1;34m~\x1b[0m# ');
    await waitForOffset(page, source.written);
    await screenshot(page, 'web-history.png');
});

test('the page at /c/<name>/ is the same console', async () => {
    const { page } = browser;
    await page.goto(new URL('c/web-vm/', server.url).href);
    await waitForState(page, 'connected');
    await waitForText(page, 'line 30 of 30', { whole: true });
    assert.equal(await cc(page, 'cc.console'), 'web-vm');
    assert.equal(await cc(page, 'cc.shownOffset'), source.written);
    // The page's own files and its WebSocket were all fetched below /c/web-vm/.
    const urls = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
    for (const url of urls.filter((u) => /app\.(js|css)$/.test(u)))
        assert.match(new URL(url).pathname, /^\/c\/web-vm\//);
});

test('disconnecting closes the page with the reason; connecting again resumes', async () => {
    const { page } = browser;
    await cc(page, 'cc.disconnect()');
    await waitForState(page, 'closed');
    assert.match(await page.textContent('#status-text'), /^Closed: disconnected on request/);
    assert.equal(await page.textContent('#reconnect-button'), 'Connect');
    source.write('written while closed\r\n');
    await page.click('#reconnect-button');
    await waitForState(page, 'connected');
    await waitForText(page, 'written while closed');
    await waitForOffset(page, source.written);
    const whole = await cc(page, 'cc.bufferText()');
    assert.equal(whole.split('line 30 of 30').length, 2, 'nothing shown twice');
});

test('the status bar says when the console source is down, and why', async () => {
    const { page } = browser;
    const short = await startServer({ name: 'short-lived', exec: 'printf "bye\\r\\n"; sleep 1; exit 3' });
    await page.goto(short.url);
    await waitForText(page, 'bye');
    await waitFor(async () => (await cc(page, 'cc.source.state')) === 'down', 'the source to go down');
    assert.equal(await cc(page, 'cc.state'), 'connected');
    assert.match(await page.textContent('#status-text'), /^Source down: .*3/);
    assert.equal(await page.getAttribute('#status', 'data-state'), 'source-down');
});

// Waits until the page has shown every byte the source wrote.
async function waitForOffset(page, offset) {
    await page.waitForFunction((o) => window.cloudConsole?.shownOffset === o, offset, { timeout: 15000 });
}
