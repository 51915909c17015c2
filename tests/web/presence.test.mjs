// Working together on one console, in real Chromium against the real server on a real pty: who
// is here (two people see each other join and leave), the keyboard of an exclusive console (a
// viewer cannot type, the first operator to type takes it, another takes it after confirming,
// the previous holder is told and becomes read-only, give and release), and pastes sent as
// paste messages at the console's pace (complete at the pty, bracketed when asked, progress for
// the sender and for others, Cancel, a refusal over paste-max). Takes web-presence.png and
// web-paste.png.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
    SERVER, cc, cleanup, controlledSource, launchPeople, screenshot, startServer, waitFor,
    waitForState, waitForText,
} from './lib/harness.mjs';

const PASSWORD = 'correct horse battery staple';
// Characters a second the server feeds a paste at: 20 KiB take about 5 s, time to watch it.
const PASTE_RATE = 4000;
const PASTE_MAX = 64 * 1024;

let source;
let server;
let people;
const pages = {}; // name -> page

before(async () => {
    const hash = execFileSync(SERVER, ['--hash-password'], { input: PASSWORD }).toString().trim();
    source = controlledSource({ history: 'vm1 login: ' });
    server = await startServer({ config: `[console vm1]
source = exec:${source.exec}
input = exclusive
paste-rate = ${PASTE_RATE}
paste-max = ${PASTE_MAX}

[user alice]
${hash}
role = operator

[user carol]
${hash}
role = operator

[user victor]
${hash}
role = viewer
` });
    people = await launchPeople();
});
after(cleanup);

// A page of `user`'s, logged in, showing the console.
async function open(user) {
    const { page } = await people.newPage({ permissions: ['clipboard-read', 'clipboard-write'] });
    await page.goto(new URL('c/vm1/', server.base).href);
    await page.fill('#user', user);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    await waitForState(page, 'connected');
    await waitForText(page, 'vm1 login:');
    pages[user] = page;
    return page;
}

const count = (page) => cc(page, 'cc.presence ? cc.presence.clients.length : 0');
const keyboard = (page) => cc(page, 'cc.keyboard');
const lastNotice = (page) => cc(page, 'cc.notices.length ? cc.notices[cc.notices.length - 1].text : ""');

async function waitForNotice(page, pattern, what) {
    return waitFor(async () => {
        const notices = await cc(page, 'cc.notices.map((n) => n.text)');
        return notices.some((text) => pattern.test(text));
    }, `${what}: a notice matching ${pattern}`);
}

// Waits for the console to have received exactly `expected` after `before`.
async function expectInput(before, expected, what) {
    const want = Buffer.concat([before, Buffer.from(expected)]);
    await waitFor(() => source.inputBytes().length >= want.length,
                  `${what}: ${want.length} input bytes (have ${source.inputBytes().length})`, 30000);
    const got = source.inputBytes();
    assert.equal(got.subarray(before.length).toString('hex'), want.subarray(before.length).toString('hex'), what);
    return got;
}

test('two people see each other join and leave', async () => {
    const alice = await open('alice');
    await waitFor(async () => (await count(alice)) === 1, 'alice to see herself');
    assert.equal(await alice.textContent('#presence-count'), '1 here');
    const carol = await open('carol');
    await waitFor(async () => (await count(alice)) === 2, 'alice to see carol join');
    await waitFor(async () => (await count(carol)) === 2, 'carol to see two');
    assert.equal(await carol.textContent('#presence-count'), '2 here');

    await alice.click('#presence-button');
    assert.equal(await alice.isVisible('#presence-list'), true);
    const items = await alice.$$eval('#presence-items li', (lis) => lis.map((li) => ({
        name: li.querySelector('.name').textContent,
        detail: li.querySelector('.detail').textContent,
        typed: li.querySelector('.typed').textContent,
    })));
    assert.equal(items.length, 2);
    assert.match(items[0].name, /^alice you/);
    assert.match(items[0].detail, /^operator · page · 127\.0\.0\.1:\d+ · joined \d\d:\d\d:\d\d$/);
    assert.equal(items[0].typed, 'never typed');
    assert.match(items[1].name, /^carol/);
    await alice.keyboard.press('Escape');
    assert.equal(await alice.isVisible('#presence-list'), false);

    // The page names itself a page in the WebSocket URL; the server shows it as its kind.
    const kinds = await cc(carol, 'cc.presence.clients.map((c) => c.kind)');
    assert.deepEqual(kinds, ['page', 'page']);

    await carol.close();
    delete pages.carol;
    await waitFor(async () => (await count(alice)) === 1, 'alice to see carol leave');
    assert.equal(await alice.textContent('#presence-count'), '1 here');
});

test('exclusive keyboard: a viewer cannot type; the first operator to type takes it', async () => {
    const alice = pages.alice;
    const carol = await open('carol');
    const victor = await open('victor');
    await waitFor(async () => (await count(alice)) === 3, 'three here');
    assert.equal(await keyboard(alice), 'Nobody has the keyboard');
    assert.equal(await victor.isVisible('#keyboard-take'), false, 'a viewer is offered no keyboard');

    let before = source.inputBytes();
    await victor.click('#terminal');
    await victor.keyboard.type('v');
    await waitForNotice(victor, /read-only/, 'victor typing');

    await alice.click('#terminal');
    await alice.keyboard.type('a');
    before = await expectInput(before, 'a', 'alice types first');
    await waitFor(async () => (await keyboard(alice)) === 'You have the keyboard', 'alice to hold it');
    await waitFor(async () => (await keyboard(carol)) === 'alice has the keyboard', 'carol to be told');
    assert.equal(await carol.isVisible('#keyboard-take'), true);
    assert.equal(await alice.isVisible('#keyboard-release'), true);
    await waitFor(async () => (await cc(carol, 'cc.presence.clients.find((c) => c.name === "alice").typed')) !== '',
                  'alice\'s typing time in carol\'s list');

    // carol types: refused on the page, visibly; nothing reaches the console.
    await carol.click('#terminal');
    await carol.keyboard.type('c');
    await waitForNotice(carol, /alice has the keyboard; use Take keyboard/, 'carol typing');
    await sleep(300);
    assert.equal(source.inputBytes().length, before.length, 'nothing from carol or victor');
});

test('exclusive keyboard: another operator takes it after confirming; the previous holder is told and read-only', async () => {
    const { alice, carol } = pages;
    let before = source.inputBytes();
    await carol.click('#keyboard-take');
    assert.equal(await carol.isVisible('#take-dialog'), true, 'asks first');
    assert.match(await carol.textContent('#take-dialog-text'), /alice has the keyboard/);
    await carol.click('#take-cancel');
    await sleep(300);
    assert.equal(await keyboard(carol), 'alice has the keyboard', 'cancelled: nothing changed');

    await carol.click('#keyboard-take');
    await carol.click('#take-confirm');
    await waitFor(async () => (await keyboard(carol)) === 'You have the keyboard', 'carol to hold it');
    await waitFor(async () => (await keyboard(alice)) === 'carol has the keyboard', 'alice to be told');
    await waitForNotice(alice, /carol took the keyboard: this page is read-only/, 'alice');
    assert.deepEqual(
        (await cc(alice, 'cc.controls')).map(({ holder, by, reason }) => ({ holder: holder !== null, by: by !== null, reason })).pop(),
        { holder: true, by: true, reason: 'taken' });

    await alice.click('#terminal');
    await alice.keyboard.type('x');
    await waitForNotice(alice, /carol has the keyboard/, 'alice typing');
    await carol.click('#terminal');
    await carol.keyboard.type('c');
    before = await expectInput(before, 'c', 'carol types');
    assert.equal(source.inputBytes().includes('x'), false);
});

test('exclusive keyboard: give it from the list, and release it', async () => {
    const { alice, carol } = pages;
    let before = source.inputBytes();
    await carol.click('#presence-button');
    const aliceId = await cc(carol, 'cc.presence.clients.find((c) => c.name === "alice").id');
    // Only operators other than oneself get a Give button.
    const gives = await carol.$$eval('#presence-items li', (lis) => lis.map((li) => [li.dataset.id, Boolean(li.querySelector('button.give'))]));
    assert.deepEqual(gives.filter(([, give]) => give).map(([id]) => Number(id)), [aliceId]);
    source.write('\r\nWelcome to Debian GNU/Linux 12 (bookworm)\r\n\r\n'
                 + '\x1b[1;32malice@vm1\x1b[0m:\x1b[1;34m~\x1b[0m$ sudo systemctl restart nginx\r\n'
                 + '\x1b[1;32malice@vm1\x1b[0m:\x1b[1;34m~\x1b[0m$ systemctl is-active nginx\r\nactive\r\n'
                 + '\x1b[1;32malice@vm1\x1b[0m:\x1b[1;34m~\x1b[0m$ ');
    await waitForText(carol, 'is-active nginx');
    await screenshot(carol, 'web-presence.png');
    await carol.click(`#presence-items li[data-id="${aliceId}"] button.give`);
    await waitFor(async () => (await keyboard(alice)) === 'You have the keyboard', 'alice to get it');
    await waitForNotice(alice, /carol gave you the keyboard/, 'alice');
    await waitForNotice(carol, /You gave the keyboard to alice/, 'carol');
    await alice.click('#terminal');
    await alice.keyboard.type('g');
    before = await expectInput(before, 'g', 'alice types again');

    await alice.click('#keyboard-release');
    await waitFor(async () => (await keyboard(carol)) === 'Nobody has the keyboard', 'released');
    await waitForNotice(carol, /alice released the keyboard/, 'carol');
});

// A text of `bytes` bytes in lines, every line numbered so that a lost or repeated piece shows.
function pasteText(bytes) {
    const lines = [];
    let size = 0;
    for (let i = 0; size < bytes; i += 1) {
        const line = `line ${String(i).padStart(5, '0')} ${'abcdefghij'.repeat(4)}\n`;
        lines.push(line);
        size += line.length;
    }
    return lines.join('').slice(0, bytes);
}

async function pasteWithTheBrowser(page, text) {
    await page.evaluate((t) => navigator.clipboard.writeText(t), text);
    await page.click('#terminal');
    await page.keyboard.press('Control+Shift+V');
}

test('a paste goes as paste messages, at the console\'s pace, and arrives complete', async () => {
    const { alice, carol } = pages;
    let before = source.inputBytes();
    const sentBefore = await cc(alice, 'cc.bytesSent');
    const text = pasteText(20 * 1024);
    await pasteWithTheBrowser(alice, text);
    // The sender sees its progress, the others who is pasting.
    await waitFor(async () => (await cc(alice, 'cc.pasting'))?.mine === true, 'alice\'s progress');
    await waitFor(async () => /^alice is pasting \d+%$/.test((await cc(carol, 'cc.pasting'))?.text ?? ''),
                  'carol to see alice pasting');
    await waitFor(async () => ((await cc(alice, 'cc.pasting'))?.percent ?? 0) >= 20, 'some progress');
    assert.match((await cc(alice, 'cc.pasting')).text, /^Pasting \d+% \([\d.]+ KiB of 20 KiB\)$/);
    assert.equal(await alice.isVisible('#paste-cancel'), true);
    assert.equal(await carol.isVisible('#paste-cancel'), false);
    await screenshot(alice, 'web-paste.png');
    // Paced: not all of it is there yet.
    assert.ok(source.inputBytes().length - before.length < text.length, 'paced, not at once');

    before = await expectInput(before, text.replaceAll('\n', '\r'), 'the whole paste');
    await waitFor(async () => (await cc(alice, 'cc.pasting')) === null, 'the progress to go');
    await waitForNotice(alice, /^Pasted 20 KiB$/, 'alice');
    await waitFor(async () => (await cc(carol, 'cc.pasting')) === null, 'carol\'s view to clear');
    const sent = (await cc(alice, 'cc.pastesSent')).pop();
    assert.ok(sent.messages >= 2, `in ${sent.messages} messages`);
    assert.equal(sent.total, text.length);
    assert.equal(await cc(alice, 'cc.bytesSent'), sentBefore, 'no keystrokes were sent for it');
    const events = await cc(alice, 'cc.pasteEvents');
    assert.ok(events.filter((e) => e.id === sent.id && e.state === 'running').length >= 2, 'progress about once a second');
    assert.equal(events.filter((e) => e.id === sent.id).pop().state, 'done');
});

test('a paste is bracketed when the program asked for it; keys typed meanwhile wait behind it', async () => {
    const { alice } = pages;
    let before = source.inputBytes();
    source.write('\x1b[?2004h');
    await alice.waitForFunction(() => window.cloudConsole.terminal.modes.bracketedPasteMode);
    const text = pasteText(6000);
    await pasteWithTheBrowser(alice, text);
    await alice.keyboard.type('!');
    before = await expectInput(before, `\x1b[200~${text.replaceAll('\n', '\r')}\x1b[201~!`, 'bracketed, then the key');
    source.write('\x1b[?2004l');
    await alice.waitForFunction(() => !window.cloudConsole.terminal.modes.bracketedPasteMode);
});

test('Cancel stops a paste; what the console got stays, and typing goes on', async () => {
    const { alice, carol } = pages;
    const before = source.inputBytes();
    const text = pasteText(40 * 1024);
    await pasteWithTheBrowser(alice, text);
    await waitFor(async () => ((await cc(alice, 'cc.pasting'))?.percent ?? 0) >= 5, 'the paste to start');
    await alice.click('#paste-cancel');
    await waitForNotice(alice, /^Paste cancelled after /, 'alice');
    await waitFor(async () => (await cc(carol, 'cc.pasting')) === null, 'carol\'s view to clear');
    await sleep(500);
    const got = source.inputBytes().length - before.length;
    assert.ok(got > 0 && got < text.length, `${got} of ${text.length} bytes`);
    const now = source.inputBytes();
    await alice.keyboard.type('k');
    await expectInput(now, 'k', 'typing after the cancel');
});

test('a paste over the console\'s paste-max is refused, and said so', async () => {
    const { alice } = pages;
    const before = source.inputBytes();
    await pasteWithTheBrowser(alice, pasteText(PASTE_MAX + 1000));
    await waitForNotice(alice, /^Paste refused/, 'alice');
    assert.equal(await cc(alice, 'cc.pasting'), null);
    await sleep(300);
    assert.equal(source.inputBytes().length, before.length, 'none of it reached the console');
    // The next paste goes.
    await pasteWithTheBrowser(alice, 'after\n');
    await expectInput(before, 'after\r', 'the next paste');
});

test('the page says nothing of this in the log', async () => {
    for (const page of Object.values(pages))
        assert.deepEqual(page.consoleLog.filter((line) => /pageerror|ignoring/.test(line)), []);
    assert.equal(await lastNotice(pages.alice) !== '', true);
});
