// The page with access control on: [user NAME] sections in the configuration, the server's login
// form, an HttpOnly session cookie, a viewer's read-only page, an expired session that ends the
// reconnect attempts with a "Log in again" link, and logging out. Takes login.png (the login
// form, docs/images/login.png) and session-expired.png.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';

import {
    SERVER, cc, cleanup, controlledSource, launchBrowser, screenshot, startProxy, startServer,
    waitFor, waitForState, waitForText,
} from './lib/harness.mjs';

const PASSWORD = 'correct horse battery staple';

function passwordHashLine(password) {
    return execFileSync(SERVER, ['--hash-password'], { input: password }).toString().trim();
}

function config({ source, hash, lifetime }) {
    return `[server]
${lifetime ? `session-lifetime = ${lifetime}` : ''}

[console vm1]
source = exec:${source.exec}

[user alice]
${hash}
role = operator

[user victor]
${hash}
role = viewer
`;
}

let hash;
let source;
let server;

before(async () => {
    hash = passwordHashLine(PASSWORD);
    source = controlledSource({ history: 'boot: reached the login prompt\r\n' });
    server = await startServer({ config: config({ source, hash }) });
});
after(cleanup);

// Fills in and sends the server's login form, on the page that shows it.
async function logIn(page, user, password) {
    await page.fill('#user', user);
    await page.fill('#password', password);
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
}

const path = (page) => {
    const url = new URL(page.url());
    return url.pathname + url.search;
};

let alice; // {context, page}: logged in as the operator by the first test, logged out by the last

test('a console page sends the browser to log in; a wrong password is refused, the right one opens the console', async () => {
    alice = await launchBrowser();
    const { page } = alice;
    const response = await page.goto(new URL('c/vm1/', server.base).href);
    assert.equal(path(page), '/login?next=c/vm1/');
    assert.equal(response.status(), 200);
    assert.equal(await page.isVisible('#user'), true);
    assert.equal(await page.isVisible('#password'), true);
    // The form takes the focus, so a keyboard user types the name at once.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'user');
    await screenshot(page, 'login.png');

    await logIn(page, 'alice', 'not the password');
    assert.equal(path(page), '/login');
    assert.match(await page.textContent('[role="alert"]'), /wrong user or password/);
    assert.equal((await alice.context.cookies()).some((c) => c.name === 'cc_session'), false);

    await logIn(page, 'alice', PASSWORD);
    assert.equal(path(page), '/c/vm1/');
    await waitForState(page, 'connected');
    await waitForText(page, 'boot: reached the login prompt');
    await waitForText(page, 'ready');
    assert.equal(await cc(page, 'cc.writable'), true);
    assert.equal(await page.isHidden('#readonly-badge'), true);

    source.write('new output after the login\r\n');
    await waitForText(page, 'new output after the login');
    const before = source.inputBytes().length;
    await page.locator('.xterm-screen').click();
    await page.keyboard.type('typed by alice\r');
    await waitFor(() => source.inputBytes().length >= before + 15, 'the input to reach the console');
    assert.equal(source.inputBytes().subarray(before).toString(), 'typed by alice\r');

    // The server uses logins, so the page offers to log out.
    await waitFor(() => cc(page, 'cc.login.uses'), 'the page to learn that the server uses logins');
    assert.equal(await page.isVisible('#logout-button'), true);
    assert.equal(await page.isHidden('#login-link'), true);
});

test('the session cookie is HttpOnly and SameSite=Strict: the page\'s script cannot read it', async () => {
    const { page, context } = alice;
    assert.doesNotMatch(await page.evaluate(() => document.cookie), /cc_session/);
    const cookie = (await context.cookies()).find((c) => c.name === 'cc_session');
    assert.ok(cookie, 'the browser keeps the session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
});

test('a viewer sees the console, read-only, and its typing never reaches the console', async () => {
    const { page } = await launchBrowser();
    await page.goto(new URL('c/vm1/', server.base).href);
    await logIn(page, 'victor', PASSWORD);
    await waitForState(page, 'connected');
    await waitForText(page, 'new output after the login');
    source.write('output for the viewer\r\n');
    await waitForText(page, 'output for the viewer');

    assert.equal(await cc(page, 'cc.writable'), false);
    assert.equal(await page.isVisible('#readonly-badge'), true);
    for (const id of ['#break-button', '#resize-button'])
        assert.match(await page.getAttribute(id, 'data-reason'), /read-only/);
    const before = source.inputBytes().length;
    await page.locator('.xterm-screen').click();
    await page.keyboard.type('viewer typing');
    assert.equal(await cc(page, 'cc.refusedBytes'), 13);
    assert.match(await page.textContent('#notice'), /Input not sent .*read-only/);

    // The server refuses it too: a page that claims to be writable (its hello rewritten on the
    // way in) gets the read-only error, and still nothing reaches the console.
    const claiming = await page.context().newPage();
    await claiming.routeWebSocket(/\/ws(\?|$)/, (ws) => {
        const upstream = ws.connectToServer();
        upstream.onMessage((message) => {
            if (typeof message === 'string') {
                const m = JSON.parse(message);
                if (m.type === 'hello')
                    message = JSON.stringify({ ...m, writable: true });
            }
            ws.send(message);
        });
    });
    await claiming.goto(new URL('c/vm1/', server.base).href);
    await waitForState(claiming, 'connected');
    assert.equal(await cc(claiming, 'cc.writable'), true);
    await cc(claiming, 'cc.send("sneaked in")');
    await waitFor(() => cc(claiming, 'cc.serverErrors.some((e) => e.code === "read-only")'),
                  'the server to refuse the viewer\'s input');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(source.inputBytes().length, before, 'nothing reached the console');
    await page.context().close();
});

test('after the session expires, a lost connection ends with a "Log in again" link, and logging in restores the console', async () => {
    const shortSource = controlledSource({ history: 'short-lived session\r\n' });
    const short = await startServer({ config: config({ source: shortSource, hash, lifetime: '2s' }) });
    const proxy = await startProxy(short.port);
    const { page } = await launchBrowser();
    const sockets = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(`http://127.0.0.1:${proxy.port}/c/vm1/?retryMs=300&retryMaxMs=1000`);
    assert.equal(path(page), '/login?next=c/vm1/');
    await logIn(page, 'alice', PASSWORD);
    await waitForState(page, 'connected');
    await waitForText(page, 'ready');

    // The open connection outlives the session; a new one needs a session.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    shortSource.write('still connected\r\n');
    await waitForText(page, 'still connected');
    proxy.cut();
    proxy.restore();
    await waitFor(() => cc(page, 'cc.login.needed === "expired"'), 'the page to see the session is gone');
    await waitForState(page, 'closed');
    assert.equal(await cc(page, 'cc.status'), 'Your session has expired — Log in again');
    assert.equal(await page.textContent('#status-text'), 'Your session has expired —');
    assert.equal(await page.textContent('#status #login-link'), 'Log in again');
    assert.equal(await page.getAttribute('#status', 'data-login'), 'expired');
    assert.equal(await page.isVisible('#login-link'), true);
    assert.equal(await page.isHidden('#reconnect-button'), true);
    assert.equal(new URL(await cc(page, 'cc.login.url')).pathname + new URL(await cc(page, 'cc.login.url')).search,
                 '/login?next=c/vm1/');
    // No loop: no more attempts while the page waits for a login.
    const attempts = sockets.length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(sockets.length, attempts, `no attempts after the session ended: ${sockets.join(' ')}`);
    assert.equal(await cc(page, 'cc.state'), 'closed');
    await screenshot(page, 'session-expired.png');
    // Typing says why nothing is sent.
    await page.locator('.xterm-screen').click();
    await page.keyboard.type('x');
    assert.match(await page.textContent('#notice'), /session has expired/);

    // The link is in the status region and reachable by keyboard; Enter follows it.
    await page.focus('#login-link');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'login-link');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(path(page), '/login?next=c/vm1/');
    await logIn(page, 'alice', PASSWORD);
    assert.equal(path(page), '/c/vm1/');
    await waitForState(page, 'connected');
    await waitForText(page, 'still connected');
    shortSource.write('back after logging in\r\n');
    await waitForText(page, 'back after logging in');
    await page.context().close();
});

test('logging out ends the session: the page goes to the login form and the old cookie opens nothing', async () => {
    const { page, context } = alice;
    const ticket = (await context.cookies()).find((c) => c.name === 'cc_session').value;
    await Promise.all([page.waitForNavigation(), page.click('#logout-button')]);
    assert.equal(path(page), '/login');
    assert.equal((await context.cookies()).some((c) => c.name === 'cc_session'), false);

    const response = await page.goto(new URL('c/vm1/', server.base).href);
    assert.equal(response.status(), 200);
    assert.equal(path(page), '/login?next=c/vm1/');
    // The server forgot the session, not only the browser: the old ticket is refused.
    const replay = await fetch(new URL('c/vm1/', server.base), {
        redirect: 'manual', headers: { Cookie: `cc_session=${ticket}` },
    });
    assert.equal(replay.status, 303);
    assert.equal(replay.headers.get('location'), '../../login?next=c/vm1/');
});

test('without access control the page offers no Log out', async () => {
    const plainSource = controlledSource();
    const plain = await startServer({ name: 'open', exec: plainSource.exec });
    const { page } = await launchBrowser();
    await page.goto(plain.url);
    await waitForState(page, 'connected');
    await waitFor(async () => (await cc(page, 'cc.login.uses')) === false,
                  'the page to learn that the server uses no logins');
    assert.equal(await page.isHidden('#logout-button'), true);
    // A dropped connection is retried as before: the check finds no login in the way.
    await cc(page, 'cc.drop("test")');
    await waitForState(page, 'connected');
    assert.equal(await cc(page, 'cc.login.needed'), null);
});
