// The key bar's keys as bytes for the console, and the sticky Ctrl and Alt it offers for the
// next key: what a terminal sends for each (xterm's encoding, as xterm.js sends it for the same
// keys on a physical keyboard). No DOM here, so node tests it; keybar.js shows the bar.

export const BarKey = Object.freeze({
    ESC: 'esc',
    TAB: 'tab',
    UP: 'up',
    DOWN: 'down',
    RIGHT: 'right',
    LEFT: 'left',
    CTRL_C: 'ctrl-c',
});

const ESC = '\x1b';
const ARROW_FINALS = Object.freeze({
    [BarKey.UP]: 'A',
    [BarKey.DOWN]: 'B',
    [BarKey.RIGHT]: 'C',
    [BarKey.LEFT]: 'D',
});

// The bytes for a key of the bar. `ctrl` and `alt`: the sticky modifiers in effect.
// `applicationCursor`: the program asked for application cursor keys (DECCKM, xterm.js's
// term.modes.applicationCursorKeysMode), so a plain arrow is ESC O A rather than ESC [ A. An
// arrow with a modifier is always CSI 1 ; m A, m being 1 + 2 for Alt + 4 for Ctrl.
export function keyBytes(key, { ctrl = false, alt = false, applicationCursor = false } = {}) {
    if (Object.hasOwn(ARROW_FINALS, key)) {
        const final = ARROW_FINALS[key];
        if (ctrl || alt)
            return `${ESC}[1;${1 + (alt ? 2 : 0) + (ctrl ? 4 : 0)}${final}`;
        return `${applicationCursor ? `${ESC}O` : `${ESC}[`}${final}`;
    }
    const prefix = alt ? ESC : '';
    switch (key) {
    case BarKey.ESC:
        return `${prefix}${ESC}`;
    case BarKey.TAB:
        return `${prefix}\t`;
    case BarKey.CTRL_C:
        return `${prefix}\x03`;
    default:
        return '';
    }
}

// The control character Ctrl makes of `ch`, or null when Ctrl does nothing to it: letters give
// 1 to 26, and the keys xterm maps the same way (Ctrl+@ or Ctrl+Space NUL, Ctrl+[ ESC, Ctrl+\,
// Ctrl+], Ctrl+^, Ctrl+_ and Ctrl+? DEL).
export function controlCharacter(ch) {
    if (/^[a-z]$/i.test(ch))
        return String.fromCharCode(ch.toUpperCase().charCodeAt(0) & 0x1f);
    const others = { '@': 0, ' ': 0, '2': 0, '[': 0x1b, '3': 0x1b, '\\': 0x1c, '4': 0x1c, ']': 0x1d,
                     '5': 0x1d, '^': 0x1e, '6': 0x1e, '_': 0x1f, '7': 0x1f, '/': 0x1f, '?': 0x7f,
                     '8': 0x7f };
    return Object.hasOwn(others, ch) ? String.fromCharCode(others[ch]) : null;
}

// Whether input from the terminal is a sequence a sticky modifier leaves alone (a special key's
// CSI or SS3 sequence, a mouse or focus report): those pass as they are, and the modifiers stay
// for the next key.
export function isSequence(data) {
    return data.length > 1 && data[0] === ESC && (data[1] === '[' || data[1] === 'O');
}

// Input typed while sticky modifiers are on (from the on-screen keyboard: a character, or a few
// when the keyboard commits a word): Ctrl turns its first character into a control character,
// Alt puts ESC before it, as a terminal does for a key held with them.
export function withModifiers(data, { ctrl = false, alt = false } = {}) {
    if ((!ctrl && !alt) || data.length === 0)
        return data;
    const [first, ...rest] = [...data];
    const key = ctrl ? (controlCharacter(first) ?? first) : first;
    return `${alt ? ESC : ''}${key}${rest.join('')}`;
}

// Whether the key bar shows: the setting ('auto', 'on' or 'off'), and on 'auto' whether the page
// runs on a touch screen (a coarse pointer, or any touch points).
export function showsKeyBar(setting, { coarsePointer = false, maxTouchPoints = 0 } = {}) {
    if (setting === 'on')
        return true;
    if (setting === 'off')
        return false;
    return coarsePointer || maxTouchPoints > 0;
}
