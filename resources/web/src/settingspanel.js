// The Settings panel: shows the settings in effect and changes them (settings.js keeps and
// checks them; the page applies a change where it is announced, Settings.onChange). The fields'
// bounds are the settings' own, set here rather than written again in index.html.

import { FONT_SIZE, SCROLLBACK, clampFontSize } from './settings.js';

const $ = (id) => document.getElementById(id);

export class SettingsPanel {
    // settings: the page's Settings. about(): the line about the renderer, protocol and server.
    constructor(settings, about) {
        this._settings = settings;
        this._about = about;
        $('set-font-size').min = FONT_SIZE.min;
        $('set-font-size').max = FONT_SIZE.max;
        $('set-scrollback').min = SCROLLBACK.min;
        $('set-scrollback').max = SCROLLBACK.max;

        $('settings-button').addEventListener('click', () => this.toggle());
        $('settings').addEventListener('keydown', (event) => {
            if (event.key === 'Escape') {
                event.preventDefault();
                this.toggle(false);
                $('settings-button').focus();
            }
        });
        const font = () => settings.get('fontSize');
        $('font-smaller').addEventListener('click', () => this.setFontSize(font() - 1));
        $('font-bigger').addEventListener('click', () => this.setFontSize(font() + 1));
        $('set-font-size').addEventListener('change', (e) => this.setFontSize(Number(e.target.value)));
        $('set-scrollback').addEventListener('change', (e) => {
            if (!settings.set('scrollback', e.target.value))
                e.target.value = settings.get('scrollback');
        });
        const checkbox = (id, name) => {
            $(id).addEventListener('change', (e) => settings.set(name, e.target.checked));
        };
        checkbox('set-copy-on-select', 'copyOnSelect');
        checkbox('set-right-click-paste', 'rightClickPaste');
        checkbox('set-screen-reader', 'screenReader');
        checkbox('set-follow-window', 'followWindow');
        for (const name of ['theme', 'keyBar']) {
            for (const radio of document.querySelectorAll(`input[name="${name}"]`))
                radio.addEventListener('change', (e) => settings.set(name, e.target.value));
        }
        settings.onChange(() => {
            if (this.isOpen())
                this.render();
        });
    }

    // A font size asked for by a button, the field or a shortcut, within the bounds.
    setFontSize(size) {
        this._settings.set('fontSize', clampFontSize(size));
    }

    isOpen() {
        return !$('settings').hidden;
    }

    // Opens (true), closes (false) or toggles (undefined) the panel.
    toggle(open) {
        const panel = $('settings');
        const show = open ?? panel.hidden;
        panel.hidden = !show;
        $('settings-button').setAttribute('aria-expanded', String(show));
        if (show) {
            this.render();
            $('set-font-size').focus();
        }
    }

    render() {
        const settings = this._settings;
        const s = settings.all();
        $('set-font-size').value = s.fontSize;
        $('set-scrollback').value = s.scrollback;
        $('set-copy-on-select').checked = s.copyOnSelect;
        $('set-right-click-paste').checked = s.rightClickPaste;
        $('set-screen-reader').checked = s.screenReader;
        $('set-follow-window').checked = s.followWindow;
        for (const name of ['theme', 'keyBar']) {
            for (const radio of document.querySelectorAll(`input[name="${name}"]`))
                radio.checked = radio.value === s[name];
        }
        const overridden = settings.overridden();
        $('settings-note').textContent = overridden.length
            ? `Set by the page address for now: ${overridden.join(', ')}.` : '';
        $('about').textContent = this._about();
    }
}
