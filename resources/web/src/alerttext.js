// What the page says about alerts, as text: no DOM here, so node tests it
// (tests/web/modules.test.mjs). alerts.js puts it on the page.

import { oneLine } from './status.js';

// The severities, quietest first. A severity the page does not know counts as a warning
// (docs/protocol.md).
export const SEVERITIES = Object.freeze(['info', 'warning', 'critical']);

export function severityOf(alert) {
    return SEVERITIES.includes(alert.severity) ? alert.severity : 'warning';
}

export function severityRank(severity) {
    return SEVERITIES.indexOf(severity);
}

// The highest severity among `alerts` (each with a `severity` the page knows), or null.
export function highestSeverity(alerts) {
    let highest = null;
    for (const { severity } of alerts) {
        if (highest === null || severityRank(severity) > severityRank(highest))
            highest = severity;
    }
    return highest;
}

// Whether an alert of `severity` gets a banner: info alerts (a login prompt on every boot, a
// kernel starting) only count in the status bar.
export function wantsBanner(severity) {
    return severity !== 'info';
}

// What the built-in rules (server/alerts/alertrule.cpp, docs/config.md) are about, in words.
const TITLES = Object.freeze({
    'kernel-panic': 'Kernel panic',
    'kernel-oops': 'Kernel oops',
    'kernel-bug': 'Kernel BUG',
    'soft-lockup': 'Soft lockup',
    'hard-lockup': 'Hard lockup',
    'hung-task': 'Hung task',
    'oom-kill': 'Out of memory: process killed',
    'init-segfault': 'PID 1 crashed',
    'emergency-mode': 'Emergency mode',
    'rescue-mode': 'Rescue mode',
    'login-prompt': 'Login prompt',
    'cloud-init-finished': 'cloud-init finished',
    'linux-boot': 'Kernel booting',
});

// The rule's name in words, or null for a rule of the configuration's own.
export function ruleTitle(rule) {
    return Object.hasOwn(TITLES, rule) ? TITLES[rule] : null;
}

const two = (n) => String(n).padStart(2, '0');

// When the line was read (ISO 8601 from the server), as the page's local time of day,
// "03:12:44", with the date before it when it is not `now`'s day; the text as it came when it
// is not a time.
export function alertTime(time, now = new Date()) {
    const at = new Date(time);
    if (Number.isNaN(at.getTime()))
        return String(time);
    const clock = `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
    if (at.toDateString() === now.toDateString())
        return clock;
    return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${clock}`;
}

// "Kernel panic — kernel-panic (critical) at 03:12:44": what happened, before the line.
export function alertHeading(alert, now = new Date()) {
    const title = ruleTitle(alert.rule);
    const what = `${alert.rule} (${severityOf(alert)}) at ${alertTime(alert.time, now)}`;
    return title ? `${title} — ${what}` : what;
}

// The banner's text: the heading and the line, on one line.
export function bannerText(alert, now = new Date()) {
    return `${alertHeading(alert, now)}: ${oneLine(alert.line, 300)}`;
}

// The status bar's badge: {text, label (for screen readers and the tooltip)} given the number
// of alerts not yet seen and the number kept.
export function badgeText(unseen, total) {
    if (unseen > 0) {
        const noun = unseen === 1 ? 'alert' : 'alerts';
        return { text: `${unseen} ${noun}`, label: `${unseen} new ${noun} of ${total}: show the list` };
    }
    return { text: 'Alerts', label: `${total} alert${total === 1 ? '' : 's'}, all seen: show the list` };
}

// The banner's "+N more": alerts not yet seen besides the one it shows, or '' for none.
export function moreText(others) {
    return others > 0 ? `+${others} more` : '';
}

// Why a moment cannot be shown (moments.js's Gone), as a notice. `what` names it ("the line of
// kernel-panic", "offset 20480"); `floor` is the oldest offset the page has (or null).
export function goneNotice(gone, what, floor) {
    switch (gone) {
    case 'before':
        return `Cannot show ${what}: it came before the output this page has`
            + (floor === null ? '' : ` (from offset ${floor} on)`)
            + '; the console\'s history no longer holds it, or the page attached later';
    case 'scrollback':
        return `Cannot show ${what}: it has left this page's scrollback (Settings: Scrollback lines)`;
    case 'screen':
        return `Cannot show ${what} now: a full-screen program has the screen`;
    default:
        return `Cannot find ${what} in this page's terminal`;
    }
}

// The moment's highlight in the terminal, per severity and theme ('dark' or 'light'): the
// background of its line (decorations take #RRGGBB only).
export function momentColour(severity, theme) {
    const light = theme === 'light';
    switch (severity) {
    case 'critical':
        return light ? '#ffd3cf' : '#5e1e22';
    case 'warning':
        return light ? '#ffe8a8' : '#4f3b07';
    default:
        return light ? '#d4e5ff' : '#1f3a5c';
    }
}
