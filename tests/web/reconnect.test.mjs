// The page survives a dropped network and a restarted server: it reconnects by itself, resumes
// from the offset it had reached (nothing shown twice, nothing lost), and refuses input visibly
// while it is disconnected.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    cc, cleanup, controlledSource, launchBrowser, startProxy, startServer, waitFor, waitForState,
    waitForText,
} from './lib/harness.mjs';

let source;
let server;
let proxy;
let page;

function count(text, needle) {
    return text.split(needle).length - 1;
}

before(async () => {
    source = controlledSource({ history: 'before the drop\r\n' });
    server = await startServer({ name: 'reconnect', exec: source.exec });
    proxy = await startProxy(server.port);
    ({ page } = await launchBrowser());
    // Quick retries keep the test short; the backoff logic is the same.
    await page.goto(`http://127.0.0.1:${proxy.port}/?retryMs=300&retryMaxMs=1000`);
    await waitForState(page, 'connected');
    await waitForText(page, 'ready');
});
after(cleanup);

test('after the network drops, the page reconnects and resumes with no duplicate', async () => {
    await page.waitForFunction((o) => window.cloudConsole.shownOffset === o, source.written);
    const offsetBefore = source.written;
    const connectsBefore = await cc(page, 'cc.connects');

    proxy.cut();
    await waitForState(page, 'reconnecting');
    assert.match(await page.textContent('#status-text'), /^Disconnected: .*Reconnecting in \d+ s/);

    // Output written while the page is cut off is kept by the server's history.
    for (let i = 1; i <= 20; i += 1)
        source.write(`written while cut off ${i}\r\n`);

    // Input typed while disconnected is refused visibly and never sent later.
    const inputBefore = source.inputBytes().length;
    await page.keyboard.type('lost');
    assert.equal(await cc(page, 'cc.refusedBytes'), 4);
    assert.equal(await page.isVisible('#notice'), true);
    assert.match(await page.textContent('#notice'), /Input not sent .*not connected/);

    proxy.restore();
    await waitForState(page, 'connected', 20000);
    await waitForText(page, 'written while cut off 20');
    await page.waitForFunction((o) => window.cloudConsole.shownOffset === o, source.written);

    assert.equal(await cc(page, 'cc.connects'), connectsBefore + 1);
    // The reconnect asked for the offset the page had reached (and named the page's kind).
    const epoch = await cc(page, 'cc.epoch');
    assert.ok(proxy.requests.some((r) => r.startsWith(`GET /ws?offset=${offsetBefore}&epoch=${epoch}&client=page `)),
              `a request resumed at ${offsetBefore}: ${proxy.requests.join(' | ')}`);
    const whole = await cc(page, 'cc.bufferText()');
    assert.equal(count(whole, 'before the drop'), 1);
    assert.equal(count(whole, 'ready'), 1);
    for (let i = 1; i <= 20; i += 1)
        assert.equal(count(whole, `written while cut off ${i}\n`), 1, `line ${i} exactly once`);
    assert.equal(await cc(page, 'cc.gaps.length'), 0);

    // The refused keystrokes were not queued behind the page's back.
    await page.keyboard.type('ok');
    await waitFor(() => source.inputBytes().length >= inputBefore + 2, 'input after the reconnect');
    assert.equal(source.inputBytes().subarray(inputBefore).toString(), 'ok');
});

test('a silent network (no close, no data) is noticed by the keepalive', async () => {
    await page.goto(`http://127.0.0.1:${proxy.port}/?retryMs=300&retryMaxMs=1000&keepaliveMs=500&pongTimeoutMs=700`);
    await waitForState(page, 'connected');
    await page.waitForFunction((o) => window.cloudConsole.shownOffset === o, source.written);
    // Stop forwarding without closing anything: only the missing pong tells.
    proxy.stall();
    await waitForState(page, 'reconnecting', 10000);
    const transitions = await cc(page, 'cc.transitions');
    assert.ok(transitions.some((t) => t.state === 'reconnecting' && /no answer/.test(t.reason)),
              JSON.stringify(transitions));
    proxy.unstall();
    await waitForState(page, 'connected', 20000);
    source.write('after the stall\r\n');
    await waitForText(page, 'after the stall');
});

test('after the server restarts, the page reconnects and marks the new history', async () => {
    await page.goto(`http://127.0.0.1:${proxy.port}/?retryMs=300&retryMaxMs=1000`);
    await waitForState(page, 'connected');
    await page.waitForFunction((o) => window.cloudConsole.shownOffset === o, source.written);
    const epoch = await cc(page, 'cc.epoch');

    await server.stop();
    await waitForState(page, 'reconnecting');

    // Same port, new process: a new epoch whose offsets start again from 0.
    source = controlledSource({ history: 'second run of the server\r\n' });
    server = await startServer({ name: 'reconnect', exec: source.exec, listen: `127.0.0.1:${server.port}` });
    await waitForState(page, 'connected', 20000);
    await waitForText(page, 'second run of the server');
    await page.waitForFunction((o) => window.cloudConsole.shownOffset === o, source.written);

    assert.notEqual(await cc(page, 'cc.epoch'), epoch);
    const whole = await cc(page, 'cc.bufferText()');
    assert.equal(count(whole, 'the server restarted'), 1);
    assert.equal(count(whole, 'second run of the server'), 1);
    assert.equal(count(whole, 'before the drop'), 1);
    assert.ok(whole.indexOf('before the drop') < whole.indexOf('the server restarted'));
    assert.ok(whole.indexOf('the server restarted') < whole.indexOf('second run of the server'));

    source.write('new output\r\n');
    await waitForText(page, 'new output');
});
