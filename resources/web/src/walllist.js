// The wall's decisions that need no browser: which tiles a filter lets through, which hosts the
// wall shows, and the words of a tile. wall.js and walltile.js use them; tests run them in node.

// "3 s", "5 min", "2 h": how long ago the console last printed.
export function ageText(seconds) {
    if (seconds === null || seconds === undefined)
        return 'never';
    if (seconds < 60)
        return `${Math.floor(seconds)} s ago`;
    if (seconds < 3600)
        return `${Math.floor(seconds / 60)} min ago`;
    if (seconds < 86400)
        return `${Math.floor(seconds / 3600)} h ago`;
    return `${Math.floor(seconds / 86400)} d ago`;
}

// The alert counts a tile shows: {critical, warning, info} of a consoles.json entry.
export function alertCounts(entry) {
    const alerts = entry?.alerts ?? {};
    return { critical: alerts.critical ?? 0, warning: alerts.warning ?? 0, info: alerts.info ?? 0 };
}

// What filters let through: {name (substring, any case), state ('' any, 'alert': an open
// critical or warning, else the state), host ('' any)}.
export function passes(tile, filter) {
    if (filter.name && !tile.name.toLowerCase().includes(filter.name.toLowerCase()))
        return false;
    if (filter.host && tile.host.name !== filter.host)
        return false;
    if (filter.state === 'alert')
        return tile.alert === 'critical' || tile.alert === 'warning';
    if (filter.state && tile.state !== filter.state)
        return false;
    return true;
}

// The hosts of the wall: this server, then fleet.json's others. Each {name, prefix, self}.
export function hostsFrom(fleet, selfPrefix) {
    const hosts = [{ name: fleet?.self || 'this server', prefix: selfPrefix, self: true }];
    for (const host of fleet?.hosts ?? []) {
        if (typeof host?.name !== 'string' || typeof host?.prefix !== 'string')
            continue;
        const prefix = new URL(host.prefix.endsWith('/') ? host.prefix : `${host.prefix}/`, selfPrefix).href;
        if (hosts.some((h) => h.prefix === prefix))
            continue;
        hosts.push({ name: host.name, prefix, self: false });
    }
    return hosts;
}

