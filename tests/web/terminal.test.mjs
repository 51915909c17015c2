// The page's terminal plumbing, in node, on the real xterm.js the page bundles (it runs without
// a DOM as long as it is not opened): the queries it leaves to the server (queries.js), the feed
// that puts output, sizes and screens into it in stream order (screen.js), where an offset of
// the output stands in its buffer (moments.js), when the page asks for a resize (size.js), and
// the modes a paste (presencetext.js, protocol.js) and the key bar (keys.js) read from it.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '../../resources/web');
const require = createRequire(path.join(web, 'package.json'));
const { Terminal } = require('@xterm/xterm');
const load = (name) => import(pathToFileURL(path.join(web, 'src', name)).href);
const { isWindowReport, onUserData, silenceQueries, splitColourRequest } = await load('queries.js');
const { TerminalFeed } = await load('screen.js');
const { Moments, comparable } = await load('moments.js');
const { fitRequest } = await load('size.js');
const { preparePaste } = await load('presencetext.js');
const { BarKey, keyBytes } = await load('keys.js');
const { encodePaste, utf8Length } = await load('protocol.js');

const ESC = '\x1b';
const encoder = new TextEncoder();

// A terminal as the page makes it, and everything it sends. `windowOptions` lets xterm.js
// answer the XTWINOPS reports, so that swallowing them is seen to matter.
function terminal({ silenced = true, cols = 80, rows = 24 } = {}) {
    const term = new Terminal({ cols, rows, allowProposedApi: true, scrollback: 1000,
                                windowOptions: { getWinSizeChars: true, getCellSizePixels: true } });
    const sent = [];
    const unsilence = silenced ? silenceQueries(term) : () => {};
    onUserData(term, (data) => sent.push(data));
    return { term, sent, unsilence };
}

function write(term, data) {
    return new Promise((resolve) => term.write(data, resolve));
}

function screenText(term) {
    const buffer = term.buffer.active;
    const lines = [];
    for (let y = 0; y < buffer.length; y += 1)
        lines.push(buffer.getLine(y).translateToString(true));
    return lines.join('\n').replace(/\n+$/, '');
}

// Every query xterm.js answers by itself (checked below on an unsilenced terminal). The colour
// queries (OSC 4, 10, 11, 12 with "?") are answered by its browser half only, from the theme of
// an opened terminal: tests/web/queries.test.mjs checks those in Chromium.
const QUERIES = {
    'DA1': `${ESC}[c`,
    'DA1 with 0': `${ESC}[0c`,
    'DA2': `${ESC}[>c`,
    'DSR 5 (status)': `${ESC}[5n`,
    'DSR 6 (cursor position)': `${ESC}[6n`,
    'DECXCPR (cursor position)': `${ESC}[?6n`,
    'DECRQM, ANSI mode': `${ESC}[4$p`,
    'DECRQM, DEC mode': `${ESC}[?1049$p`,
    'XTWINOPS 18 (size in characters)': `${ESC}[18t`,
    'DECRQSS (scroll region)': `${ESC}P$qr${ESC}\\`,
};

test('xterm.js answers each of these queries by itself', async () => {
    for (const [name, query] of Object.entries(QUERIES)) {
        const { term, sent } = terminal({ silenced: false });
        await write(term, query);
        assert.equal(sent.length, 1, `${name}: ${JSON.stringify(sent)}`);
    }
});

test('the page answers none of them, and they change nothing on the screen', async () => {
    for (const [name, query] of Object.entries(QUERIES)) {
        const { term, sent } = terminal();
        await write(term, `before${query}after`);
        assert.deepEqual(sent, [], name);
        assert.equal(screenText(term), 'beforeafter', name);
    }
});

test('xterm.js does not answer DA3 or ENQ, so there is nothing to take', async () => {
    const { term, sent } = terminal({ silenced: false });
    await write(term, `${ESC}[=c\x05`);
    assert.deepEqual(sent, []);
});

test('window operations that are not reports go on to xterm.js', () => {
    assert.equal(isWindowReport([18]), true);
    assert.equal(isWindowReport([14, 2]), true);
    assert.equal(isWindowReport([21]), true);
    assert.equal(isWindowReport([22, 0]), false); // push the title
    assert.equal(isWindowReport([8, 24, 80]), false); // resize
    assert.equal(isWindowReport([0]), false);
});

test('colour requests split into what they ask and what they set', () => {
    assert.deepEqual(splitColourRequest(4, '1;?'), { queries: 1, sets: [] });
    assert.deepEqual(splitColourRequest(4, '1;#ff0000;2;?;3;rgb:00/00/ff'),
                     { queries: 1, sets: ['4;1;#ff0000', '4;3;rgb:00/00/ff'] });
    assert.deepEqual(splitColourRequest(4, '1;#ff0000'), { queries: 0, sets: ['4;1;#ff0000'] });
    assert.deepEqual(splitColourRequest(10, '?;?;?'), { queries: 3, sets: [] });
    assert.deepEqual(splitColourRequest(10, '#fff;?'), { queries: 1, sets: ['10;#fff'] });
    assert.deepEqual(splitColourRequest(11, '?;#000'), { queries: 1, sets: ['12;#000'] });
    assert.deepEqual(splitColourRequest(12, '#abc;?'), { queries: 0, sets: ['12;#abc'] }); // no 13
});

// (Pastes and real focus changes need an opened terminal: tests/web/typing.test.mjs and
// queries.test.mjs check them in Chromium.)
test('what the user does still goes out, focus reports included', async () => {
    const { term, sent } = terminal();
    term.input('ls\r');
    await write(term, `${ESC}[?1004h`); // focus reports on: xterm.js reports the focus at once
    assert.deepEqual(sent, ['ls\r']);
    await sleep(0);
    term.input(`${ESC}[I`); // a later focus report, as the textarea's focus event sends it
    term.input(`${ESC}[O`);
    assert.deepEqual(sent, ['ls\r', `${ESC}[I`, `${ESC}[O`]);
});

test('turning focus reports on from the output sends nothing by itself', async () => {
    const plain = new Terminal({ allowProposedApi: true });
    const reports = [];
    plain.onData((data) => reports.push(data));
    await write(plain, `${ESC}[?1004h`);
    assert.deepEqual(reports, [`${ESC}[O`], 'xterm.js reports the focus when the mode is set');

    const { term, sent } = terminal();
    await write(term, `${ESC}[?1004h${ESC}[?1004l${ESC}[?25;1004h`);
    assert.deepEqual(sent, []);
});

// --- the feed ----------------------------------------------------------------------------------

function feedOn(term) {
    const shown = [];
    const screens = [];
    const feed = new TerminalFeed(term, {
        onShown: (offset) => shown.push(offset),
        onScreen: (screen) => screens.push(screen.offset),
    });
    return { feed, shown, screens };
}

// Waits until the terminal has parsed everything up to `offset`. (A write of the test's own
// would not do: it would not wait for what the feed holds back behind a screen.)
async function settled(feed, offset) {
    for (let waited = 0; feed.shownOffset !== offset; waited += 5) {
        assert.ok(waited < 5000, `the feed to reach ${offset} (at ${feed.shownOffset})`);
        await sleep(5);
    }
}

test('output is shown in order, and the feed knows how far', async () => {
    const { term } = terminal();
    const { feed, shown } = feedOn(term);
    feed.startAt(100);
    assert.equal(feed.shownOffset, 100);
    feed.output(encoder.encode('one\r\n'), 105);
    feed.output(encoder.encode('two\r\n'), 110);
    await settled(feed, 110);
    assert.equal(screenText(term), 'one\ntwo');
    assert.deepEqual(shown, [105, 110]);
    assert.equal(feed.shownOffset, 110);
});

test('a screen replaces everything, scrollback included, and takes its size', async () => {
    const { term } = terminal();
    const { feed, shown, screens } = feedOn(term);
    feed.startAt(0);
    for (let i = 1; i <= 60; i += 1)
        feed.output(encoder.encode(`old line ${i}\r\n`), i * 100);
    feed.screen({ offset: 9000, cols: 100, rows: 30, complete: true,
                  data: `${ESC}c${ESC}]2;the title\x07server line 1\r\nserver line 2` });
    feed.output(encoder.encode(' and on'), 9007);
    await settled(feed, 9007);
    assert.equal(term.cols, 100);
    assert.equal(term.rows, 30);
    assert.equal(screenText(term), 'server line 1\nserver line 2 and on');
    assert.equal(term.buffer.active.baseY, 0, 'no scrollback left from before');
    assert.deepEqual(screens, [9000]);
    assert.deepEqual(shown.slice(-2), [9000, 9007]);
    assert.equal(feed.shownOffset, 9007);
});

test('screens and output keep their order while earlier output is still queued', async () => {
    const { term } = terminal();
    const { feed } = feedOn(term);
    feed.startAt(0);
    const big = 'x'.repeat(79).concat('\r\n').repeat(2000); // parsed over several turns
    feed.output(encoder.encode(big), big.length);
    feed.screen({ offset: 500000, cols: 80, rows: 24, data: `${ESC}cscreen` });
    feed.output(encoder.encode(' after'), 500006);
    feed.screen({ offset: 600000, cols: 40, rows: 10, data: `${ESC}csecond screen` });
    feed.output(encoder.encode(' last'), 600005);
    await settled(feed, 600005);
    assert.equal(screenText(term), 'second screen last');
    assert.equal(term.cols, 40);
    assert.equal(feed.shownOffset, 600005);
});

test('a screen resets the terminal where it stands in the stream, not when it arrives', async () => {
    const { term } = terminal();
    const events = [];
    term.onTitleChange((title) => events.push(`title ${title}`));
    const feed = new TerminalFeed(term, { onScreen: () => events.push('screen') });
    feed.startAt(0);
    feed.output(encoder.encode(`${ESC}]2;old${ESC}\\`.concat('y'.repeat(200000))), 200010);
    feed.screen({ offset: 300000, cols: 80, rows: 24, data: `${ESC}c${ESC}]2;new${ESC}\\` });
    await settled(feed, 300000);
    assert.deepEqual(events, ['title old', 'screen', 'title new']);
});

test('a gap\'s line before a screen is cleared with everything else', async () => {
    const { term } = terminal();
    const { feed } = feedOn(term);
    feed.startAt(0);
    feed.output(encoder.encode('before\r\n'), 8);
    feed.line('\r\n … 5000 bytes skipped … \r\n', 5008);
    feed.screen({ offset: 5008, cols: 80, rows: 24, data: `${ESC}cthe screen` });
    feed.output(encoder.encode('!'), 5009);
    await settled(feed, 5009);
    assert.equal(screenText(term), 'the screen!');
});

test('a screen of a full-screen program: alternate buffer, title, cursor', async () => {
    const { term, sent } = terminal();
    const titles = [];
    term.onTitleChange((title) => titles.push(title));
    const { feed } = feedOn(term);
    feed.startAt(0);
    feed.screen({
        offset: 70000, cols: 80, rows: 24,
        data: `${ESC}c${ESC}]0;top - 42 tasks${ESC}\\${ESC}[?1049h${ESC}[?1004h${ESC}[1;1HHEADER`
            + `${ESC}[24;1HFOOTER${ESC}[12;5Hcount 999`,
    });
    await settled(feed, 70000);
    assert.equal(term.buffer.active.type, 'alternate');
    assert.deepEqual(titles, ['top - 42 tasks']);
    const rows = screenText(term).split('\n');
    assert.equal(rows[0], 'HEADER');
    assert.equal(rows[11], '    count 999');
    assert.equal(rows[23], 'FOOTER');
    assert.equal(term.buffer.active.cursorY, 11);
    assert.deepEqual(sent, [], 'the screen turning focus reports on sends no report');
});

test('a size change takes effect between the output before and after it', async () => {
    const { term } = terminal({ cols: 20, rows: 5 });
    const { feed } = feedOn(term);
    feed.startAt(0);
    const before = 'a'.repeat(30);
    feed.output(encoder.encode(before), 30); // wraps at 20 columns
    feed.resize(40, 5);
    feed.output(encoder.encode('\r\n'.concat('b'.repeat(30))), 62); // fits in 40
    assert.equal(term.cols, 20, 'not before the output ahead of it is drawn');
    await settled(feed, 62);
    assert.equal(term.cols, 40);
    const text = screenText(term);
    assert.ok(text.includes('b'.repeat(30)), text);
});

// --- where an offset stands: moments ----------------------------------------------------------

// A terminal fed by the test, byte offsets counted from `start`, with its Moments.
function momentsOn({ cols = 40, rows = 5, scrollback = 1000, start = 0 } = {}) {
    const term = new Terminal({ cols, rows, scrollback, allowProposedApi: true });
    const moments = new Moments(term);
    const feed = new TerminalFeed(term, { moments });
    feed.startAt(start);
    let offset = start;
    return {
        term, moments, feed,
        get offset() { return offset; },
        // Writes `text` in one write; returns the offset it started at.
        out(text) {
            const at = offset;
            const bytes = encoder.encode(text);
            offset += bytes.length;
            feed.output(bytes, offset);
            return at;
        },
        settled: () => settled(feed, offset),
    };
}

const find = (moments, offset, text) => new Promise((resolve) => moments.find(offset, text, resolve));
const rowText = (term, row) => term.buffer.active.getLine(row).translateToString(true);

test('moments: a line already drawn is found by its text from the write it came in', async () => {
    const t = momentsOn();
    t.out('boot 1\r\nlogin: \r\n');
    const at = t.offset + 'boot 2\r\n'.length;
    t.out('boot 2\r\nlogin: \r\nboot 3\r\n'); // the same text before, in another write
    for (let i = 0; i < 20; i += 1)
        t.out(`line ${i}\r\n`);
    await t.settled();
    const place = await find(t.moments, at, 'login: ');
    assert.equal(place.exact, true);
    assert.equal(place.marker.line, 3, 'the second "login:", not the first');
    assert.equal(rowText(t.term, place.marker.line), 'login: ');
});

test('moments: an offset asked for before its bytes come is cut at, and exact without text', async () => {
    const t = momentsOn();
    t.out('one\r\n');
    const promise = find(t.moments, t.offset + 'two\r\nsame\r\n'.length, null);
    t.out('two\r\nsame\r\nsame\r\nfour\r\n'); // one write: the feed cuts it
    const place = await promise;
    assert.deepEqual([place.exact, place.marker.line], [true, 3]);
    await t.settled();
    assert.equal(t.moments.knows(t.offset - 'four\r\n'.length), false, 'within a write, no text');
    assert.equal(t.moments.knows(t.offset), true, 'not parsed yet');
});

test('moments: a wrapped line is one line; the place follows the buffer as it scrolls', async () => {
    const t = momentsOn({ cols: 20 });
    t.out('before\r\n');
    const long = `Kernel panic - not syncing: ${'x'.repeat(30)}`;
    const at = t.out(`${long}\r\n`);
    await t.settled();
    const place = await find(t.moments, at, long);
    assert.equal(place.marker.line, 1);
    for (let i = 0; i < 50; i += 1)
        t.out(`after ${i}\r\n`);
    await t.settled();
    assert.equal(place.marker.line, 1, 'scrollback keeps it where it was');
    assert.ok(rowText(t.term, place.marker.line).startsWith('Kernel panic'));
    assert.equal(t.term.buffer.active.getLine(place.marker.line + 1).isWrapped, true);
});

test('moments: gone from the scrollback, before the output, or replaced by a screen', async () => {
    const t = momentsOn({ scrollback: 10, start: 500 });
    assert.deepEqual(await find(t.moments, 100, 'x'), { gone: 'before' });
    const at = t.out('Oops: 0000 [#1] SMP\r\n');
    for (let i = 0; i < 40; i += 1)
        t.out(`after ${i}\r\n`);
    await t.settled();
    assert.deepEqual(await find(t.moments, at, 'Oops: 0000 [#1] SMP'), { gone: 'scrollback' });

    const kept = t.out('kept\r\n');
    await t.settled();
    const place = await find(t.moments, kept, 'kept');
    t.feed.screen({ offset: t.offset + 10, cols: 40, rows: 5, data: `${ESC}cscreen` });
    await settled(t.feed, t.offset + 10);
    assert.deepEqual(await find(t.moments, kept, 'kept'), { gone: 'before' });
    assert.equal(t.moments.floor, t.offset + 10);
    place.marker.dispose();
});

test('moments: a place waited for arrives once its line is parsed, also split across writes', async () => {
    const t = momentsOn();
    t.out('start\r\n');
    const at = t.offset;
    t.out('[ 9.0] Kernel pa'); // the line's start only
    await t.settled();
    const promise = find(t.moments, at, '[ 9.0] Kernel panic - not syncing');
    let done = false;
    promise.then(() => { done = true; });
    await sleep(20);
    assert.equal(done, false, 'waits for the rest of the line');
    t.out('nic - not syncing\r\nmore\r\n');
    const place = await promise;
    assert.equal(rowText(t.term, place.marker.line), '[ 9.0] Kernel panic - not syncing');
    assert.equal(comparable(' a\t b  '), 'a b');
});

// --- when the page asks for a resize ---------------------------------------------------------

const hello = {
    writable: true, capabilities: { resize: true, break: false }, size: { cols: 80, rows: 24 },
};

test('fitting the console sends the window\'s size when it differs, and says why not', () => {
    assert.deepEqual(fitRequest({ cols: 120, rows: 40 }, hello), { cols: 120, rows: 40 });
    assert.match(fitRequest({ cols: 80, rows: 24 }, hello).why, /already 80×24/);
    assert.match(fitRequest({ cols: 120, rows: 40 }, null).why, /not connected/);
    assert.match(fitRequest({ cols: 120, rows: 40 }, { ...hello, writable: false }).why, /read-only/);
    assert.match(fitRequest({ cols: 120, rows: 40 },
                            { ...hello, capabilities: { resize: false } }).why, /does not support/);
    assert.match(fitRequest(undefined, hello).why, /no size yet/);
    assert.match(fitRequest({ cols: NaN, rows: 3 }, hello).why, /no size yet/);
});

// --- the modes pastes and the key bar follow --------------------------------------------------

test('a paste is bracketed exactly while the program asks for it, and its pieces add up', async () => {
    const { term } = terminal();
    const text = 'for f in *; do\n  echo "$f" ✓\r\ndone\n'.repeat(900); // about 30 KiB, two pieces
    const sent = () => preparePaste(text, term.modes.bracketedPasteMode);
    assert.equal(sent().startsWith('for f'), true);
    await write(term, `${ESC}[?2004h`);
    assert.equal(term.modes.bracketedPasteMode, true);
    const bracketed = sent();
    assert.equal(bracketed.startsWith(`${ESC}[200~for f`), true);
    assert.equal(bracketed.endsWith(`done\r${ESC}[201~`), true);
    assert.equal(bracketed.includes('\n'), false);
    const messages = encodePaste(7, bracketed).map((m) => JSON.parse(m));
    assert.ok(messages.length >= 2, `${messages.length} pieces`);
    for (const m of messages) {
        assert.deepEqual([m.type, m.id, m.total], ['paste', 7, utf8Length(bracketed)]);
        assert.ok(encoder.encode(JSON.stringify(m)).length < 64 * 1024);
    }
    assert.equal(messages.map((m) => m.data).join(''), bracketed);
    await write(term, `${ESC}[?2004l`);
    assert.equal(sent().startsWith('for f'), true);
});

test('a paste of nothing but escapes stays under the message limit in the page\'s pieces', () => {
    const escapes = '\x1b'.repeat(64 * 1024);
    const messages = encodePaste(1, escapes, 8 * 1024);
    assert.equal(messages.length, 8);
    for (const m of messages)
        assert.ok(encoder.encode(m).length < 64 * 1024, `${encoder.encode(m).length} bytes`);
    // Nor does the protocol's default piece (8 KiB): JSON makes each escape six bytes, and 16 KiB
    // of them would not fit.
    assert.ok(encoder.encode(encodePaste(1, escapes)[0]).length < 64 * 1024);
    assert.ok(encoder.encode(encodePaste(1, escapes, 16 * 1024)[0]).length > 64 * 1024);
});

test('the key bar\'s arrows follow the program\'s cursor-key mode', async () => {
    const { term } = terminal();
    const up = () => keyBytes(BarKey.UP, { applicationCursor: term.modes.applicationCursorKeysMode });
    assert.equal(up(), `${ESC}[A`);
    await write(term, `${ESC}[?1h`); // DECCKM, as less, vim and readline's keypad mode set it
    assert.equal(up(), `${ESC}OA`);
    await write(term, `${ESC}c`); // a reset ends it
    assert.equal(up(), `${ESC}[A`);
});
