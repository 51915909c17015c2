// The page's keyboard shortcuts (docs/web.md): which key does what. No DOM here, so node tests
// it; input.js runs the actions.

import { FONT_SIZE, clampFontSize } from './settings.js';

export const Shortcut = Object.freeze({
    COPY: 'copy', // Ctrl+Shift+C: copy the selection
    PASTE: 'paste', // Ctrl+Shift+V: left to the browser, which pastes into the terminal
    FIND: 'find', // Ctrl+Shift+F: open the find bar
    TOOLBAR: 'toolbar', // Ctrl+Shift+O: leave the terminal for the toolbar
    FONT_BIGGER: 'font-bigger', // Ctrl+= or Ctrl++
    FONT_SMALLER: 'font-smaller', // Ctrl+-
    FONT_DEFAULT: 'font-default', // Ctrl+0
});

// The shortcut a key event (anything with key, ctrlKey, metaKey, shiftKey and altKey) stands
// for, or null for a key that goes to the console. Cmd counts as Ctrl.
export function shortcutFor(event) {
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const ctrl = event.ctrlKey || event.metaKey;
    if (!ctrl || event.altKey)
        return null;
    if (event.shiftKey) {
        const withShift = { c: Shortcut.COPY, v: Shortcut.PASTE, f: Shortcut.FIND, o: Shortcut.TOOLBAR };
        if (Object.hasOwn(withShift, key))
            return withShift[key];
    }
    if (key === '+' || key === '=')
        return Shortcut.FONT_BIGGER;
    if (key === '-' && !event.shiftKey)
        return Shortcut.FONT_SMALLER;
    if (key === '0' && !event.shiftKey)
        return Shortcut.FONT_DEFAULT;
    return null;
}

// Whether the browser does the shortcut's work (its default action must not be prevented).
export function browserDoes(shortcut) {
    return shortcut === Shortcut.PASTE;
}

// The font size after a font-size shortcut, from `current`.
export function fontSizeAfter(shortcut, current) {
    if (shortcut === Shortcut.FONT_BIGGER)
        return clampFontSize(current + 1);
    if (shortcut === Shortcut.FONT_SMALLER)
        return clampFontSize(current - 1);
    if (shortcut === Shortcut.FONT_DEFAULT)
        return FONT_SIZE.default;
    return current;
}
