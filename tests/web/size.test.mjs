// The console has one size and every page shows it: the terminal keeps the console's size
// whatever the window's, and the status bar says it. The console takes a window's size only when
// its person asks (Fit to window, or following the window when that setting is on); a `size`
// from the server is never answered with a `resize`, so pages never resize each other back and
// forth. The program in the console reports its pty's size whenever it changes, so the test
// sees what the guest is told; it writes on row 24 and leaves the cursor at column 75, far from
// the top left corner a smaller window shows first.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
    cc, cleanup, launchBrowser, protocolClient, startServer, waitFor, waitForState,
} from './lib/harness.mjs';

let server;
let context;
let page;

before(async () => {
    server = await startServer({
        name: 'sizes',
        exec: 'stty raw -echo; old=; while :; do s=$(stty size); if [ "$s" != "$old" ]; then '
            + 'printf "\\033[24;1H\\033[Ksize %s\\033[24;75H" "$s"; old=$s; fi; sleep 0.1; done',
    });
    ({ context, page } = await launchBrowser({ viewport: { width: 1000, height: 600 } }));
});
after(cleanup);

// The size the program last reported: {cols, rows}.
async function ptySize(on = page) {
    const lines = (await cc(on, 'cc.bufferText()')).split('\n').filter((l) => l.startsWith('size '));
    const [rows, cols] = (lines.at(-1) ?? '').trim().split(' ').slice(1).map(Number);
    return { cols, rows };
}

async function waitForPty(size, on = page) {
    let seen;
    await waitFor(async () => {
        seen = await ptySize(on);
        return seen.cols === size.cols && seen.rows === size.rows;
    }, `the pty to be ${size.cols}x${size.rows}`).catch((e) => {
        throw new Error(`${e.message}; it said ${JSON.stringify(seen)}`);
    });
}

async function waitForTerminal(size, on = page) {
    await waitFor(async () => {
        const shown = await cc(on, 'cc.size');
        return shown.cols === size.cols && shown.rows === size.rows;
    }, `the terminal to be ${size.cols}x${size.rows}`);
}

// What fits the page's window, as its Fit action would send it.
const fits = (on) => on.evaluate(() => {
    const help = document.getElementById('resize-button').dataset.help;
    const [, cols, rows] = /: (\d+)×(\d+)$/.exec(help);
    return { cols: Number(cols), rows: Number(rows) };
});

const sizeEvents = async (client) => (await client.messages()).filter((m) => m.type === 'size');

test('the page shows the console\'s size, and its terminal has it whatever the window', async () => {
    await page.goto(server.url);
    await waitForState(page, 'connected');
    await waitForPty({ cols: 80, rows: 24 });
    assert.deepEqual(await cc(page, 'cc.consoleSize'), { cols: 80, rows: 24 });
    assert.deepEqual(await cc(page, 'cc.size'), { cols: 80, rows: 24 });
    assert.match(await page.textContent('#status-info'), / · 80×24 · /);
    const wider = await fits(page);
    assert.ok(wider.cols > 80 && wider.rows > 24, `the window fits more: ${JSON.stringify(wider)}`);

    // A smaller window: the terminal keeps its size and the area around it scrolls.
    await page.setViewportSize({ width: 500, height: 300 });
    await sleep(600);
    assert.deepEqual(await cc(page, 'cc.size'), { cols: 80, rows: 24 });
    assert.deepEqual(await cc(page, 'cc.resizesSent'), []);
    assert.deepEqual(await ptySize(), { cols: 80, rows: 24 });
    const area = await page.evaluate(() => {
        const box = document.getElementById('terminal');
        return { scrolls: box.scrollWidth > box.clientWidth && box.scrollHeight > box.clientHeight };
    });
    assert.equal(area.scrolls, true, 'the terminal area scrolls');
    // Typing still works in the smaller window, and the area keeps the cursor in sight.
    await page.keyboard.type('x');
    await waitFor(async () => (await cc(page, 'cc.bytesSent')) === 1, 'the key sent');
    await waitFor(() => page.evaluate(() => {
        const area = document.getElementById('terminal').getBoundingClientRect();
        const cursor = window.cloudConsole.terminal.textarea.getBoundingClientRect();
        return cursor.top >= area.top && cursor.bottom <= area.bottom
            && cursor.left >= area.left && cursor.right <= area.right;
    }), 'the cursor in sight');
    await page.setViewportSize({ width: 1000, height: 600 });
});

test('Fit to window gives the console the size that fits, and the page follows the server', async () => {
    await page.goto(server.url);
    await waitForState(page, 'connected');
    const wanted = await fits(page);
    await page.click('#resize-button');
    await waitForPty(wanted);
    await waitForTerminal(wanted);
    assert.deepEqual(await cc(page, 'cc.consoleSize'), wanted);
    assert.match(await page.textContent('#status-info'),
                 new RegExp(` · ${wanted.cols}×${wanted.rows} · `));
    assert.deepEqual((await cc(page, 'cc.resizesSent')).map(({ cols, rows }) => ({ cols, rows })), [wanted]);
    // The grid now fills the area without scrolling it.
    assert.equal(await page.evaluate(() => {
        const box = document.getElementById('terminal');
        return box.scrollWidth <= box.clientWidth && box.scrollHeight <= box.clientHeight;
    }), true);
    // Fitting again has nothing to do.
    await page.click('#resize-button');
    assert.match(await page.textContent('#notice'), /already/);
    assert.equal((await cc(page, 'cc.resizesSent')).length, 1);

    // Without scrollback there is no scroll bar to leave room for: more columns fit.
    await page.goto(`${server.url}?scrollback=0`);
    await waitForState(page, 'connected');
    const wider = await fits(page);
    assert.ok(wider.cols > wanted.cols && wider.rows === wanted.rows, JSON.stringify([wanted, wider]));
    await page.click('#resize-button');
    await waitForTerminal(wider);
    assert.equal(await page.evaluate(() => {
        const box = document.getElementById('terminal');
        return box.scrollWidth <= box.clientWidth && box.scrollHeight <= box.clientHeight;
    }), true);
});

test('another operator\'s resize reaches every page, and no page sends one back', async () => {
    // Page A follows its window: it gives the console its size when it connects, and again
    // whenever its window changes. Page B, in a bigger window, fits the console once.
    await page.setViewportSize({ width: 1000, height: 600 });
    await page.goto(`${server.url}?followWindow=1`);
    await waitForState(page, 'connected');
    const sizeA = await fits(page);
    await waitForTerminal(sizeA);
    const sentByA = (await cc(page, 'cc.resizesSent')).length; // none if the console had that size
    const observer = await protocolClient(context, server.url);

    const pageB = await context.newPage();
    await pageB.setViewportSize({ width: 1300, height: 800 });
    await pageB.goto(server.url);
    await waitForState(pageB, 'connected');
    await waitForTerminal(sizeA, pageB);
    const sizeB = await fits(pageB);
    assert.notDeepEqual(sizeB, sizeA);
    await pageB.click('#resize-button');
    await waitForTerminal(sizeB, page);
    await waitForPty(sizeB);
    await sleep(1000); // time for an answer, if anyone were to send one
    assert.deepEqual((await sizeEvents(observer)).map(({ cols, rows }) => ({ cols, rows })), [sizeB]);
    assert.equal((await cc(page, 'cc.resizesSent')).length, sentByA, 'page A did not answer');

    // A resize from a client of the test's own: both pages follow, neither answers.
    await observer.send({ type: 'resize', cols: 100, rows: 30 });
    await waitForTerminal({ cols: 100, rows: 30 }, page);
    await waitForTerminal({ cols: 100, rows: 30 }, pageB);
    await waitForPty({ cols: 100, rows: 30 });
    assert.match(await pageB.textContent('#status-info'), / · 100×30 · /);
    await sleep(1000);
    assert.equal((await sizeEvents(observer)).length, 2);

    // Page A's window changes: it follows, and page B follows it without answering.
    await page.setViewportSize({ width: 900, height: 500 });
    await waitFor(async () => (await cc(page, 'cc.resizesSent')).length === sentByA + 1,
                  'page A to fit its new window');
    const sizeA2 = await fits(page);
    await waitForTerminal(sizeA2, pageB);
    await waitForPty(sizeA2);
    await sleep(1000);
    assert.deepEqual((await sizeEvents(observer)).map(({ cols, rows }) => ({ cols, rows })),
                     [sizeB, { cols: 100, rows: 30 }, sizeA2]);
    assert.equal((await cc(pageB, 'cc.resizesSent')).length, 1);
    await pageB.close();
    await observer.close();
});
