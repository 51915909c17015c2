// The replay page (/c/NAME/replay): a time range of the console played in the page's own
// xterm.js terminal, with play and pause, speed, skip idle, a timeline with the markers as
// chapters, going to a time of day, and the range as a .cast or text download.
//
// The page learns what to show from its address (replayAddress()): ?from=&to= (a range),
// ?t= or #t= (a moment: opened paused there, in a range around it) and &find=TEXT (the moment
// a search result names: moved on until that text shows, since the time index knows a line's
// time to within a second). The player (replayplayer.js) does the playing; this file wires the
// controls, the range's loading and window.cloudReplay for tests.

import '@xterm/xterm/css/xterm.css';
import './replay.css';

import { Notices } from './notice.js';
import { consoleNameFromPath } from './page.js';
import { Player, ReplayRange, SPEEDS } from './replayplayer.js';
import { Settings } from './settings.js';
import { TerminalView } from './terminal.js';

const $ = (id) => document.getElementById(id);

// Around a moment, when the address gives no range.
const AROUND_MOMENT_MS = 10 * 60 * 1000;
const DEFAULT_SPAN_MS = 60 * 60 * 1000;
// How far past a search result's time its line may arrive (the index's resolution, and some).
const FIND_WITHIN_MS = 2500;

// A time from the address: ISO 8601, or seconds since the epoch. Milliseconds, or null.
export function parseTime(text) {
    if (text === null || text === undefined || text === '')
        return null;
    if (/^\d+(\.\d+)?$/.test(text))
        return Math.round(Number(text) * 1000);
    const ms = Date.parse(text);
    return Number.isFinite(ms) ? ms : null;
}

// What the address asks for: {fromMs, toMs, atMs, find, defaulted}.
export function replayAddress(search, hash, nowMs) {
    const query = new URLSearchParams(search);
    const fragment = new URLSearchParams(String(hash).replace(/^#/, ''));
    const atMs = parseTime(fragment.get('t')) ?? parseTime(query.get('t'));
    let fromMs = parseTime(query.get('from'));
    let toMs = parseTime(query.get('to'));
    const defaulted = fromMs === null && toMs === null && atMs === null;
    if (atMs !== null) {
        fromMs ??= atMs - AROUND_MOMENT_MS;
        toMs ??= Math.min(nowMs, atMs + AROUND_MOMENT_MS);
    }
    toMs ??= nowMs;
    fromMs ??= toMs - DEFAULT_SPAN_MS;
    if (toMs < fromMs)
        toMs = fromMs;
    return { fromMs, toMs, atMs, find: query.get('find') || null, defaulted };
}

const pad = (n, width = 2) => String(n).padStart(width, '0');

// "HH:MM:SS" in local time.
export function clockText(ms) {
    const d = new Date(ms);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// The value of an <input type="datetime-local"> for ms.
function localInput(ms) {
    const d = new Date(ms);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${clockText(ms)}`;
}

// "HH:MM[:SS]" as the first such time of day at or after fromMs, or null.
export function timeOfDay(text, fromMs) {
    const match = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
    if (!match)
        return null;
    const d = new Date(fromMs);
    d.setHours(Number(match[1]), Number(match[2]), Number(match[3] ?? 0), 0);
    let ms = d.getTime();
    if (ms < fromMs - 1000)
        ms += 24 * 3600 * 1000;
    return ms;
}

// Text as lines are compared: blanks as one space.
const comparable = (text) => String(text).replace(/\s+/g, ' ').trim();

function storage() {
    try {
        return window.localStorage;
    } catch (e) {
        return null;
    }
}

const settings = new Settings(location.search, storage(),
                              window.matchMedia?.('(prefers-color-scheme: light)').matches);
document.documentElement.dataset.theme = settings.get('theme');
const view = new TerminalView($('terminal'), settings, { log: (t) => console.info(`cloud-console replay: ${t}`), onRendererChange() {} });
const term = view.term;
term.options.cursorBlink = false;
term.options.disableStdin = true;
const notices = new Notices($('notice'));
const name = consoleNameFromPath(location.pathname) || 'console';
$('console-name').textContent = name;
document.title = `${name} · replay · cloud-console`;

let range = null;
let address = replayAddress(location.search, location.hash, Date.now());
let loadError = null;
let loading = false;
const player = new Player(term, {
    onChange: () => render(),
    now: () => performance.now(),
    schedule: (fn) => requestAnimationFrame(fn),
});

for (const speed of SPEEDS) {
    const option = document.createElement('option');
    option.value = String(speed);
    option.textContent = `${speed}×`;
    option.selected = speed === 1;
    $('speed').append(option);
}

function query(fromMs, toMs) {
    return `from=${encodeURIComponent(new Date(fromMs).toISOString())}&to=${encodeURIComponent(new Date(toMs).toISOString())}`;
}

// Every event lies on the timeline's scale; a chapter is a tick and an item of the list.
function renderChapters() {
    const ticks = $('ticks');
    const list = $('chapter-list');
    ticks.replaceChildren();
    list.replaceChildren();
    const chapters = range ? range.chapters() : [];
    const duration = range?.duration || 1;
    for (const chapter of chapters) {
        const tick = document.createElement('span');
        tick.className = 'tick';
        tick.dataset.kind = chapter.kind;
        tick.style.left = `${(100 * chapter.t) / duration}%`;
        tick.title = `${clockText(range.clock(chapter.t))} ${chapter.label}`;
        tick.addEventListener('click', () => seek(chapter.t));
        ticks.append(tick);

        const item = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'chapter';
        button.dataset.kind = chapter.kind;
        button.dataset.t = String(chapter.t);
        const time = document.createElement('time');
        time.dateTime = new Date(range.clock(chapter.t)).toISOString();
        time.textContent = clockText(range.clock(chapter.t));
        const label = document.createElement('span');
        label.className = 'label';
        label.textContent = chapter.label;
        button.append(time, label);
        button.title = chapter.label;
        button.addEventListener('click', () => seek(chapter.t));
        item.append(button);
        list.append(item);
    }
    $('chapters-none').hidden = chapters.length > 0;
}

function render() {
    const playing = player.playing;
    $('play').textContent = playing ? '❚❚' : '▶';
    $('play').setAttribute('aria-label', playing ? 'Pause' : 'Play');
    $('play').title = playing ? 'Pause (space)' : 'Play (space)';
    document.body.dataset.playing = String(playing);
    if (!range)
        return;
    const timeline = $('timeline');
    if (document.activeElement !== timeline || !timeline.matches(':active'))
        timeline.value = String(Math.round(player.position));
    $('clock').textContent = clockText(range.clock(player.position));
    $('clock').dateTime = new Date(range.clock(player.position)).toISOString();
    // The chapter the position is in.
    let current = null;
    for (const button of document.querySelectorAll('#chapter-list .chapter')) {
        if (Number(button.dataset.t) <= player.position)
            current = button;
        button.removeAttribute('aria-current');
    }
    current?.setAttribute('aria-current', 'true');
}

function renderRange() {
    const data = range.data;
    $('range-from').value = localInput(range.fromMs);
    $('range-to').value = localInput(data.toMs);
    $('timeline').max = String(range.duration);
    $('timeline').value = '0';
    $('start-clock').textContent = clockText(range.fromMs);
    $('end-clock').textContent = clockText(range.toMs);
    const q = query(range.fromMs, data.toMs);
    $('download-cast').href = `replay/download?${q}&format=cast`;
    $('download-text').href = `replay/download?${q}&format=text`;
    const source = data.source === 'log' ? 'from the log (output only, times to within a second)'
        : data.source === 'recording' ? `from ${data.files.length} recording${data.files.length === 1 ? '' : 's'}`
            : 'nothing was recorded in this range';
    const output = data.events.filter((e) => e[1] === 'o').length;
    $('replay-status').textContent = `${new Date(range.fromMs).toLocaleDateString()} ${clockText(range.fromMs)} – ${clockText(data.toMs)}: ${data.events.length} events, ${source}`;
    $('replay-info').textContent = [
        data.input && data.events.some((e) => e[1] === 'i') ? 'with recorded input' : '',
        data.input ? '' : 'recorded input is shown to operators only',
        data.truncated ? `cut at ${clockText(data.endMs)} (too much output at once: load a shorter range)` : '',
        data.warning ? `warning: ${data.warning}` : '',
        `${output} output events`,
    ].filter(Boolean).join(' · ');
    renderChapters();
}

function seek(t) {
    const done = player.seek(t);
    rememberPosition();
    return done;
}

// The address says where the player stands, so a reload or a shared link opens there.
function rememberPosition() {
    if (!range)
        return;
    const url = new URL(location.href);
    url.searchParams.set('from', new Date(range.fromMs).toISOString());
    url.searchParams.set('to', new Date(range.data.toMs).toISOString());
    url.searchParams.delete('t');
    url.searchParams.delete('find');
    url.hash = `t=${new Date(range.clock(player.position)).toISOString()}`;
    history.replaceState(null, '', url);
}

async function load(fromMs, toMs, atMs, find) {
    loading = true;
    loadError = null;
    player.pause();
    $('replay-status').textContent = 'Loading…';
    try {
        const response = await fetch(`replay/events?${query(fromMs, toMs)}`, { credentials: 'same-origin' });
        if (!response.ok) {
            const why = (await response.text()).trim();
            throw new Error(`${response.status}: ${why || response.statusText}`);
        }
        range = new ReplayRange(await response.json());
        renderRange();
        let position = 0;
        if (atMs !== null)
            position = atMs - range.fromMs;
        else if (address.defaulted && range.events.length)
            position = Math.max(0, range.events[0][0] - 500); // where the console last said something
        await player.load(range, position);
        if (find) {
            const needle = comparable(find).slice(0, 60);
            const found = await player.advanceUntil(() => comparable(view.visibleText()).includes(needle)
                || view.visibleText().split('\n').some((line) => comparable(line).includes(needle)), FIND_WITHIN_MS);
            if (!found)
                notices.show(`"${needle}" is not on the screen at this moment`, 'info');
        }
        rememberPosition();
    } catch (e) {
        loadError = e.message;
        range = null;
        $('replay-status').textContent = `Cannot load the replay: ${e.message}`;
        notices.show(`Cannot load the replay: ${e.message}`, 'error');
    } finally {
        loading = false;
        render();
    }
}

// Play or pause; a pause leaves its moment in the address.
function toggle() {
    player.toggle();
    if (!player.playing)
        rememberPosition();
}

$('play').addEventListener('click', toggle);
$('speed').addEventListener('change', () => player.setSpeed(Number($('speed').value)));
$('skip-idle').addEventListener('change', () => player.setSkipIdle($('skip-idle').checked));
$('timeline').addEventListener('input', () => seek(Number($('timeline').value)));
$('goto-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (!range)
        return;
    const ms = timeOfDay($('goto-time').value, range.fromMs);
    if (ms === null || ms < range.fromMs || ms > range.toMs) {
        notices.show(`Go to: a time from ${clockText(range.fromMs)} to ${clockText(range.toMs)}`, 'warning');
        return;
    }
    seek(ms - range.fromMs);
});
$('range-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const fromMs = Date.parse($('range-from').value);
    const toMs = Date.parse($('range-to').value);
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs) {
        notices.show('The range needs a start before its end', 'warning');
        return;
    }
    address = { fromMs, toMs, atMs: null, find: null, defaulted: false };
    load(fromMs, toMs, null, null);
});
document.addEventListener('keydown', (event) => {
    if (event.target.closest?.('input, select, textarea, form') && event.target !== $('timeline'))
        return;
    if (event.key === ' ' && !event.target.closest?.('button')) {
        event.preventDefault();
        toggle();
    } else if ((event.key === 'ArrowLeft' || event.key === 'ArrowRight') && event.target !== $('timeline')) {
        event.preventDefault();
        seek(player.position + (event.key === 'ArrowLeft' ? -5000 : 5000));
    }
});
window.addEventListener('hashchange', () => {
    const atMs = parseTime(new URLSearchParams(location.hash.slice(1)).get('t'));
    if (range && atMs !== null && atMs >= range.fromMs && atMs <= range.toMs
        && Math.abs(range.clock(player.position) - atMs) > 1)
        seek(atMs - range.fromMs);
});

// For tests and tools (docs/web.md).
window.cloudReplay = {
    get loaded() { return range !== null && !loading; },
    get error() { return loadError; },
    get state() {
        return {
            playing: player.playing,
            position: player.position,
            clock: range ? new Date(range.clock(player.position)).toISOString() : null,
            speed: player.speed,
            skipIdle: player.skipIdle,
            applied: player.applied,
            idle: player.idle,
            fromMs: range?.fromMs ?? null,
            toMs: range?.toMs ?? null,
        };
    },
    get range() { return range?.data ?? null; },
    chapters: () => range?.chapters() ?? [],
    settled: () => player.settled(),
    seek: (t) => seek(t),
    play: () => player.play(),
    pause: () => player.pause(),
    terminal: term,
    visibleText: () => view.visibleText(),
    bufferText: () => view.bufferText(),
};

render();
load(address.fromMs, address.toMs, address.atMs, address.find);
