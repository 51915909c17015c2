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
    capabilities: { resize: false, break: false }, server: 'cloud-console/0.1.0',
};

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
    assert.equal(protocol.SUBPROTOCOL, 'cloud-console.v1');
    assert.equal(protocol.VERSION, 1);
});

test('the WebSocket URL is "ws" next to the page, with the page\'s scheme', () => {
    assert.equal(protocol.socketUrl('http://h:8080/'), 'ws://h:8080/ws');
    assert.equal(protocol.socketUrl('http://h/c/vm1/?theme=dark#x', 1200), 'ws://h/c/vm1/ws?offset=1200');
    assert.equal(protocol.socketUrl('https://h/tools/consoles/c/vm1/'), 'wss://h/tools/consoles/c/vm1/ws');
    assert.equal(protocol.socketUrl('https://h/tools/consoles/', 0), 'wss://h/tools/consoles/ws?offset=0');
    assert.equal(protocol.socketUrl('http://h/', 7, 'abc'), 'ws://h/ws?offset=7&epoch=abc');
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
});
