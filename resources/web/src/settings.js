// Page settings: declared here with their bounds, remembered in localStorage, and overridable
// for one page load by the URL query (?fontSize=18&theme=light ...). A setting the person changes
// on the page is stored and replaces any query override for the rest of that page's life.

const STORAGE_KEY = 'cloud-console.settings';

function parseBool(text) {
    if (/^(1|true|yes|on)$/i.test(text))
        return true;
    if (/^(0|false|no|off)$/i.test(text))
        return false;
    return undefined;
}

function intIn(low, high) {
    return (value) => {
        const n = typeof value === 'number' ? value : Number.parseInt(String(value), 10);
        return Number.isInteger(n) && n >= low && n <= high ? n : undefined;
    };
}

function oneOf(...choices) {
    return (value) => (choices.includes(value) ? value : undefined);
}

function boolean(value) {
    return typeof value === 'boolean' ? value : parseBool(String(value));
}

// The font size's bounds and default, declared once: the setting, the shortcuts and the settings
// panel's field take them from here.
export const FONT_SIZE = Object.freeze({ min: 6, max: 48, default: 14 });
export const SCROLLBACK = Object.freeze({ min: 0, max: 100000, default: 10000 });

// `size` brought within the font size's bounds.
export function clampFontSize(size) {
    return Math.min(FONT_SIZE.max, Math.max(FONT_SIZE.min, size));
}

// name: [parse (returns undefined for an invalid value), default]
export const SETTINGS = Object.freeze({
    fontSize: [intIn(FONT_SIZE.min, FONT_SIZE.max), FONT_SIZE.default],
    theme: [oneOf('dark', 'light'), undefined], // undefined: follow the system's preference
    scrollback: [intIn(SCROLLBACK.min, SCROLLBACK.max), SCROLLBACK.default],
    copyOnSelect: [boolean, false],
    rightClickPaste: [boolean, true],
    screenReader: [boolean, false],
    renderer: [oneOf('auto', 'webgl', 'dom'), 'auto'],
    // Give the console this window's size whenever the window changes (off: only on request).
    followWindow: [boolean, false],
    // The key bar (Esc, Ctrl, Alt, Tab, arrows, Ctrl-C): on touch screens ('auto'), always, never.
    keyBar: [oneOf('auto', 'on', 'off'), 'auto'],
});

export class Settings {
    constructor(search, storage, prefersLight) {
        this._storage = storage;
        this._listeners = [];
        this._stored = this._load();
        this._query = {};
        const params = new URLSearchParams(search);
        for (const [name, [parse]] of Object.entries(SETTINGS)) {
            if (!params.has(name))
                continue;
            const value = parse(params.get(name));
            if (value !== undefined)
                this._query[name] = value;
            else
                console.warn(`cloud-console: ignoring invalid query setting ${name}=${params.get(name)}`);
        }
        this._prefersLight = prefersLight;
    }

    get(name) {
        if (Object.hasOwn(this._query, name))
            return this._query[name];
        if (Object.hasOwn(this._stored, name))
            return this._stored[name];
        if (name === 'theme')
            return this._prefersLight ? 'light' : 'dark';
        return SETTINGS[name][1];
    }

    // Every effective value, for display and for window.cloudConsole.
    all() {
        const result = {};
        for (const name of Object.keys(SETTINGS))
            result[name] = this.get(name);
        return result;
    }

    // Names whose value this page load takes from the URL query.
    overridden() {
        return Object.keys(this._query);
    }

    set(name, value) {
        const parsed = SETTINGS[name][0](value);
        if (parsed === undefined)
            return false;
        delete this._query[name];
        this._stored[name] = parsed;
        this._save();
        for (const listener of this._listeners)
            listener(name, parsed);
        return true;
    }

    onChange(listener) {
        this._listeners.push(listener);
    }

    _load() {
        try {
            const text = this._storage?.getItem(STORAGE_KEY);
            const raw = text ? JSON.parse(text) : {};
            const result = {};
            for (const [name, [parse]] of Object.entries(SETTINGS)) {
                if (raw && Object.hasOwn(raw, name)) {
                    const value = parse(raw[name]);
                    if (value !== undefined)
                        result[name] = value;
                }
            }
            return result;
        } catch (e) {
            console.warn('cloud-console: stored settings unreadable, using defaults', e);
            return {};
        }
    }

    _save() {
        try {
            this._storage?.setItem(STORAGE_KEY, JSON.stringify(this._stored));
        } catch (e) {
            console.warn('cloud-console: could not store settings', e);
        }
    }
}
