// The page's declaration of protocol v1 (resources/web/src/protocol.js) and its settings
// (settings.js), run in node: decoding with validation, encoding, URLs, query overrides.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.resolve(here, '../../resources/web/src');
const protocol = await import(pathToFileURL(path.join(src, 'protocol.js')).href);
const { Settings } = await import(pathToFileURL(path.join(src, 'settings.js')).href);

const hello = {
    type: 'hello', protocol: 1, console: 'vm1', offset: 1048576, epoch: '6f1c2a9e03b4d7c1',
    history: { start: 1048576, end: 1310720 }, writable: true,
    source: { state: 'up', reason: '/dev/pts/3' },
    capabilities: { resize: false, break: false }, size: { cols: 80, rows: 24 },
    server: 'cloud-console/0.1.0',
};

const screen = {
    type: 'screen', offset: 5242880, cols: 80, rows: 24, complete: true,
    data: '\x1bc\x1b]2;top\x07\x1b[?1049h\x1b[1;1Htop - 12:03:14 up 3 days',
};

function decoded(message) {
    return protocol.decodeServerMessage(typeof message === 'string' ? message : JSON.stringify(message));
}

test('decodes the server messages of docs/protocol.md', () => {
    const h = protocol.decodeServerMessage(JSON.stringify(hello));
    assert.deepEqual(h.message, hello);
    assert.deepEqual(protocol.decodeServerMessage('{"type":"source","state":"down","reason":"end of file"}').message,
                     { type: 'source', state: 'down', reason: 'end of file' });
    assert.deepEqual(protocol.decodeServerMessage('{"type":"gap","from":5000,"to":1048576}').message,
                     { type: 'gap', from: 5000, to: 1048576 });
    assert.deepEqual(protocol.decodeServerMessage('{"type":"error","code":"bad-json","message":"x"}').message,
                     { type: 'error', code: 'bad-json', message: 'x' });
    assert.deepEqual(protocol.decodeServerMessage('{"type":"pong","data":42}').message,
                     { type: 'pong', data: 42 });
    assert.deepEqual(protocol.decodeServerMessage('{"type":"size","cols":120,"rows":40}').message,
                     { type: 'size', cols: 120, rows: 40 });
    assert.deepEqual(decoded(screen).message, screen);
    const alert = {
        type: 'alert', rule: 'kernel-panic', severity: 'critical',
        line: '[   31.004503] Kernel panic - not syncing: sysrq triggered crash',
        time: '2026-12-05T03:07:02.123Z', offset: 20480,
    };
    assert.deepEqual(decoded(alert).message, alert);
});

test('hello: the console\'s size, 80x24 from a server that names none', () => {
    const old = { ...hello };
    delete old.size;
    assert.deepEqual(decoded(old).message.size, { cols: 80, rows: 24 });
    const wide = decoded({ ...hello, size: { cols: 1000, rows: 1 } }).message;
    assert.deepEqual(wide.size, { cols: 1000, rows: 1 });
    for (const size of [{ cols: 0, rows: 24 }, { cols: 80, rows: 1001 }, { cols: 80.5, rows: 24 },
                        { cols: '80', rows: 24 }, { cols: 80 }, [80, 24], null, 'big']) {
        const result = decoded({ ...hello, size });
        assert.equal(result.error?.code, 'bad-message', `size ${JSON.stringify(size)}`);
        assert.match(result.error.message, /^hello: /);
    }
});

test('size: cols and rows from 1 to 1000', () => {
    const good = [[1, 1], [1000, 1000], [80, 24], [132, 43]];
    for (const [cols, rows] of good)
        assert.deepEqual(decoded({ type: 'size', cols, rows }).message, { type: 'size', cols, rows });
    const invalid = [
        { cols: 0, rows: 24 }, { cols: 80, rows: 0 }, { cols: 1001, rows: 24 }, { cols: 80, rows: 1001 },
        { cols: -80, rows: 24 }, { cols: 80.5, rows: 24 }, { cols: 1e300, rows: 24 },
        { cols: '80', rows: '24' }, { cols: 80 }, { rows: 24 }, {}, { cols: null, rows: 24 },
    ];
    for (const fields of invalid) {
        const result = decoded({ type: 'size', ...fields });
        assert.equal(result.error?.code, 'bad-message', JSON.stringify(fields));
        assert.match(result.error.message, /^size: "(cols|rows)" must be an integer from 1 to 1000$/);
    }
});

test('screen: offset, size, data, and complete (true unless it says false)', () => {
    const incomplete = decoded({ ...screen, complete: false }).message;
    assert.equal(incomplete.complete, false);
    const noComplete = { ...screen };
    delete noComplete.complete;
    assert.equal(decoded(noComplete).message.complete, true);
    assert.equal(decoded({ ...screen, data: '' }).message.data, '');
    assert.equal(decoded({ ...screen, offset: 0 }).message.offset, 0);
    assert.equal(decoded({ ...screen, offset: 2 ** 53 - 1 }).message.offset, 2 ** 53 - 1);
    // Non-ASCII text and escapes survive JSON as they are.
    assert.equal(decoded({ ...screen, data: '\x1bch\u00e9llo \u2713 \u65e5\u672c' }).message.data,
                 '\x1bchéllo ✓ 日本');
    const invalid = {
        'no offset': { offset: undefined },
        'negative offset': { offset: -1 },
        'fractional offset': { offset: 1.5 },
        'offset past 2^53': { offset: 2 ** 53 },
        'string offset': { offset: '5' },
        'no cols': { cols: undefined },
        'zero rows': { rows: 0 },
        'cols over 1000': { cols: 1001 },
        'no data': { data: undefined },
        'numeric data': { data: 42 },
        'data as bytes': { data: [27, 99] },
        'complete as a string': { complete: 'yes' },
        'complete as a number': { complete: 1 },
    };
    for (const [name, change] of Object.entries(invalid)) {
        const result = decoded({ ...screen, ...change });
        assert.equal(result.error?.code, 'bad-message', name);
        assert.match(result.error.message, /^screen: /, name);
    }
});

test('a message cut short is never a message', () => {
    for (const message of [hello, screen, { type: 'size', cols: 120, rows: 40 }]) {
        const text = JSON.stringify(message);
        for (let cut = 0; cut < text.length; cut += 1) {
            const result = protocol.decodeServerMessage(text.slice(0, cut));
            assert.equal(result.message, undefined, `${text.slice(0, cut)}`);
            assert.ok(result.error, `an error for ${text.slice(0, cut)}`);
        }
    }
});

test('unknown types are reported as ignored, malformed messages as errors', () => {
    assert.deepEqual(protocol.decodeServerMessage('{"type":"future","x":1}'), { ignored: 'future' });
    assert.equal(protocol.decodeServerMessage('not json').error.code, 'bad-json');
    assert.equal(protocol.decodeServerMessage('[1,2]').error.code, 'bad-json');
    assert.equal(protocol.decodeServerMessage('{"no":"type"}').error.code, 'bad-message');
    assert.equal(protocol.decodeServerMessage('{"type":"gap","from":9,"to":3}').error.code, 'bad-message');
    assert.equal(protocol.decodeServerMessage('{"type":"gap","from":-1,"to":3}').error.code, 'bad-message');
    assert.equal(protocol.decodeServerMessage('{"type":"gap","from":1.5,"to":3}').error.code, 'bad-message');
    assert.equal(protocol.decodeServerMessage('{"type":"source","state":"sideways"}').error.code, 'bad-message');
    const broken = { ...hello, history: { start: 5, end: 4 } };
    assert.equal(protocol.decodeServerMessage(JSON.stringify(broken)).error.code, 'bad-message');
    const noCaps = { ...hello };
    delete noCaps.capabilities;
    assert.match(protocol.decodeServerMessage(JSON.stringify(noCaps)).error.message, /capabilities/);
    // "__proto__" and friends are not message types.
    assert.deepEqual(protocol.decodeServerMessage('{"type":"constructor"}'), { ignored: 'constructor' });
});

test('encodes the client messages', () => {
    assert.deepEqual(JSON.parse(protocol.encodeResize(120, 40)), { type: 'resize', cols: 120, rows: 40 });
    assert.deepEqual(JSON.parse(protocol.encodeResize(5000, 0)), { type: 'resize', cols: 1000, rows: 1 });
    assert.deepEqual(JSON.parse(protocol.encodePing(7)), { type: 'ping', data: 7 });
    assert.deepEqual(JSON.parse(protocol.encodeBreak()), { type: 'break' });
    assert.deepEqual(JSON.parse(protocol.encodeScreenRequest()), { type: 'screen' });
    assert.equal(protocol.SUBPROTOCOL, 'cloud-console.v1');
    assert.equal(protocol.VERSION, 1);
});

test('the WebSocket URL is "ws" next to the page, with the page\'s scheme', () => {
    assert.equal(protocol.socketUrl('http://h:8080/'), 'ws://h:8080/ws');
    assert.equal(protocol.socketUrl('http://h/c/vm1/?theme=dark#x', 1200), 'ws://h/c/vm1/ws?offset=1200');
    assert.equal(protocol.socketUrl('https://h/tools/consoles/c/vm1/'), 'wss://h/tools/consoles/c/vm1/ws');
    assert.equal(protocol.socketUrl('https://h/tools/consoles/', 0), 'wss://h/tools/consoles/ws?offset=0');
    assert.equal(protocol.socketUrl('http://h/', 7, 'abc'), 'ws://h/ws?offset=7&epoch=abc');
    // The page names its kind for the server's list of clients.
    assert.equal(protocol.socketUrl('http://h/', 7, 'abc', 'page'), 'ws://h/ws?offset=7&epoch=abc&client=page');
    assert.equal(protocol.socketUrl('http://h/c/vm1/', undefined, undefined, 'page'), 'ws://h/c/vm1/ws?client=page');
});

function memoryStorage(initial) {
    const data = new Map(initial ? [['cloud-console.settings', JSON.stringify(initial)]] : []);
    return {
        getItem: (k) => (data.has(k) ? data.get(k) : null),
        setItem: (k, v) => data.set(k, String(v)),
        data,
    };
}

test('settings: defaults, stored values, query overrides, validation', () => {
    const storage = memoryStorage({ fontSize: 18, theme: 'light', scrollback: 'junk' });
    const s = new Settings('?fontSize=20&copyOnSelect=on&scrollback=99999999&renderer=dom', storage, false);
    assert.equal(s.get('fontSize'), 20); // the query wins
    assert.equal(s.get('theme'), 'light'); // stored
    assert.equal(s.get('scrollback'), 10000); // stored junk and an out-of-range query are ignored
    assert.equal(s.get('copyOnSelect'), true);
    assert.equal(s.get('renderer'), 'dom');
    assert.deepEqual(s.overridden().sort(), ['copyOnSelect', 'fontSize', 'renderer']);

    const changes = [];
    s.onChange((name, value) => changes.push([name, value]));
    assert.equal(s.set('fontSize', 12), true);
    assert.equal(s.get('fontSize'), 12); // a change on the page replaces the override
    assert.equal(s.set('fontSize', 200), false);
    assert.deepEqual(changes, [['fontSize', 12]]);
    assert.equal(JSON.parse(storage.data.get('cloud-console.settings')).fontSize, 12);

    assert.equal(new Settings('', memoryStorage(), true).get('theme'), 'light');
    assert.equal(new Settings('', memoryStorage(), false).get('theme'), 'dark');
    assert.equal(new Settings('', null, false).get('fontSize'), 14); // no storage at all
    // The console takes the window's size only when asked: following the window is off unless set.
    assert.equal(new Settings('', memoryStorage(), false).get('followWindow'), false);
    assert.equal(new Settings('?followWindow=1', memoryStorage(), false).get('followWindow'), true);
});
