// The page's codec (resources/web/src/protocol.js) against the example messages that the C++
// codec's test reads too (tests/protocol/examples.json): every server message decodes to the
// same result as in C++, and what the page sends is byte for byte what C++ encodes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.resolve(here, '../../resources/web/src');
const protocol = await import(pathToFileURL(path.join(src, 'protocol.js')).href);
const examplesFile = process.env.CLOUD_CONSOLE_PROTOCOL_EXAMPLES
    || path.resolve(here, '../protocol/examples.json');
const examples = JSON.parse(fs.readFileSync(examplesFile, 'utf8'));

// What the page's decoder made of a text frame, in the fixture's terms: {decoded} or {error}.
// The page ignores (and logs) a type it does not know; the C++ decoder calls that unknown-type.
function pageResult(json) {
    const result = protocol.decodeServerMessage(json);
    if (result.ignored !== undefined)
        return { error: protocol.ErrorCode.UNKNOWN_TYPE };
    if (result.error)
        return { error: result.error.code, message: result.error.message };
    return { decoded: result.message };
}

test('the examples cover every message type both ways', () => {
    const types = (list) => new Set(list.filter((e) => e.decoded).map((e) => e.decoded.type));
    assert.deepEqual([...types(examples.serverToClient)].sort(),
                     Object.values(protocol.ServerType).sort());
    assert.deepEqual([...types(examples.clientToServer)].sort(),
                     Object.values(protocol.ClientType).sort());
    for (const list of [examples.serverToClient, examples.clientToServer])
        assert.ok(list.some((e) => e.error), 'invalid examples too');
});

for (const example of examples.serverToClient) {
    test(`server to page: ${example.name}`, () => {
        const result = pageResult(example.json);
        if (example.error) {
            assert.equal(result.error, example.error,
                         `${example.json} gave ${JSON.stringify(result)}`);
            if (result.message !== undefined)
                assert.ok(result.message.length > 0, 'an error says what is wrong');
        } else {
            assert.equal(result.error, undefined,
                         `${example.json} refused: ${result.error} ${result.message}`);
            assert.deepEqual(result.decoded, example.decoded);
        }
    });
}

// The messages the page sends, with the arguments it sends them with.
const pageEncoders = {
    resize: (m) => protocol.encodeResize(m.cols, m.rows),
    ping: (m) => protocol.encodePing(m.data),
    break: () => protocol.encodeBreak(),
    screen: () => protocol.encodeScreenRequest(),
    paste: (m) => protocol.encodePastePiece(m.id, m.total, m.at, m.data),
    'paste-cancel': () => protocol.encodePasteCancel(),
    control: (m) => protocol.encodeControl(m.action, m.to),
};

test('a paste is cut into pieces under the message limit, between characters', () => {
    const text = `${'a'.repeat(10)}é😀${'b'.repeat(5)}\r`;
    const pieces = protocol.encodePaste(3, text, 12).map((json) => JSON.parse(json));
    const total = protocol.utf8Length(text);
    assert.equal(total, 10 + 2 + 4 + 5 + 1);
    assert.ok(pieces.length > 1);
    for (const piece of pieces) {
        assert.equal(piece.id, 3);
        assert.equal(piece.total, total);
        assert.ok(protocol.utf8Length(piece.data) <= 12, piece.data);
        assert.ok(!/[\ud800-\udbff]$/.test(piece.data), 'never half a surrogate pair');
    }
    assert.equal(pieces.map((p) => p.data).join(''), text);
    // Each piece says where it starts.
    let at = 0;
    for (const piece of pieces) {
        assert.equal(piece.at, at);
        at += protocol.utf8Length(piece.data);
    }
    assert.deepEqual(protocol.encodePaste(1, 'x').map((j) => JSON.parse(j)),
                     [{ type: 'paste', id: 1, total: 1, at: 0, data: 'x' }]);
    // A lone surrogate is counted as the U+FFFD it becomes.
    const lone = JSON.parse(protocol.encodePaste(2, 'a\ud800b')[0]);
    assert.equal(lone.data, 'a\ufffdb');
    assert.equal(lone.total, 5);
});

test('the page has an encoder for every client message type', () => {
    assert.deepEqual(Object.keys(pageEncoders).sort(), Object.values(protocol.ClientType).sort());
});

for (const example of examples.clientToServer.filter((e) => e.canonical)) {
    test(`page to server, encoded as C++ encodes it: ${example.name}`, () => {
        assert.equal(pageEncoders[example.decoded.type](example.decoded), example.json);
    });
}

test('canonical JSON: keys sorted at every level, integer-like keys too, no spaces', () => {
    assert.equal(protocol.canonicalJson({ b: 1, a: { d: [1, { z: 0, y: null }], c: 'x' } }),
                 '{"a":{"c":"x","d":[1,{"y":null,"z":0}]},"b":1}');
    assert.equal(protocol.canonicalJson({ 10: 'a', 2: 'b', x: undefined }), '{"10":"a","2":"b"}');
    assert.equal(protocol.canonicalJson('\x1bc\u00e9'), JSON.stringify('\x1bc\u00e9'));
});
