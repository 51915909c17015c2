// The page does not answer the terminal queries that come in the console's output.
//
// On a shared console the server answers each query once, from its own model of the screen,
// whether no client, one or fifty are connected (docs/protocol.md, "Terminal queries"). A page
// that answered as well would add one more answer per page: a program reading the cursor
// position would get it twice, and the second answer would reach the shell as typed text.
//
// xterm.js 6 answers these by itself (src/common/InputHandler.ts and
// src/browser/CoreBrowserTerminal.ts, checked against the version package-lock.json pins):
//   DA1 CSI c, DA2 CSI > c, DSR CSI 5 n and CSI 6 n, DECXCPR CSI ? 6 n, DECRQM CSI Ps $ p and
//   CSI ? Ps $ p, DECRQSS DCS $ q ... ST, colour queries OSC 4 ; c ; ? and OSC 10/11/12 ; ?,
//   and the XTWINOPS reports (CSI 14/16/18 t), though only where the `windowOptions` option
//   allows them (none by default).
// It does not answer DA3 (CSI = c) or ENQ. The handlers below take the queries first and
// return true, so xterm.js neither acts on them nor answers. Everything else goes on to
// xterm.js: setting colours, window operations that are not reports, and every report the
// user causes (keys, pastes, focus changes, the mouse), which come through onData as input.

// XTWINOPS requests that ask for a report (xterm's ctlseqs): 11 state, 13 position, 14 size in
// pixels, 15 screen size in pixels, 16 cell size, 18 size in characters, 19 screen size in
// characters, 20 icon label, 21 title.
const WINDOW_REPORTS = new Set([11, 13, 14, 15, 16, 18, 19, 20, 21]);

// Whether a CSI ... t asks the terminal to report something.
export function isWindowReport(params) {
    const first = params[0];
    return WINDOW_REPORTS.has(Array.isArray(first) ? first[0] : first);
}

// OSC 10, 11 and 12 take a stack of colours: "OSC 10 ; fg ; bg ; cursor" sets or asks for each
// in turn (xterm.js stops after the cursor colour).
const LAST_SPECIAL_COLOUR = 12;

// Splits the payload of a colour OSC (4, 10, 11 or 12) into what it asks and what it sets.
// Returns {queries, sets}: the number of "?" in it, and each colour it sets as its own OSC
// payload ("4;1;#ff0000", "11;#000000"), in order.
export function splitColourRequest(ident, data) {
    const slots = data.split(';');
    const sets = [];
    let queries = 0;
    if (ident === 4) {
        for (let i = 0; i + 1 < slots.length; i += 2) {
            if (slots[i + 1] === '?')
                queries += 1;
            else
                sets.push(`4;${slots[i]};${slots[i + 1]}`);
        }
        return { queries, sets };
    }
    for (let i = 0; i < slots.length && ident + i <= LAST_SPECIAL_COLOUR; i += 1) {
        if (slots[i] === '?')
            queries += 1;
        else
            sets.push(`${ident + i};${slots[i]}`);
    }
    return { queries, sets };
}

const swallow = () => true;

// Registers the handlers on `term` (an xterm.js Terminal). Returns a function that removes them.
export function silenceQueries(term) {
    const parser = term.parser;
    const handlers = [
        parser.registerCsiHandler({ final: 'c' }, swallow), // DA1
        parser.registerCsiHandler({ prefix: '>', final: 'c' }, swallow), // DA2
        parser.registerCsiHandler({ final: 'n' }, swallow), // DSR
        parser.registerCsiHandler({ prefix: '?', final: 'n' }, swallow), // DEC DSR
        parser.registerCsiHandler({ intermediates: '$', final: 'p' }, swallow), // DECRQM
        parser.registerCsiHandler({ prefix: '?', intermediates: '$', final: 'p' }, swallow),
        parser.registerCsiHandler({ final: 't' }, isWindowReport), // XTWINOPS reports only
        parser.registerDcsHandler({ intermediates: '$', final: 'q' }, swallow), // DECRQSS
    ];
    for (const ident of [4, 10, 11, 12])
        handlers.push(parser.registerOscHandler(ident, (data) => colourRequest(term, ident, data)));
    return () => handlers.forEach((handler) => handler.dispose());
}

// A colour OSC without a query goes on to xterm.js. One with a query is taken; the colours it
// also sets (a rare mix) are written again on their own, so only the asking is dropped. They
// take effect once the output already waiting is drawn, a moment later.
function colourRequest(term, ident, data) {
    const { queries, sets } = splitColourRequest(ident, data);
    if (queries === 0)
        return false;
    for (const set of sets)
        term.write(`\x1b]${set}\x1b\\`);
    return true;
}

// Calls `listener` with what the terminal sends for the user: keys, pastes, and focus and mouse
// reports. xterm.js also reports the focus at once when the output turns focus reports on
// (DECSET 1004: InputHandler.setModePrivate fires onRequestSendFocus, and
// CoreBrowserTerminal._reportFocus sends CSI I or CSI O). That report comes from the stream, not
// from the user (every page would send one, and a screen from the server turns the mode on
// again), so it is left out. It is sent while the output is parsed, synchronously, so the window
// in which it is expected closes at the end of the current task: no key can come in between.
export function onUserData(term, listener) {
    let focusReportDue = false;
    const mode = term.parser.registerCsiHandler({ prefix: '?', final: 'h' }, (params) => {
        if (params.some((p) => p === 1004)) {
            focusReportDue = true;
            queueMicrotask(() => { focusReportDue = false; });
        }
        return false; // xterm.js sets the modes
    });
    const data = term.onData((text) => {
        if (focusReportDue && (text === '\x1b[I' || text === '\x1b[O')) {
            focusReportDue = false;
            return;
        }
        listener(text);
    });
    return () => {
        mode.dispose();
        data.dispose();
    };
}
