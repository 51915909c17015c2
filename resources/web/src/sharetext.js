// What the share dialog says and asks the server, without the DOM (node tests it): the lifetimes
// offered, where a console's links are asked for, the link's address, and the words for a link.

// Lifetimes the dialog offers, in seconds; the server takes 1 s to 24 h.
export const LIFETIMES = [
    { seconds: 15 * 60, label: '15 minutes' },
    { seconds: 60 * 60, label: '1 hour' },
    { seconds: 4 * 3600, label: '4 hours' },
    { seconds: 8 * 3600, label: '8 hours' },
    { seconds: 24 * 3600, label: '24 hours' },
];
export const DEFAULT_LIFETIME = 60 * 60;
export const MAX_LIFETIME = 24 * 3600;

// The console's links, relative to the page: "shares" on the console's own page (.../c/NAME/),
// "c/NAME/shares" on the root page of the default console. pageConsole is the name in the
// page's path (page.js's consoleNameFromPath), or null at the root.
export function sharesPath(pageConsole, consoleName) {
    return pageConsole !== null ? 'shares' : `c/${encodeURIComponent(consoleName)}/shares`;
}

// A link's address from the path the server gives ("share/TOKEN", relative to the server's root),
// built on the page's own address so that a reverse proxy's prefix is kept.
export function linkUrl(pageHref, pageConsole, path) {
    return new URL((pageConsole !== null ? '../../' : './') + path, pageHref).href;
}

// "in 59 min", "in 3 h 20 min", "in 40 s", "expired": how long is left until `expires` (ms).
export function timeLeft(expires, now) {
    const seconds = Math.round((expires - now) / 1000);
    if (seconds <= 0)
        return 'expired';
    if (seconds < 60)
        return `in ${seconds} s`;
    const minutes = Math.round(seconds / 60);
    if (minutes < 60)
        return `in ${minutes} min`;
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    return rest ? `in ${hours} h ${rest} min` : `in ${hours} h`;
}

// One line about a link of the list: "until 14:05 (in 59 min) · single-use · by alice".
export function linkSummary(link, now, clock = (d) => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })) {
    const expires = new Date(link.expires);
    const parts = [`until ${clock(expires)} (${timeLeft(expires.getTime(), now)})`];
    if (link.singleUse)
        parts.push(link.usedAt ? 'single-use, opened' : 'single-use');
    if (link.createdBy)
        parts.push(`by ${link.createdBy}`);
    return parts.join(' · ');
}

// Whether the client this page is (`you` of a clients event) is an operator: only operators are
// offered sharing (a viewer's, or a share link's, request would be refused anyway).
export function isOperator(clients) {
    const me = clients?.clients?.find((c) => c.id === clients.you);
    return me?.role === 'operator';
}
