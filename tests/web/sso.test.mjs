// Single sign-on through a real nginx (docs/deployment.md, "A fleet behind one proxy"): nginx,
// connecting from 127.0.0.2 (the server's trusted-proxy), sets X-Forwarded-User as an auth
// service would. Through it, a browser is alice (an operator: it types, and the others see her
// name) or victor (a viewer: read-only) without any login form; a name the configuration does
// not know is refused with the reason. The same header sent straight to the server from
// 127.0.0.1 is ignored (the browser is sent to the login form, a WebSocket gets 401) and logged.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';

import {
    cc, cleanup, controlledSource, launchBrowser, startNginxRoutes, startServer, waitFor,
    waitForState, waitForText,
} from './lib/harness.mjs';

let source;
let server;
let nginx;

before(async () => {
    source = controlledSource({ history: 'behind the single sign-on\r\n' });
    server = await startServer({ config: `[server]
trusted-proxy = 127.0.0.2
user-header = X-Forwarded-User

[console vm1]
source = exec:${source.exec}

[user alice]
role = operator

[user victor]
role = viewer
` });
    const route = (prefix, user) => ({
        prefix, port: server.port, bind: '127.0.0.2', headers: { 'X-Forwarded-User': user },
    });
    nginx = await startNginxRoutes([
        route('/alice/', 'alice'), route('/victor/', 'victor'), route('/mallory/', 'mallory'),
    ]);
});
after(cleanup);

test('the proxy\'s user is logged in, with the configuration\'s role', async () => {
    const { page } = await launchBrowser();
    await page.goto(`${nginx.origin}/alice/c/vm1/`);
    await waitForState(page, 'connected');
    await waitForText(page, 'behind the single sign-on');
    assert.equal(new URL(page.url()).pathname, '/alice/c/vm1/', 'no login form on the way');
    assert.equal(await cc(page, 'cc.hello.writable'), true);
    await waitFor(() => cc(page, 'cc.presence?.clients.some((c) => c.name === "alice")'),
                  'alice in the list of who is here');
    await page.keyboard.type('typed by alice\r');
    await waitFor(() => source.inputBytes().toString().includes('typed by alice\r'), 'alice\'s input');

    const viewer = (await launchBrowser()).page;
    await viewer.goto(`${nginx.origin}/victor/c/vm1/`);
    await waitForState(viewer, 'connected');
    assert.equal(await cc(viewer, 'cc.hello.writable'), false);
    assert.equal(await viewer.isVisible('#readonly-badge'), true);
});

test('a name the configuration does not know is refused, with the reason', async () => {
    const answer = await fetch(`${nginx.origin}/mallory/consoles.json`);
    assert.equal(answer.status, 403);
    assert.match(await answer.text(), /user "mallory", named by the trusted proxy, has no \[user mallory\]/);
});

test('the header straight from a client is ignored and logged', async () => {
    // From 127.0.0.1, not the proxy: as if no header had come.
    const direct = await fetch(new URL('consoles.json', server.base), { headers: { 'X-Forwarded-User': 'alice' } });
    assert.equal(direct.status, 401);
    const page = await fetch(new URL('c/vm1/', server.base), {
        headers: { 'X-Forwarded-User': 'alice' }, redirect: 'manual',
    });
    assert.equal(page.status, 303);
    assert.match(page.headers.get('location'), /login/);
    await waitFor(() => /X-Forwarded-User header from 127\.0\.0\.1, which is not a trusted proxy, is ignored/
        .test(server.output), 'the ignored header in the server\'s log');
    // Nor does a WebSocket upgrade get in with it.
    const status = await new Promise((resolve, reject) => {
        const request = http.request(new URL('c/vm1/ws', server.base), {
            headers: {
                Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
                'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'cloud-console.v1',
                'X-Forwarded-User': 'alice',
            },
        });
        request.on('response', (response) => { response.resume(); resolve(response.statusCode); });
        request.on('upgrade', (response, socket) => { socket.destroy(); resolve(101); });
        request.on('error', reject);
        request.end();
    });
    assert.equal(status, 401);
});
