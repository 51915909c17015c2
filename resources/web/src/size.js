// The console's size, as the page sees it.
//
// The console has one size, the server's (the hello's `size`, then `size` events and screens),
// and the page's terminal always has it: every client shows the same grid, so a full-screen
// program looks the same in each. The window only matters when the person asks for the
// console to take its size: the "Fit to window" action, or, with the "follow the window"
// setting on, when the window's size changes or the page connects. The page never sends a
// `resize` because of a `size` or a `screen`: the console's size does not depend on the page's
// terminal, so two pages cannot resize each other back and forth.
//
// Also here: what the page does about a window whose size is not the console's (watching it
// change, scrolling what does not fit). No state at module level.

// What fitting the console to this window would send: {cols, rows}, or {why} when nothing is
// to be sent. `proposal` is what fits the window (FitAddon.proposeDimensions(), undefined
// while the terminal is not laid out); `hello` the connection's last hello (with the current
// size), or null.
export function fitRequest(proposal, hello) {
    if (!hello)
        return { why: 'not connected' };
    if (!hello.writable)
        return { why: 'this page is read-only' };
    if (!hello.capabilities.resize)
        return { why: 'this console does not support resizing' };
    if (!proposal || !Number.isFinite(proposal.cols) || !Number.isFinite(proposal.rows))
        return { why: 'the window has no size yet' };
    const { cols, rows } = proposal;
    if (cols === hello.size.cols && rows === hello.size.rows)
        return { why: `the console is already ${cols}×${rows}` };
    return { cols, rows };
}

// Scrolls `area` (a scrolling element) as little as it takes to show `element`, which is inside
// it, with a margin around it.
export function keepInView(area, element, margin = 8) {
    if (area.scrollHeight <= area.clientHeight && area.scrollWidth <= area.clientWidth)
        return; // nothing to scroll
    const rect = element.getBoundingClientRect();
    const box = area.getBoundingClientRect();
    const bottom = box.top + area.clientHeight;
    const right = box.left + area.clientWidth;
    if (rect.bottom > bottom)
        area.scrollTop += rect.bottom - bottom + margin;
    else if (rect.top < box.top)
        area.scrollTop -= box.top - rect.top + margin;
    if (rect.right > right)
        area.scrollLeft += rect.right - right + margin;
    else if (rect.left < box.left)
        area.scrollLeft -= box.left - rect.left + margin;
}

// Calls `onChange` once a change of `element`'s size has settled (a window drag fires many).
// Only the element's own box counts: scroll bars that come and go inside it when the terminal
// grows do not, and neither does the terminal changing size within it. Returns a function that
// stops watching.
export function watchSize(element, onChange, settleMs = 250) {
    let last = null;
    let timer = null;
    const observer = new ResizeObserver(([entry]) => {
        const [box] = entry.borderBoxSize;
        const size = `${Math.round(box.inlineSize)}x${Math.round(box.blockSize)}`;
        if (last === null || size === last) {
            last = size; // the first report is the size the page started with, not a change
            return;
        }
        last = size;
        clearTimeout(timer);
        timer = setTimeout(onChange, settleMs);
    });
    observer.observe(element, { box: 'border-box' });
    return () => {
        clearTimeout(timer);
        observer.disconnect();
    };
}
