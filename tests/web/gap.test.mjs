// Bytes a client will never get are reported as a gap. The server follows a gap with its screen
// when it can (docs/protocol.md, "Resuming"): the page then shows the console as the server has
// it, scrollback included, and the gap needs no line of its own. A gap without a screen is shown
// as a clearly marked line: "… N bytes skipped …". Two ways to fall behind a small history: being
// cut off while the console writes, and staying connected but not reading (a lagging client).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, test } from 'node:test';

import {
    cc, cleanup, controlledSource, launchBrowser, startProxy, startServer, waitForState, waitForText,
} from './lib/harness.mjs';

const HISTORY = 8 * 1024;

let source;
let server;
let proxy;
let page;

before(async () => {
    source = controlledSource();
    server = await startServer({ name: 'gap', exec: source.exec, historySize: '8K' });
    proxy = await startProxy(server.port);
    ({ page } = await launchBrowser());
});
after(cleanup);

function lines(from, to) {
    let text = '';
    for (let i = from; i <= to; i += 1)
        text += `output line ${String(i).padStart(6, '0')} ........................................\r\n`;
    return text;
}

async function settled(expectedOffset) {
    await page.waitForFunction((o) => window.cloudConsole.shownOffset === o, expectedOffset,
                               { timeout: 60000 });
}

test('a client cut off while the history moves on gets the server\'s screen, then the rest', async () => {
    await page.goto(`http://127.0.0.1:${proxy.port}/?retryMs=300&retryMaxMs=1000`);
    await waitForState(page, 'connected');
    await waitForText(page, 'ready');
    await settled(source.written);
    const cutAt = source.written;

    proxy.cut();
    await waitForState(page, 'reconnecting');
    source.write(lines(1, 400)); // about 32 KiB: four times the history
    proxy.restore();
    await waitForState(page, 'connected', 20000);
    await settled(source.written);

    const gaps = await cc(page, 'cc.gaps');
    assert.equal(gaps.length, 1, `one gap: ${JSON.stringify(gaps).slice(0, 500)}`);
    const [gap] = gaps;
    assert.equal(gap.from, cutAt);
    assert.ok(gap.to >= await cc(page, 'cc.hello.history.start'), JSON.stringify(gap));
    assert.ok(gap.to > cutAt && source.written - gap.to <= HISTORY, JSON.stringify(gap));
    // The screen stands for everything up to where the gap ends.
    const screens = (await cc(page, 'cc.screens')).filter((screen) => screen.offset > cutAt);
    assert.equal(screens.length, 1, JSON.stringify(screens));
    assert.equal(screens[0].offset, gap.to);

    // The server's scrollback (1,000 lines) holds every line, lost ones included: each once,
    // in order, and no gap line, since the screen replaced everything.
    const whole = await cc(page, 'cc.bufferText()');
    assert.ok(!whole.includes('bytes skipped'), `no gap line in:\n${whole}`);
    assert.equal(whole.split('ready').length - 1, 1);
    let at = whole.indexOf('ready');
    for (let i = 1; i <= 400; i += 1) {
        const line = `output line ${String(i).padStart(6, '0')} `;
        assert.equal(whole.split(line).length - 1, 1, `${line} once`);
        assert.ok(whole.indexOf(line) > at, `${line} in order`);
        at = whole.indexOf(line);
    }
});

// How many bytes can sit in flight between the server and a proxy that stops reading: the
// proxy's receive buffer, the server's send buffer (at most tcp_wmem's maximum), the server's
// own per-client limit (256 KiB) and its history.
function inFlightBound() {
    const wmemMax = Number(fs.readFileSync('/proc/sys/net/ipv4/tcp_wmem', 'utf8').trim().split(/\s+/)[2]);
    let rcvbuf = Number(fs.readFileSync('/proc/sys/net/ipv4/tcp_rmem', 'utf8').trim().split(/\s+/)[2]);
    try {
        // The proxy's socket to the server: its actual receive buffer (it cannot grow while the
        // proxy does not read).
        const out = execFileSync('ss', ['-Htmn', 'state', 'established', 'dst', `127.0.0.1:${server.port}`],
                                 { encoding: 'utf8' });
        const sizes = [...out.matchAll(/rb(\d+)/g)].map((m) => Number(m[1]));
        if (sizes.length)
            rcvbuf = Math.max(...sizes);
    } catch (e) {
        // ss unavailable: keep the system maximum.
    }
    return rcvbuf + wmemMax + 256 * 1024 + HISTORY;
}

test('a connected client that stops reading gets gaps instead of stale output', async () => {
    await page.goto(`http://127.0.0.1:${proxy.port}/`);
    await waitForState(page, 'connected');
    await settled(source.written);
    const connects = await cc(page, 'cc.connects');
    const start = source.written;
    const receivedBefore = await cc(page, 'cc.bytesReceived');

    proxy.hold(); // the connection stays up; the proxy stops reading from the server
    const bound = inFlightBound();
    const chunk = lines(1, 1000); // ~ 80 KiB
    let first = 1000;
    let total = 0;
    while (total < 2 * bound) {
        source.write(chunk);
        total += chunk.length;
        first += 1000;
    }
    source.write(lines(first, first + 20));
    proxy.release();
    await settled(source.written);

    assert.equal(await cc(page, 'cc.connects'), connects, 'no reconnect was needed');
    const gaps = (await cc(page, 'cc.gaps')).filter((g) => g.from >= start);
    assert.ok(gaps.length >= 1, 'at least one gap');
    // Gaps are in order, never overlap, and every byte is accounted for: shown or skipped.
    for (let i = 1; i < gaps.length; i += 1)
        assert.ok(gaps[i].from >= gaps[i - 1].to, `gap ${i} after gap ${i - 1}`);
    const skipped = gaps.reduce((sum, g) => sum + (g.to - g.from), 0);
    const received = (await cc(page, 'cc.bytesReceived')) - receivedBefore;
    assert.equal(received + skipped, source.written - start);
    // A gap that a screen followed was replaced by it, with everything before; the gaps after
    // the last screen (the server had no screen to give: its model had fallen behind the
    // history) are shown as lines of their own, one each, the newest ones at least (older ones
    // may have left the page's scrollback).
    const screens = (await cc(page, 'cc.screens')).filter((screen) => screen.offset > start);
    const lastScreen = screens.at(-1)?.offset ?? -1;
    const marked = gaps.filter((g) => g.to > lastScreen);
    const text = await cc(page, 'cc.bufferText()');
    const markers = text.split('\n').filter((line) => line.includes('bytes skipped'));
    const what = `${markers.length} markers for gaps ${JSON.stringify(gaps)}`
        + ` and screens ${JSON.stringify(screens)}`;
    assert.ok(markers.length <= marked.length, what);
    assert.ok(marked.length === 0 || markers.length >= 1, what);
    const newest = marked.slice(marked.length - markers.length);
    for (const [i, line] of markers.entries())
        assert.match(line, new RegExp(`^ … ${newest[i].to - newest[i].from} bytes skipped …\\s*$`));
    assert.ok(text.includes(`output line ${String(first + 20).padStart(6, '0')}`));
});
