// A program that asks its terminal a question (the cursor position, the device attributes, the
// size) gets exactly one answer, the server's, however many pages are connected: none, or
// three. The pages take the queries in the output and say nothing; what the person does on a
// page (keys, focus changes, the mouse) still reaches the program. The console here is a real
// pty whose program records every byte it reads, so an answer that reached it twice, or a page's
// answer typed into it, shows.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
    cc, cleanup, controlledSource, launchBrowser, startServer, waitFor, waitForState,
} from './lib/harness.mjs';

const ESC = '\x1b';

let source;
let server;
let context;
let pages = [];

before(async () => {
    source = controlledSource();
    server = await startServer({ name: 'queries', exec: source.exec });
    let page;
    ({ context, page } = await launchBrowser());
    pages = [page, await context.newPage(), await context.newPage()];
});
after(cleanup);

// Every query is asked with the cursor at row 5, column 10 of an 80x24 console. `answer` matches
// one answer; null where no one should answer (the server does not answer colour queries, and
// neither may the pages).
const QUERIES = [
    { name: 'DSR 6, the cursor position', query: `${ESC}[6n`, answer: /\x1b\[5;10R/y },
    { name: 'DA1', query: `${ESC}[c`, answer: /\x1b\[\?[\d;]+c/y },
    { name: 'DA2', query: `${ESC}[>c`, answer: /\x1b\[>[\d;]+c/y },
    { name: 'DSR 5, the status', query: `${ESC}[5n`, answer: /\x1b\[0n/y },
    { name: 'DECXCPR, the cursor position', query: `${ESC}[?6n`, answer: /\x1b\[\??5;10R/y },
    { name: 'XTWINOPS 18, the size', query: `${ESC}[18t`, answer: /\x1b\[8;24;80t/y },
    { name: 'DECRQM, the alternate screen', query: `${ESC}[?1049$p`, answer: /\x1b\[\?1049;[0-4]\$y/y },
    { name: 'OSC 11, the background colour', query: `${ESC}]11;?${ESC}\\`, answer: null },
    { name: 'OSC 4, a palette colour', query: `${ESC}]4;1;?${ESC}\\`, answer: null },
    { name: 'DECRQSS, the scroll region', query: `${ESC}P$qr${ESC}\\`, answer: /\x1bP1\$r1;24r\x1b\\/y },
];

async function everyPageShowed(offset) {
    for (const page of pages.filter((p) => p.url().startsWith('http')))
        await page.waitForFunction((o) => window.cloudConsole.shownOffset === o, offset);
}

// Writes `text` into the console and returns what the program reads in the next `ms` after
// every connected page has shown it.
async function inputAfter(text, ms = 1500) {
    const before = source.inputBytes().length;
    source.write(text);
    await everyPageShowed(source.written);
    await sleep(ms);
    return source.inputBytes().subarray(before).toString('latin1');
}

// Checks that `input` holds exactly one answer to each query that has one, in order.
function assertOneAnswerEach(input) {
    let at = 0;
    for (const { name, answer } of QUERIES) {
        if (!answer)
            continue;
        answer.lastIndex = at;
        const match = answer.exec(input);
        assert.ok(match, `one answer to ${name} at ${at} of ${JSON.stringify(input)}`);
        at += match[0].length;
    }
    assert.equal(input.slice(at), '', `nothing more than one answer to each: ${JSON.stringify(input)}`);
}

const asked = () => `${ESC}[2J${ESC}[5;10H${QUERIES.map((q) => q.query).join('')}`;

test('with no page connected, the server answers each query once', async () => {
    const input = await inputAfter(asked());
    assertOneAnswerEach(input);
});

test('with three pages connected, each query still gets one answer: the server\'s', async () => {
    for (const page of pages) {
        await page.goto(`${server.url}?focus=0`);
        await waitForState(page, 'connected');
    }
    await everyPageShowed(source.written);
    const input = await inputAfter(asked());
    assertOneAnswerEach(input);
    for (const page of pages)
        assert.equal(await cc(page, 'cc.bytesSent'), 0, 'no page sent anything');
});

test('keys, focus changes and mouse clicks on a page still reach the program', async () => {
    const [page] = pages;
    // Turning focus reports on makes xterm.js report the focus at once; that is the output's
    // doing, not the person's, and no page sends it.
    assert.equal(await inputAfter(`${ESC}[?1004h`, 1000), '');

    let before = source.inputBytes().length;
    const since = () => source.inputBytes().subarray(before).toString('latin1');
    await page.evaluate(() => window.cloudConsole.terminal.focus());
    await page.keyboard.type('ok');
    await page.evaluate(() => window.cloudConsole.terminal.blur());
    await waitFor(() => since() === `${ESC}[Iok${ESC}[O`,
                  `focus, keys and blur (have ${JSON.stringify(since())})`);

    // Mouse reports, SGR encoding: a click at the first cell.
    assert.equal(await inputAfter(`${ESC}[?1004l${ESC}[?1000;1006h`, 300), '');
    before = source.inputBytes().length;
    const box = await page.locator('.xterm-screen').boundingBox();
    await page.mouse.click(box.x + 2, box.y + 2);
    await waitFor(() => since() === `${ESC}[<0;1;1M${ESC}[<0;1;1m`,
                  `a click (have ${JSON.stringify(since())})`);
    source.write(`${ESC}[?1000;1006l`);
});

test('colours the output sets still apply, also when a query comes with them', async () => {
    const [page] = pages;
    await page.goto(`${server.url}?renderer=dom&focus=0`);
    await waitForState(page, 'connected');
    const input = await inputAfter(`${ESC}]4;1;#102030;2;?${ESC}\\${ESC}]4;3;#405060${ESC}\\`
                                   + `\r\n${ESC}[31mred${ESC}[33myellow${ESC}[0m\r\n`);
    assert.equal(input, '', 'no answer to the colour query');
    const colour = (text) => page.evaluate((t) => {
        const span = [...document.querySelectorAll('.xterm-rows span')].find((s) => s.textContent === t);
        return span && getComputedStyle(span).color;
    }, text);
    await waitFor(async () => (await colour('red')) === 'rgb(16, 32, 48)', 'colour 1 as set');
    assert.equal(await colour('yellow'), 'rgb(64, 80, 96)');
});
