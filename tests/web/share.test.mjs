// Share links in real Chromium against the real server on a real pty: an operator makes a link in
// the page's "Share read-only…" dialog and copies it; a fresh browser (its own cookies), sent
// there from another site's page, opens it and sees the console read-only (the READ-ONLY badge,
// no Share button, its typing never reaches the console) and no other console; the operator
// revokes the link in the dialog and the visitor's page is disconnected, saying why; a
// single-use link opens in one browser only. Takes share-dialog.png (docs/images).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
    SERVER, cc, cleanup, controlledSource, launchPeople, screenshot, startServer, tempDir, waitFor,
    waitForState, waitForText,
} from './lib/harness.mjs';

const PASSWORD = 'correct horse battery staple';

let source;
let server;
let people;
let alice;

before(async () => {
    const hash = execFileSync(SERVER, ['--hash-password'], { input: PASSWORD }).toString().trim();
    source = controlledSource({ history: 'vm1 login: ' });
    server = await startServer({ config: `[server]
state-dir = ${tempDir('cc-state-')}/state

[console vm1]
source = exec:${source.exec}

[console vm2]
source = exec:cat

[user alice]
${hash}
role = operator
` });
    people = await launchPeople();
    const { page } = await people.newPage({ viewport: { width: 1000, height: 640 },
                                            permissions: ['clipboard-read', 'clipboard-write'] });
    await page.goto(new URL('c/vm1/', server.base).href);
    await page.fill('#user', 'alice');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    await waitForState(page, 'connected');
    await waitForText(page, 'vm1 login:');
    alice = page;
});
after(cleanup);

// Makes a link in alice's dialog; its URL.
async function makeLink({ singleUse = false } = {}) {
    await alice.click('#share-button');
    await alice.waitForSelector('#share-dialog', { state: 'visible' });
    if (singleUse !== await alice.isChecked('#share-single-use'))
        await alice.click('#share-single-use');
    const before = await alice.inputValue('#share-url');
    await alice.click('#share-create');
    await waitFor(async () => {
        const url = await alice.inputValue('#share-url');
        return url && url !== before && await alice.isVisible('#share-result');
    }, 'the dialog to show the new link');
    return alice.inputValue('#share-url');
}

// A fresh browser, sent to url from another site's page (as from a chat), opens the link.
async function visit(url) {
    const { page } = await people.newPage();
    await page.setContent(`<a id="go" href="${url}">the console</a>`);
    await Promise.all([page.waitForNavigation(), page.click('#go')]);
    return page;
}

test('an operator makes a link that a fresh browser opens read-only, and revokes it', async () => {
    await alice.waitForSelector('#share-button', { state: 'visible' });
    assert.equal(await alice.textContent('#share-button'), 'Share read-only…');
    const url = await makeLink();
    assert.match(url, new RegExp(`^${server.base}share/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`));
    assert.equal(await alice.inputValue('#share-lifetime'), '3600', 'an hour unless chosen');
    const items = await alice.$$eval('#share-links li', (lis) => lis.map((li) => li.textContent));
    assert.equal(items.length, 1);
    assert.match(items[0], /\(in (59 min|1 h)\) · by alice/);
    assert.equal(await alice.textContent('#share-links button.revoke'), 'Revoke');
    await screenshot(alice, 'share-dialog.png');

    await alice.click('#share-copy');
    assert.equal(await alice.evaluate(() => navigator.clipboard.readText()), url);

    // The visitor: the landing page, then the console, read-only.
    const visitor = await visit(url);
    assert.match(await visitor.textContent('h1'), /Console vm1, read-only/);
    assert.match(await visitor.textContent('main'), /Shared by alice/);
    await Promise.all([visitor.waitForNavigation(), visitor.click('button[type="submit"]')]);
    assert.equal(new URL(visitor.url()).pathname, '/c/vm1/');
    await waitForState(visitor, 'connected');
    await waitForText(visitor, 'vm1 login:');
    assert.equal(await cc(visitor, 'cc.writable'), false);
    assert.equal(await visitor.isVisible('#readonly-badge'), true);
    await waitFor(async () => (await cc(visitor, 'cc.presence ? cc.presence.clients.length : 0')) === 2,
                  'the visitor to see who is here');
    assert.equal(await visitor.isVisible('#share-button'), false, 'no sharing for a share');
    // Alice sees the visitor as the link.
    await waitFor(async () => (await cc(alice, 'cc.presence.clients.map((c) => c.name + "/" + c.role)'))
        .some((entry) => /^share:[0-9a-f]{12}\/viewer$/.test(entry)), 'alice to see the link\'s viewer');
    // Typing goes nowhere.
    const input = source.inputBytes().length;
    await visitor.click('#terminal');
    await visitor.keyboard.type('rm -rf /\r');
    await sleep(300);
    assert.equal(source.inputBytes().length, input);
    source.write('still here\r\n');
    await waitForText(visitor, 'still here');
    // No other console.
    const other = await visitor.goto(new URL('c/vm2/', server.base).href);
    assert.equal(other.status(), 403);
    assert.match(await visitor.textContent('main'), /console "vm1" alone/);
    await visitor.goto(new URL('c/vm1/', server.base).href);
    await waitForState(visitor, 'connected');

    // Alice revokes it: the visitor's page is cut off at once and says why.
    await alice.click('#share-links button.revoke');
    await waitForState(visitor, 'closed', 5000);
    assert.match(await cc(visitor, 'cc.reason'), /revoked/);
    await waitFor(async () => (await alice.$$('#share-links li.empty')).length === 1,
                  'the list to have no live link');
    const ended = await visitor.reload();
    assert.equal(ended.status(), 410);
    assert.match(await visitor.textContent('h1'), /This shared view has ended/);
    assert.match(await visitor.textContent('main'), /was revoked/);
    // Once said, the browser is what it was before the link: here, someone to log in.
    await visitor.reload();
    assert.equal(await visitor.isVisible('#password'), true);
    const again = await visit(url);
    assert.match(await again.textContent('h1'), /This link was revoked/);
    await alice.click('#share-close');
});

test('a single-use link opens in one browser only', async () => {
    const url = await makeLink({ singleUse: true });
    await alice.click('#share-close');
    const first = await visit(url);
    await Promise.all([first.waitForNavigation(), first.click('button[type="submit"]')]);
    await waitForState(first, 'connected');
    assert.equal(await cc(first, 'cc.writable'), false);

    const second = await visit(url);
    assert.match(await second.textContent('h1'), /This link was already used/);
    // The first browser's view goes on.
    source.write('after the second try\r\n');
    await waitForText(first, 'after the second try');
});
