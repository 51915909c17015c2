// "Share read-only…": an operator makes a link that shows this console read-only to whoever
// opens it, until it expires (15 minutes to 24 hours) or is revoked; optionally single-use. The
// dialog shows the new link with Copy, and the console's live links with Revoke.
//
// It makes its own button (in the header, shown to operators only, as the clients event says)
// and its dialog, and asks the server over HTTP (docs/config.md, "Share links"): GET, POST and
// DELETE on the console's `shares`. What it says is sharetext.js's. It knows nothing of the
// terminal or the connection.

import { consoleNameFromPath } from './page.js';
import {
    DEFAULT_LIFETIME, LIFETIMES, isOperator, linkSummary, linkUrl, sharesPath,
} from './sharetext.js';

const $ = (id) => document.getElementById(id);

function element(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props);
    node.append(...children);
    return node;
}

export class ShareDialog {
    // notice(text, kind): shows a notice. consoleName(): the console's name as the page has it.
    // fetchFn: window.fetch.
    constructor({ notice, consoleName, fetchFn = (...args) => fetch(...args) }) {
        this._notice = notice;
        this._consoleName = consoleName;
        this._fetch = fetchFn;
        this.links = []; // the console's links as last listed
        this.created = null; // the last link made here: {id, url, expires, ...}
        this._build();
    }

    _build() {
        const button = element('button', {
            type: 'button', id: 'share-button', hidden: true,
            title: 'Make a link that shows this console read-only, for a while',
            textContent: 'Share read-only…',
        });
        button.setAttribute('aria-haspopup', 'dialog');
        button.addEventListener('click', () => this.open());
        $('settings-button').before(button);

        const lifetime = element('select', { id: 'share-lifetime' });
        for (const { seconds, label } of LIFETIMES)
            lifetime.append(element('option', { value: String(seconds), textContent: label,
                                                 selected: seconds === DEFAULT_LIFETIME }));
        const single = element('input', { type: 'checkbox', id: 'share-single-use' });
        const create = element('button', { type: 'submit', id: 'share-create', className: 'primary',
                                           textContent: 'Create link' });
        const form = element('form', { id: 'share-form', className: 'share-form' },
            element('label', { htmlFor: 'share-lifetime', textContent: 'Works for' }), lifetime,
            element('label', { className: 'check' }, single, ' Single-use: opens in one browser only'),
            create);
        form.addEventListener('submit', (event) => {
            event.preventDefault();
            this.create();
        });

        const url = element('input', { type: 'text', id: 'share-url', readOnly: true,
                                       spellcheck: false });
        url.setAttribute('aria-label', 'The new link');
        // Selected whole, with the caret at its start, so that the link's start stays in view.
        url.addEventListener('focus', () => url.setSelectionRange(0, url.value.length, 'backward'));
        const copy = element('button', { type: 'button', id: 'share-copy', textContent: 'Copy' });
        copy.addEventListener('click', () => this.copy());
        const result = element('div', { id: 'share-result', className: 'share-result', hidden: true },
            element('div', { className: 'share-url-row' }, url, copy),
            element('p', { id: 'share-result-note', className: 'note' }));

        const list = element('ul', { id: 'share-links', className: 'share-links' });
        const close = element('button', { type: 'button', id: 'share-close', textContent: 'Close' });
        close.addEventListener('click', () => $('share-dialog').close());
        const dialog = element('dialog', { id: 'share-dialog', className: 'share-dialog' },
            element('h2', { id: 'share-dialog-title', textContent: 'Share read-only' }),
            element('p', { className: 'note', textContent: 'Whoever opens the link can watch this '
                + 'console, but not type into it, until the link expires or is revoked.' }),
            form,
            result,
            element('h3', { textContent: 'Live links' }),
            list,
            element('p', { id: 'share-error', className: 'share-error', hidden: true }),
            element('div', { className: 'buttons' }, close));
        dialog.setAttribute('aria-labelledby', 'share-dialog-title');
        document.body.append(dialog);
    }

    // A `clients` event: whether this page is an operator's, who may share.
    update(clients) {
        $('share-button').hidden = !isOperator(clients);
    }

    _sharesUrl(suffix = '') {
        const page = consoleNameFromPath(location.pathname);
        return sharesPath(page, this._consoleName()) + suffix;
    }

    async open() {
        $('share-result').hidden = true;
        this._error('');
        $('share-dialog-title').textContent = `Share console ${this._consoleName()} read-only`;
        if (!$('share-dialog').open)
            $('share-dialog').showModal();
        $('share-lifetime').focus();
        await this.refresh();
    }

    async _ask(method, suffix, body) {
        const init = { method, cache: 'no-store', headers: {} };
        if (body !== undefined) {
            init.body = JSON.stringify(body);
            init.headers['Content-Type'] = 'application/json';
        }
        const response = await this._fetch(this._sharesUrl(suffix), init);
        const text = await response.text();
        if (!response.ok)
            throw new Error(text.trim() || `HTTP ${response.status}`);
        return text ? JSON.parse(text) : null;
    }

    async refresh() {
        try {
            const answer = await this._ask('GET', '');
            this.links = answer.links;
            this._renderLinks();
        } catch (e) {
            this._error(`Cannot list the links: ${e.message}`);
        }
    }

    async create() {
        const ttl = Number($('share-lifetime').value);
        const singleUse = $('share-single-use').checked;
        $('share-create').disabled = true;
        try {
            const link = await this._ask('POST', '', { ttl, singleUse });
            const page = consoleNameFromPath(location.pathname);
            this.created = { ...link, url: linkUrl(location.href, page, link.path) };
            $('share-url').value = this.created.url;
            $('share-result-note').textContent = `Link ${link.id}: ${linkSummary(link, Date.now())}. `
                + 'It is shown only now: copy it.';
            $('share-result').hidden = false;
            this._error('');
            // Copy has the focus (Enter copies); the field shows the link from its start.
            $('share-url').scrollLeft = 0;
            $('share-copy').focus();
            await this.refresh();
        } catch (e) {
            this._error(`Cannot make a link: ${e.message}`);
        } finally {
            $('share-create').disabled = false;
        }
    }

    async copy() {
        const text = $('share-url').value;
        try {
            await navigator.clipboard.writeText(text);
        } catch (e) {
            // No clipboard permission (or not a secure context): the selection and the old way.
            $('share-url').select();
            if (!document.execCommand('copy')) {
                this._notice('Copy the selected link with Ctrl+C', 'info');
                return;
            }
        }
        this._notice('Link copied', 'info');
    }

    async revoke(id) {
        try {
            await this._ask('DELETE', `/${encodeURIComponent(id)}`);
            if (this.created?.id === id)
                $('share-result').hidden = true;
            this._notice(`Link ${id} revoked`, 'info');
        } catch (e) {
            this._error(`Cannot revoke ${id}: ${e.message}`);
        }
        await this.refresh();
    }

    _renderLinks() {
        const list = $('share-links');
        const live = this.links.filter((link) => link.state === 'live'
            || (link.state === 'used' && new Date(link.expires) > Date.now()));
        const now = Date.now();
        list.replaceChildren(...live.map((link) => {
            const revoke = element('button', { type: 'button', className: 'revoke',
                                               textContent: 'Revoke' });
            revoke.dataset.id = link.id;
            revoke.setAttribute('aria-label', `Revoke link ${link.id}`);
            revoke.addEventListener('click', () => this.revoke(link.id));
            const item = element('li', {},
                element('code', { textContent: link.id }),
                element('span', { className: 'summary', textContent: linkSummary(link, now) }),
                revoke);
            item.dataset.id = link.id;
            return item;
        }));
        if (live.length === 0)
            list.append(element('li', { className: 'empty', textContent: 'No live links.' }));
    }

    _error(text) {
        $('share-error').textContent = text;
        $('share-error').hidden = !text;
    }
}
