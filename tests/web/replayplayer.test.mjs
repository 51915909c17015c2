// The replay page's player (replayplayer.js) on the real xterm.js in node, with a clock the test
// moves: seeking draws the server's screen at or before the moment and only the events after
// it; sizes apply in order with the output; playing writes the events it passes, at its speed,
// skipping idle stretches when asked; a paused player writes nothing; advanceUntil stops at the
// first moment a test holds. And the DOM-free parts of "search all history" (find.js) and the
// replay page's address (replay.js's helpers are tested through the browser test).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '../../resources/web');
const require = createRequire(path.join(web, 'package.json'));
const { Terminal } = require('@xterm/xterm');
const load = (name) => import(pathToFileURL(path.join(web, 'src', name)).href);
const { IDLE_LIMIT_MS, Player, ReplayRange, chapterKind, parseSize } = await load('replayplayer.js');
const { historyNote, replayLink } = await load('find.js');

function screenText(term) {
    const buffer = term.buffer.active;
    const lines = [];
    for (let y = buffer.viewportY; y < buffer.viewportY + term.rows; y += 1)
        lines.push(buffer.getLine(y).translateToString(true));
    return lines.join('\n').trimEnd();
}

// A player on a real terminal, with a clock and frames the test drives.
function player() {
    const term = new Terminal({ cols: 80, rows: 24, allowProposedApi: true, scrollback: 100 });
    let now = 0;
    const frames = [];
    const p = new Player(term, { now: () => now, schedule: (fn) => frames.push(fn) });
    return {
        term,
        p,
        // Moves the clock by ms and runs the frame waiting.
        async advance(ms) {
            now += ms;
            const frame = frames.shift();
            frame?.();
            await p.settled();
        },
        get frames() { return frames.length; },
    };
}

// Three output events, a resize between, and a server screen after the second output that
// draws something the events do not: a seek past it must start from it.
const DATA = {
    fromMs: 1_700_000_000_000,
    toMs: 1_700_000_010_000,
    cols: 80,
    rows: 24,
    truncated: false,
    screens: [
        { t: 0, event: 0, cols: 80, rows: 24, data: '\x1bcstart screen\r\n' },
        { t: 2000, event: 2, cols: 80, rows: 24, data: '\x1bcFROM THE SERVER SCREEN\r\n' },
    ],
    events: [
        [1000, 'o', 'one\r\n'],
        [2000, 'o', 'two\r\n'],
        [2500, 'm', 'client joined: alice (operator) from 10.0.0.5:4000'],
        [3000, 'r', '100x30'],
        [3000, 'o', 'three\r\n'],
        [9000, 'o', 'nine\r\n'],
    ],
};

test('chapters are the markers and sizes, each of its kind', () => {
    const range = new ReplayRange(DATA);
    assert.equal(range.duration, 10000);
    assert.deepEqual(range.chapters(), [
        { t: 2500, label: 'client joined: alice (operator) from 10.0.0.5:4000', kind: 'join', event: 2 },
        { t: 3000, label: 'size 100x30', kind: 'resize', event: 3 },
    ]);
    assert.equal(chapterKind('source down: end of file'), 'source-down');
    assert.equal(chapterKind('alert kernel-panic (critical): Kernel panic'), 'alert-critical');
    assert.equal(chapterKind('alert login-prompt (info): vm1 login:'), 'alert-info');
    assert.equal(chapterKind('break by alice (operator) from 10.0.0.5:4000'), 'break');
    assert.equal(chapterKind('512 bytes not recorded here (the recording did not keep up)'), 'gap');
    assert.equal(chapterKind('control {"holder":"alice"}'), 'keyboard');
    assert.equal(chapterKind('something else'), 'other');
    assert.deepEqual(parseSize('132x43'), { cols: 132, rows: 43 });
    assert.equal(parseSize('0x10'), null);
    assert.equal(parseSize('80 x 24'), null);
    assert.equal(range.eventsUntil(-1), 0);
    assert.equal(range.eventsUntil(2000), 2);
    assert.equal(range.eventsUntil(3000), 5);
    assert.equal(range.screenFor(1).event, 0);
    assert.equal(range.screenFor(5).event, 2);
    assert.equal(range.nextEventAfter(3000), 9000);
    assert.equal(range.nextEventAfter(9000), null);
});

test('a seek draws the server\'s screen at or before the moment, then the events after it', async () => {
    const { term, p } = player();
    await p.load(new ReplayRange(DATA));
    assert.equal(screenText(term), 'start screen');
    await p.seek(1500);
    assert.equal(screenText(term), 'start screen\none');
    // Past the second screen: drawn from it, not from "one" and "two".
    await p.seek(2600);
    assert.equal(screenText(term), 'FROM THE SERVER SCREEN');
    await p.seek(3000);
    assert.equal(screenText(term), 'FROM THE SERVER SCREEN\nthree');
    assert.deepEqual([term.cols, term.rows], [100, 30], 'the size in force');
    // Back before the resize: the size the screen had.
    await p.seek(1000);
    assert.deepEqual([term.cols, term.rows], [80, 24]);
    assert.equal(screenText(term), 'start screen\none');
    // Out of the range: its ends.
    await p.seek(1e9);
    assert.equal(p.position, 10000);
    assert.ok(screenText(term).endsWith('three\nnine'));
    assert.equal(p.idle, true);
});

test('playing writes what it passes at its speed; paused, nothing moves', async () => {
    const t = player();
    const { term, p } = t;
    await p.load(new ReplayRange(DATA));
    p.setSpeed(2);
    p.play();
    await t.advance(400); // 800 ms of the range
    assert.equal(p.position, 800);
    assert.equal(screenText(term), 'start screen');
    await t.advance(200); // 1200
    assert.equal(screenText(term), 'start screen\none');
    p.pause();
    assert.equal(t.frames, 1, 'a frame was asked for before the pause');
    await t.advance(5000);
    assert.equal(p.position, 1200, 'a paused player stays');
    assert.equal(screenText(term), 'start screen\none');
    assert.equal(t.frames, 0, 'and asks for no more frames');

    // Skipping idle: from 3 s to 9 s takes IDLE_LIMIT_MS, not 6 s.
    await p.seek(3000);
    p.setSpeed(1);
    p.setSkipIdle(true);
    p.play();
    await t.advance(16);
    assert.equal(p.position, 9000 - IDLE_LIMIT_MS);
    await t.advance(IDLE_LIMIT_MS);
    assert.equal(p.position, 9000);
    assert.ok(screenText(term).endsWith('three\nnine'));
    // At the end it stops; play again starts over.
    await t.advance(5000);
    assert.equal(p.position, 10000);
    assert.equal(p.playing, false);
    p.play();
    assert.equal(p.position, 0);
    p.pause();
});

test('advanceUntil moves on to the moment a line shows, within its bound', async () => {
    const { term, p } = player();
    await p.load(new ReplayRange(DATA), 1500);
    assert.equal(await p.advanceUntil(() => screenText(term).includes('three'), 2000), true);
    assert.equal(p.position, 3000);
    await p.seek(3500);
    assert.equal(await p.advanceUntil(() => screenText(term).includes('nine'), 2000), false,
                 'nine comes 5.5 s later');
    assert.equal(p.position, 3500);
});

test('a search result links to the replay at its moment', () => {
    assert.equal(replayLink('', { time: '2024-05-01T03:12:44.120Z', line: '  Kernel panic -  not syncing ' }),
                 'replay?t=2024-05-01T03%3A12%3A44.120Z&find=Kernel%20panic%20-%20not%20syncing');
    assert.equal(replayLink('c/vm%201/', { time: null, line: '' }), 'c/vm%201/replay');
    const answer = (n, stoppedBy = null) => ({ results: Array(n).fill({}), stoppedBy, files: ['a', 'b'] });
    assert.equal(historyNote(answer(1)), '1 line in 2 files');
    assert.equal(historyNote(answer(0)), 'not found in 2 files (case-sensitive)');
    assert.equal(historyNote(answer(100, 'limit')), 'the first 100 lines found in 2 files');
    assert.equal(historyNote(answer(3, 'time')), '3 lines found before the time limit, in 2 files');
});
