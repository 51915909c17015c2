// The replay page and "search all history", in real Chromium against a real server recording a
// real pty (record = on, record-input = on, a 16 KiB history): a session with text at known
// times, an operator joining (a marker) and typing, then enough output to push the start out of
// the history. Played back, the text comes in order; a paused replay holds its screen; a chapter
// (the join) and "go to time" show the screen as it stood then; the range downloads as an
// asciicast v2 file that `asciinema cat` plays and as text with a time on every line; the find
// bar's "search all history" finds a line long gone from the history, with its time, and opens
// the replay there; a viewer's replay has no recorded input. Takes replay.png
// (docs/images/replay.png).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';

import {
    SERVER, cleanup, controlledSource, launchPeople, screenshot, startServer, tempDir, waitFor,
    waitForState,
} from './lib/harness.mjs';

const ALPHA = 'first screen: ALPHA 1111';
const BRAVO = 'second screen: BRAVO 2222';
const CHARLIE = 'third line: CHARLIE 3333';
const DELTA = 'last screen: DELTA 4444';
const TYPED = 'typed-secret-42';
const PASSWORD = 'correct horse battery staple';

let source;
let server;
let people;
let logDir;
const tokens = {};
const at = {}; // when the test wrote each text, ms since the epoch
let operator; // {context, page}
let viewer;

function passwordHashLine() {
    return execFileSync(SERVER, ['--hash-password'], { input: PASSWORD }).toString().trim();
}

// The server's login form, then the console's page: the session cookie goes with every request
// of the page, downloads included.
async function logIn(page, user) {
    await page.goto(`${server.base}login?next=c/vm1/`);
    await page.fill('#user', user);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
}

function newToken() {
    const out = execFileSync(SERVER, ['--new-token']).toString();
    return { token: /token: (\S+)/.exec(out)[1], hashLine: /token-hash = \S+/.exec(out)[0] };
}

async function get(urlPath, who = 'ops') {
    const response = await fetch(new URL(urlPath, server.base), {
        headers: { Authorization: `Bearer ${tokens[who].token}` },
    });
    return { status: response.status, headers: response.headers, body: await response.text() };
}

const iso = (ms) => new Date(ms).toISOString();

function rangeQuery(fromMs = at.start - 2000, toMs = Date.now() + 1000) {
    return `from=${encodeURIComponent(iso(fromMs))}&to=${encodeURIComponent(iso(toMs))}`;
}

// The lines of `n` bytes or so of boot noise.
function filler(bytes) {
    let text = '';
    for (let i = 0; text.length < bytes; i += 1)
        text += `[ ${String(i).padStart(6, '0')}] filler line of ordinary boot output, number ${i}\r\n`;
    return text;
}

before(async () => {
    tokens.ops = newToken();
    tokens.watcher = newToken();
    const hash = passwordHashLine();
    logDir = tempDir('cc-replay-');
    source = controlledSource({ banner: '' });
    server = await startServer({
        config: `[console vm1]
source = exec:${source.exec}
history-size = 16K
log = ${path.join(logDir, 'vm1.log')}
record = on
record-input = on

[user alice]
${hash}
role = operator

[user victor]
${hash}
role = viewer

[token ops]
${tokens.ops.hashLine}
role = operator

[token watcher]
${tokens.watcher.hashLine}
role = viewer
`,
    });
    people = await launchPeople();
    operator = await people.newPage({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
    viewer = await people.newPage({ viewport: { width: 1280, height: 720 } });
    await logIn(operator.page, 'alice');
    await operator.page.goto('about:blank');
    await logIn(viewer.page, 'victor');
    await viewer.page.goto('about:blank');

    // The session: text at known times, a client joining (a marker), typing, and then enough
    // output to push all of it out of the 16 KiB history.
    await sleep(300);
    at.start = Date.now();
    source.write(`${ALPHA}\r\n`);
    at.alpha = Date.now();
    await sleep(1200);
    at.join = Date.now();
    await operator.page.goto(`${server.base}c/vm1/?focus=0`);
    await waitForState(operator.page, 'connected');
    await sleep(600);
    source.write(`\x1b[2J\x1b[H${BRAVO}\r\n`);
    at.bravo = Date.now();
    await operator.page.click('#terminal');
    await operator.page.keyboard.type(TYPED);
    await waitFor(() => source.inputBytes().toString().includes(TYPED), 'the typed text to reach the console');
    await sleep(1200);
    source.write(`${CHARLIE}\r\n`);
    at.charlie = Date.now();
    await sleep(1600);
    source.write(filler(64 * 1024));
    await sleep(300);
    source.write(`\x1b[2J\x1b[H${DELTA}\r\n`);
    at.delta = Date.now();
    // Recorded: the replay's events hold the last text.
    await waitFor(async () => (await get(`c/vm1/replay/events?${rangeQuery()}`)).body.includes('DELTA 4444'),
                  'the recording to hold the last text');
});
after(cleanup);

async function openReplay(page, query) {
    await page.goto('about:blank');
    await page.goto(`${server.base}c/vm1/replay?${query}`);
    await waitFor(() => page.evaluate(() => window.cloudReplay?.loaded && window.cloudReplay.state.idle),
                  'the replay to load');
    await page.evaluate(() => window.cloudReplay.settled());
}

const replayState = (page) => page.evaluate(() => window.cloudReplay.state);
const visible = (page) => page.evaluate(() => window.cloudReplay.visibleText());

test('the replay plays the session in order, and a paused replay holds its screen', async () => {
    const { page } = operator;
    await openReplay(page, rangeQuery(at.start - 1000, at.charlie + 1000));
    const state = await replayState(page);
    assert.equal(state.playing, false);
    assert.equal(state.position, 0);
    assert.ok(!(await visible(page)).includes('ALPHA'), 'nothing yet at the start');
    const range = await page.evaluate(() => window.cloudReplay.range);
    assert.equal(range.source, 'recording');
    assert.equal(range.input, true, 'an operator is given recorded input');

    await page.selectOption('#speed', '2');
    await page.click('#play');
    const seen = [];
    await waitFor(async () => {
        const text = await visible(page);
        for (const word of ['ALPHA', 'BRAVO', 'CHARLIE']) {
            if (text.includes(word) && !seen.includes(word))
                seen.push(word);
        }
        return seen.includes('CHARLIE');
    }, 'the replay to reach CHARLIE', 20000);
    assert.deepEqual(seen, ['ALPHA', 'BRAVO', 'CHARLIE'], 'the texts came in the order they were written');

    // Pause: the position and the screen stay as they are.
    await openReplay(page, rangeQuery(at.start - 1000, at.charlie + 1000));
    await page.click('#play');
    await waitFor(async () => (await visible(page)).includes('ALPHA'), 'ALPHA while playing');
    await page.click('#play');
    const paused = await replayState(page);
    assert.equal(paused.playing, false);
    await page.evaluate(() => window.cloudReplay.settled());
    const screen = await visible(page);
    await sleep(2500); // BRAVO came 1.8 s after ALPHA
    assert.equal((await replayState(page)).position, paused.position, 'the position holds');
    assert.equal(await visible(page), screen, 'the screen holds');
    assert.ok(!screen.includes('BRAVO'), 'a paused replay shows the screen at its time, not later');
});

test('a chapter (a client joining) and "go to time" show the screen as it stood then', async () => {
    const { page } = operator;
    await openReplay(page, rangeQuery());
    const chapters = await page.evaluate(() => window.cloudReplay.chapters());
    const { fromMs } = await replayState(page);
    // The operator's page joining after ALPHA (logging in joined once before the session).
    const join = chapters.find((c) => c.kind === 'join' && c.label.includes('alice (operator)')
                               && fromMs + c.t > at.alpha);
    assert.ok(join, `a chapter for the operator joining: ${JSON.stringify(chapters)}`);
    const joinMs = fromMs + join.t;
    assert.ok(Math.abs(joinMs - at.join) < 3000, `the join at ${iso(joinMs)}, opened at ${iso(at.join)}`);
    const labels = await page.$$eval('#chapter-list .chapter .label', (els) => els.map((e) => e.textContent));
    assert.ok(labels.some((l) => l.startsWith('client joined: alice (operator)')), labels.join('\n'));
    assert.ok(await page.$('#ticks .tick[data-kind="join"]'), 'a tick on the timeline');

    // The screen at the join: ALPHA, and not yet the cleared screen with BRAVO.
    await page.click(`#chapter-list .chapter[data-t="${join.t}"]`);
    await page.evaluate(() => window.cloudReplay.settled());
    let text = await visible(page);
    assert.ok(text.includes(ALPHA), text);
    assert.ok(!text.includes('BRAVO'), text);
    assert.equal(await page.getAttribute(`#chapter-list .chapter[data-t="${join.t}"]`, 'aria-current'), 'true');
    await screenshot(page, 'replay.png');

    // Go to the second after CHARLIE arrived (as the recording has it): BRAVO and CHARLIE, not
    // the filler that came 1.6 s later.
    const range = await page.evaluate(() => window.cloudReplay.range);
    const charlie = range.events.find((e) => e[1] === 'o' && e[2].includes('CHARLIE'));
    const charlieMs = range.fromMs + charlie[0];
    const target = Math.ceil((charlieMs + 1) / 1000) * 1000;
    const clock = await page.evaluate((ms) => {
        const d = new Date(ms);
        return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
    }, target);
    await page.fill('#goto-time', clock);
    await page.click('#goto-form button[type="submit"]');
    await waitFor(async () => (await replayState(page)).clock === iso(target), `the clock at ${iso(target)}`);
    await page.evaluate(() => window.cloudReplay.settled());
    text = await visible(page);
    assert.ok(text.includes(BRAVO) && text.includes(CHARLIE), text);
    assert.ok(!text.includes('filler'), text);
    assert.equal(await page.textContent('#clock'), clock);

    // Seeking to the end: the last screen, DELTA alone.
    await page.evaluate(() => window.cloudReplay.seek(1e12));
    await page.evaluate(() => window.cloudReplay.settled());
    text = await visible(page);
    assert.ok(text.includes(DELTA) && !text.includes('CHARLIE'), text);
});

test('the range downloads as asciicast v2 (asciinema cat plays it) and as text with times', async () => {
    const { page } = operator;
    await openReplay(page, rangeQuery(at.start - 1000, at.charlie + 1000));
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-cast')]);
    assert.match(download.suggestedFilename(), /^vm1-\d{8}-\d{6}\.cast$/);
    const file = path.join(tempDir('cc-download-'), download.suggestedFilename());
    await download.saveAs(file);
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    const header = JSON.parse(lines[0]);
    assert.equal(header.version, 2);
    assert.ok(header.width > 0 && header.height > 0 && header.timestamp > 0, lines[0]);
    assert.equal(header.title, 'vm1');
    let last = 0;
    for (const line of lines.slice(1)) {
        const [t, code, data] = JSON.parse(line);
        assert.ok(typeof t === 'number' && t >= last, line);
        assert.ok(['o', 'i', 'r', 'm'].includes(code) && typeof data === 'string', line);
        last = t;
    }
    const events = lines.slice(1).map((line) => JSON.parse(line));
    const typed = events.filter((e) => e[1] === 'i').map((e) => e[2]).join('');
    const output = events.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
    assert.ok(output.includes(ALPHA) && output.includes(CHARLIE), output);
    assert.ok(typed.includes(TYPED), `the operator gets input: ${typed}`);
    const cat = spawnSync('script', ['-qec', `asciinema cat '${file}'`, '/dev/null'], { timeout: 30000 });
    if (cat.error?.code === 'ENOENT' || /not found/.test(String(cat.stdout)))
        console.log('asciinema is not installed: not played');
    else {
        assert.equal(cat.status, 0, String(cat.stdout));
        assert.ok(String(cat.stdout).includes(CHARLIE), String(cat.stdout).slice(-500));
    }

    const text = await get(`c/vm1/replay/download?${rangeQuery(at.start - 1000, at.charlie + 1000)}&format=text`);
    assert.equal(text.status, 200);
    assert.match(text.headers.get('content-disposition'), /attachment; filename="vm1-\d{8}-\d{6}\.txt"/);
    const textLines = text.body.trimEnd().split('\n');
    for (const line of textLines)
        assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}/, line);
    const alphaLine = textLines.find((l) => l.endsWith(ALPHA));
    assert.ok(alphaLine, text.body);
    const alphaMs = Date.parse(alphaLine.slice(0, 24));
    assert.ok(Math.abs(alphaMs - at.alpha) < 1000, `${alphaLine}: written at ${iso(at.alpha)}`);
    assert.ok(textLines.some((l) => l.includes('-- client joined: alice (operator)')), text.body);
    assert.ok(!text.body.includes(TYPED), 'no input in the text');

    const bad = await get(`c/vm1/replay/download?${rangeQuery()}&format=pdf`);
    assert.equal(bad.status, 400);
    assert.match(bad.body, /format must be cast or text/);
    const reversed = await get(`c/vm1/replay/events?${rangeQuery(at.delta, at.start)}`);
    assert.equal(reversed.status, 400);
    assert.match(reversed.body, /is after to/);
});

test('search all history finds a line long gone from the history, and opens the replay there', async () => {
    const { page, context } = operator;
    await page.goto('about:blank');
    await page.goto(`${server.base}c/vm1/?focus=0`);
    await waitForState(page, 'connected');
    await waitFor(() => page.evaluate(() => window.cloudConsole.bufferText().includes('DELTA')), 'the page to draw');
    assert.ok(!(await page.evaluate(() => window.cloudConsole.bufferText())).includes('ALPHA'),
              'ALPHA has left the history');

    await page.click('#find-button');
    await page.fill('#find-input', 'ALPHA 1111');
    await page.click('#find-all');
    await waitFor(async () => (await page.$$eval('#find-results-items .result', (els) => els.length)) === 1
                  || `not yet: ${await page.textContent('#find-results-note')}` === '', 'one result');
    const note = await page.textContent('#find-results-note');
    assert.match(note, /^1 line in 1 file/);
    const result = await page.$eval('#find-results-items .result', (a) => ({
        href: a.getAttribute('href'),
        time: a.querySelector('time').dateTime,
        line: a.querySelector('.line').textContent,
    }));
    assert.equal(result.line, ALPHA);
    const resultMs = Date.parse(result.time);
    assert.ok(resultMs <= at.alpha + 500 && at.alpha - resultMs < 1500,
              `the time ${result.time}, written at ${iso(at.alpha)}`);
    assert.match(result.href, /^replay\?t=/);

    const [replay] = await Promise.all([context.waitForEvent('page'), page.click('#find-results-items .result')]);
    await replay.waitForLoadState();
    await waitFor(() => replay.evaluate(() => window.cloudReplay?.loaded && window.cloudReplay.state.idle),
                  'the replay to open');
    await replay.evaluate(() => window.cloudReplay.settled());
    assert.ok((await visible(replay)).includes(ALPHA), await visible(replay));
    const state = await replayState(replay);
    assert.equal(state.playing, false);
    assert.ok(Date.parse(state.clock) >= resultMs && Date.parse(state.clock) - resultMs < 2500,
              `opened at ${state.clock}, the result at ${result.time}`);
    await replay.close();
});

test('a viewer replays without the recorded input, and the page says so', async () => {
    const asViewer = JSON.parse((await get(`c/vm1/replay/events?${rangeQuery()}`, 'watcher')).body);
    assert.equal(asViewer.input, false);
    assert.ok(asViewer.events.length > 0);
    assert.ok(!asViewer.events.some((e) => e[1] === 'i'), 'no "i" events');
    assert.ok(!asViewer.events.some((e) => e[1] === 'm' && e[2].startsWith('input by ')), 'no input markers');
    assert.ok(!JSON.stringify(asViewer).includes(TYPED));
    const asOperator = JSON.parse((await get(`c/vm1/replay/events?${rangeQuery()}`)).body);
    assert.ok(asOperator.events.filter((e) => e[1] === 'i').map((e) => e[2]).join('').includes(TYPED),
              'the operator sees it');
    assert.ok(asOperator.events.some((e) => e[1] === 'm' && e[2].startsWith('input by alice (operator)')));
    const cast = await get(`c/vm1/replay/download?${rangeQuery()}&format=cast`, 'watcher');
    assert.equal(cast.status, 200);
    assert.ok(!cast.body.split('\n').slice(1).some((line) => line.startsWith('[') && JSON.parse(line)[1] === 'i'));
    assert.ok(!cast.body.includes('input by '));

    const { page } = viewer;
    await openReplay(page, rangeQuery());
    const range = await page.evaluate(() => window.cloudReplay.range);
    assert.equal(range.input, false);
    assert.ok(!range.events.some((e) => e[1] === 'i'));
    // Each replay is logged with who asked.
    await waitFor(() => /vm1 .* replayed by watcher \(viewer\) from .* \(without input\)/.test(server.output)
                  && /vm1 .* replayed by victor \(viewer\) from .* \(without input\)/.test(server.output),
                  'the log line of the viewer\'s replay');
});
