// The page works under a sub-path behind a reverse proxy (Debian's nginx, started here): every
// URL it uses is relative, and the WebSocket goes through the same prefix.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    cc, cleanup, controlledSource, launchBrowser, startNginx, startServer, waitFor, waitForState,
    waitForText,
} from './lib/harness.mjs';

let source;
let server;
let nginx;
let page;

before(async () => {
    source = controlledSource({ history: 'behind nginx\r\n' });
    server = await startServer({ name: 'proxied', exec: source.exec });
    nginx = await startNginx(server.port, '/tools/consoles/');
    ({ page } = await launchBrowser());
});
after(cleanup);

for (const path of ['', 'c/proxied/']) {
    test(`the page at /tools/consoles/${path} loads, connects and takes input`, async () => {
        const requests = [];
        const sockets = [];
        const onRequest = (r) => requests.push(r.url());
        const onSocket = (ws) => sockets.push(ws.url());
        page.on('request', onRequest);
        page.on('websocket', onSocket);
        await page.goto(`${nginx.url}${path}`);
        await waitForState(page, 'connected');
        await waitForText(page, 'behind nginx');
        await waitForText(page, 'ready');
        assert.equal(await cc(page, 'cc.console'), 'proxied');

        // Everything the page fetched stayed below the prefix; the WebSocket is "ws" next to
        // the page, with the page's scheme.
        for (const url of requests)
            assert.ok(new URL(url).pathname.startsWith(`/tools/consoles/${path}`), `${url} below the prefix`);
        assert.deepEqual(sockets.map((u) => new URL(u).pathname), [`/tools/consoles/${path}ws`]);
        assert.equal(new URL(sockets[0]).protocol, 'ws:');

        const before = source.inputBytes().length;
        await page.keyboard.type(`through ${path || 'the root'}\r`);
        const want = `through ${path || 'the root'}\r`;
        await waitFor(() => source.inputBytes().length >= before + want.length, 'input through nginx');
        assert.equal(source.inputBytes().subarray(before).toString(), want);

        source.write(`echo from ${path || 'the root'}\r\n`);
        await waitForText(page, `echo from ${path || 'the root'}`);

        page.off('request', onRequest);
        page.off('websocket', onSocket);
        await page.goto('about:blank');
        // nginx logs a WebSocket once it ends: it went through the proxy as an upgrade.
        await waitFor(() => new RegExp(`GET /tools/consoles/${path}ws\\?client=page HTTP/1.1" 101`).test(nginx.logs()),
                      'the upgrade in the nginx log');
    });
}
