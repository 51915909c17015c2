// The header's actions: Redraw, Send BREAK, Fit to window and Download. Unavailable ones stay
// focusable and say why (status.js's actionReason()), and say it again when pressed.

import { fetchHistory } from './connection.js';
import { BoundedList } from './page.js';
import { fitRequest } from './size.js';
import { actionReason, fitNotice } from './status.js';

const $ = (id) => document.getElementById(id);

function setAction(button, reasonBox, reason) {
    // Disabled actions stay focusable so keyboard and screen-reader users can learn why.
    button.setAttribute('aria-disabled', reason ? 'true' : 'false');
    button.classList.toggle('disabled', Boolean(reason));
    button.dataset.reason = reason || '';
    button.title = reason ? '' : button.dataset.help;
    $(reasonBox).textContent = reason ? `Unavailable: ${reason}` : '';
}

export class Actions {
    // connection: the Connection. view: the TerminalView. notice(text, kind): shows a notice.
    // consoleName(): the console's name as the page has it.
    constructor({ connection, view, notice, consoleName }) {
        this._connection = connection;
        this._view = view;
        this._notice = notice;
        this._consoleName = consoleName;
        this.resizesSent = new BoundedList(50); // {cols, rows, at}
        this._downloading = false;

        $('break-button').dataset.help = 'Send a BREAK to the console';
        $('redraw-button').dataset.help = 'Draw the console\'s screen again, as the server has it';
        const term = view.term;
        this._run($('break-button'), () => {
            if (connection.sendBreak())
                notice('BREAK sent', 'info');
        });
        this._run($('resize-button'), () => {
            const sent = this.fitConsole();
            notice(fitNotice(sent), sent.why ? 'warning' : 'info');
            term.focus();
        });
        this._run($('redraw-button'), () => {
            connection.requestScreen();
            term.focus();
        });
        $('download-button').addEventListener('click', () => this._download());
    }

    // Shows which actions are available now.
    update() {
        const c = this._connection;
        const fits = this._view.proposedSize();
        $('resize-button').dataset.help = `Set the console's size to this window${
            fits ? `: ${fits.cols}×${fits.rows}` : ''}`;
        setAction($('break-button'), 'break-reason', actionReason(c.connected, c.hello, 'break', 'BREAK'));
        setAction($('resize-button'), 'resize-reason', actionReason(c.connected, c.hello, 'resize', 'resizing'));
        setAction($('redraw-button'), 'redraw-reason', c.connected ? '' : 'not connected');
    }

    // Asks the server to give the console the size that fits this window. Only the person's
    // doing: the Fit action, or their window changing while the page follows it (size.js says
    // why never in answer to the server). Returns what fitRequest() says: {cols, rows} sent, or
    // {why} not.
    fitConsole() {
        const c = this._connection;
        const request = fitRequest(this._view.proposedSize(), c.connected ? c.hello : null);
        if (request.why)
            return request;
        c.sendResize(request.cols, request.rows);
        this.resizesSent.push({ ...request, at: Date.now() });
        return request;
    }

    _run(button, action) {
        button.addEventListener('click', () => {
            if (button.getAttribute('aria-disabled') === 'true') {
                this._notice(`${button.textContent}: unavailable, ${button.dataset.reason}`);
                return;
            }
            action();
        });
    }

    // Saves the console's whole history, as the server keeps it, to <name>-history.log.
    async _download() {
        if (this._downloading)
            return;
        this._downloading = true;
        const button = $('download-button');
        button.setAttribute('aria-busy', 'true');
        try {
            const { bytes, hello } = await fetchHistory(location.href);
            const name = hello?.console || this._consoleName() || 'console';
            const blob = new Blob([bytes], { type: 'application/octet-stream' });
            const link = document.createElement('a');
            link.href = URL.createObjectURL(blob);
            link.download = `${name}-history.log`;
            document.body.appendChild(link);
            link.click();
            link.remove();
            setTimeout(() => URL.revokeObjectURL(link.href), 60000);
            this._notice(`Downloaded ${bytes.length} bytes of history`, 'info');
        } catch (e) {
            this._notice(`Download failed: ${e.message}`, 'error');
        } finally {
            this._downloading = false;
            button.removeAttribute('aria-busy');
        }
    }
}
