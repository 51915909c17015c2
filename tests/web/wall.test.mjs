// The wall (/wall) in real Chromium: the consoles of two servers behind one real nginx (a fleet,
// docs/deployment.md), tiled and live through the proxy, a third host that does not answer
// shown as such, alerts on the tiles, the filters, a click that opens the console; and a wall
// of 50 consoles where only the tiles on screen have a terminal and a WebSocket.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    cleanup, controlledSource, freePort, launchBrowser, screenshot, startNginxRoutes, startServer,
    waitFor,
} from './lib/harness.mjs';

after(cleanup);

const tiles = (page) => page.evaluate(() => window.cloudWall?.tiles() ?? []);
const tile = async (page, host, name) => (await tiles(page)).find((t) => t.host === host && t.name === name);

test('a fleet wall shows every host\'s consoles live through the proxy', async () => {
    const a1 = controlledSource({ history: 'a1 booted\r\n' });
    const a2 = controlledSource({ history: 'a2 booted\r\n' });
    const b1 = controlledSource({ history: 'b1 booted\r\n' });
    const hostB = await startServer({ config: `
[server]
listen = 127.0.0.1:0
fleet-name = b

[console b1]
source = exec:${b1.exec}
` });
    const hostA = await startServer({ config: `
[server]
listen = 127.0.0.1:0
fleet-name = a
fleet = b=/h/b/, gone=/h/gone/

[console a1]
source = exec:${a1.exec}

[console a2]
source = exec:${a2.exec}
` });
    const nobody = await freePort();
    const nginx = await startNginxRoutes([
        { prefix: '/h/a/', port: hostA.port },
        { prefix: '/h/b/', port: hostB.port },
        { prefix: '/h/gone/', port: nobody },
    ]);
    const { page } = await launchBrowser({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${nginx.origin}/h/a/wall`);

    // Every console of both hosts, each tile live; the host that does not answer is named.
    await waitFor(async () => (await tiles(page)).length === 3, 'three tiles');
    assert.deepEqual((await tiles(page)).map((t) => `${t.host}/${t.name}`), ['a/a1', 'a/a2', 'b/b1']);
    await waitFor(async () => (await page.evaluate(() => window.cloudWall.problems())).gone,
                  'the unanswering host to be reported');
    assert.match(await page.locator('#hosts-note').innerText(), /gone does not answer \(502/);
    await waitFor(async () => (await tile(page, 'b', 'b1'))?.text?.includes('b1 booted'), 'b1\'s screen');
    b1.write('live through the proxy\r\n');
    await waitFor(async () => (await tile(page, 'b', 'b1')).text.includes('live through the proxy'),
                  'b1\'s live output on its tile');
    // A panic on a2: its tile counts a critical alert and turns red.
    a2.write('[   12.000000] Kernel panic - not syncing: Fatal exception\r\n');
    await waitFor(async () => (await tile(page, 'a', 'a2')).alert === 'critical', 'a2\'s alert');
    await waitFor(async () => (await tile(page, 'a', 'a2')).state === 'failed', 'a2 failed', 20000);
    await screenshot(page, 'wall-fleet.png');

    // Filters: by name, by host, by alert.
    const shown = async () => (await tiles(page)).filter((t) => !t.hidden).map((t) => t.name);
    await page.fill('#filter-name', 'b1');
    await waitFor(async () => (await shown()).join() === 'b1', 'the name filter');
    await page.fill('#filter-name', '');
    await page.selectOption('#filter-host', 'a');
    await waitFor(async () => (await shown()).join() === 'a1,a2', 'the host filter');
    await page.selectOption('#filter-host', '');
    await page.selectOption('#filter-state', 'alert');
    await waitFor(async () => (await shown()).join() === 'a2', 'the alert filter');
    assert.match(page.url(), /state=alert/);
    await page.selectOption('#filter-state', '');

    // A click on a tile opens its console, on its own host, through the proxy.
    await page.locator('.tile[data-console="b1"] .tile-screen').click();
    await page.waitForURL(`${nginx.origin}/h/b/c/b1/`);
    await waitFor(() => page.evaluate(() => window.cloudConsole?.visibleText().includes('live through the proxy')),
                  'the console page of b1');
    await waitFor(() => /GET \/h\/b\/c\/b1\/ws\?client=wall&start=screen HTTP\/1.1" 101/.test(nginx.logs()),
                  'the tile\'s upgrade through nginx, asking for the screen first');
});

test('a wall of 50 consoles attaches only the tiles on screen', async () => {
    let config = '[server]\nlisten = 127.0.0.1:0\n';
    for (let i = 1; i <= 50; i += 1)
        config += `\n[console vm${String(i).padStart(2, '0')}]\nsource = exec:echo this is vm${i}; exec cat\n`;
    const server = await startServer({ config });
    const { page } = await launchBrowser({ viewport: { width: 1000, height: 700 } });
    const clients = async () => {
        const list = await (await fetch(new URL('consoles.json', server.base))).json();
        return list.consoles.reduce((sum, c) => sum + c.clients, 0);
    };
    await page.goto(new URL('wall', server.base).href);
    await waitFor(async () => (await tiles(page)).length === 50, 'fifty tiles');
    await waitFor(async () => (await tiles(page)).find((t) => t.name === 'vm01')?.text?.includes('this is vm1'),
                  'the first tile\'s screen');
    const attached = async () => (await tiles(page)).filter((t) => t.attached).map((t) => t.name);
    const first = await attached();
    assert.ok(first.length > 0 && first.length <= 8, `only the tiles on screen attach: ${first}`);
    assert.ok(!first.includes('vm50'));
    // Each attached tile has one terminal and one WebSocket; the others have neither.
    assert.equal(await page.locator('.tile .xterm').count(), first.length);
    await waitFor(async () => (await clients()) === first.length, 'one client per attached tile');

    // Scrolled to the end: the last tiles attach, and the first detach once out of sight.
    await page.evaluate(() => { const wall = document.getElementById('wall'); wall.scrollTop = wall.scrollHeight; });
    await waitFor(async () => (await tiles(page)).find((t) => t.name === 'vm50')?.text?.includes('this is vm50'),
                  'the last tile\'s screen');
    await waitFor(async () => !(await attached()).includes('vm01'), 'the first tile to detach', 10000);
    const later = await attached();
    assert.ok(later.length <= 8, `only the tiles on screen stay attached: ${later}`);
    await waitFor(async () => (await clients()) === later.length, 'clients follow the tiles');
    await screenshot(page, 'wall-50.png');
});
