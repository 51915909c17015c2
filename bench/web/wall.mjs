// What the wall's visibility rule saves: a wall of N consoles, each printing a line every
// 50 ms, in headless Chromium, with tiles attached only while on screen (the default) against
// every tile attached (?attach=all). Per mode and round, over a measured window: the browser's
// CPU time (all its processes), the renderer's main-thread busy time and script time (Chrome's Performance.getMetrics TaskDuration and
// ScriptDuration), its JS heap at the end, the WebSockets the server serves, and the server's
// CPU time. Modes alternate within each round, on one server, so the machine's load hits both.
//
//   CLOUD_CONSOLE_SERVER=build/server/cloud-console \
//   CLOUD_CONSOLE_NODE_MODULES=$PWD/resources/web/node_modules \
//   node bench/web/wall.mjs [--consoles 50] [--seconds 10] [--rounds 3] [--quiet]
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { cleanup, launchBrowser, startServer, waitFor } from '../../tests/web/lib/harness.mjs';

const arg = (name, fallback) => {
    const at = process.argv.indexOf(`--${name}`);
    return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const consoles = arg('consoles', 50);
const seconds = arg('seconds', 10);
const rounds = arg('rounds', 3);
// --quiet: consoles that print one line and nothing more, for the page's own floor.
const quiet = process.argv.includes('--quiet');

const clockTicks = 100; // sysconf(_SC_CLK_TCK) on Linux
const serverCpuMs = (pid) => {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks; // utime + stime
};
// CPU time of the browser: every chromium process under this one (the server is not one).
// CPU time, unlike the renderer's task durations, does not grow when other processes take the
// cores.
const browserCpuMs = () => {
    const parents = new Map();
    const names = new Map();
    for (const entry of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(entry))
            continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
            const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
            const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
            parents.set(Number(entry), Number(fields[1]));
            names.set(Number(entry), { name, cpu: ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks });
        } catch (e) {
            // gone meanwhile
        }
    }
    const under = (pid) => {
        for (let p = parents.get(pid); p; p = parents.get(p)) {
            if (p === process.pid)
                return true;
        }
        return false;
    };
    let total = 0;
    for (const [pid, { name, cpu }] of names) {
        if (name.startsWith('chrom') && under(pid))
            total += cpu;
    }
    return total;
};
const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
};

let config = '[server]\nlisten = 127.0.0.1:0\nmarkers = off\n';
for (let i = 1; i <= consoles; i += 1) {
    config += quiet
        ? `\n[console vm${String(i).padStart(2, '0')}]\nsource = exec:echo vm${i}; exec cat\n`
        : `\n[console vm${String(i).padStart(2, '0')}]\nsource = exec:i=0; while :; do `
            + `i=$((i+1)); echo "vm${i} line $i $(date +%T.%N)"; sleep 0.05; done\n`;
}
const server = await startServer({ config });
const results = { visible: [], all: [] };
try {
    for (let round = 1; round <= rounds; round += 1) {
        for (const mode of round % 2 ? ['visible', 'all'] : ['all', 'visible']) {
            const { context, page } = await launchBrowser({ viewport: { width: 1280, height: 800 } });
            const cdp = await context.newCDPSession(page);
            await cdp.send('Performance.enable');
            await page.goto(new URL(mode === 'all' ? 'wall?attach=all' : 'wall', server.base).href);
            await waitFor(() => page.evaluate((n) => window.cloudWall?.tiles().length === n, consoles),
                          'every tile', 30000);
            await sleep(3000); // attached, screens drawn
            const metrics = async () => Object.fromEntries(
                (await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
            const before = await metrics();
            const cpuBefore = serverCpuMs(server.child.pid);
            const browserBefore = browserCpuMs();
            await sleep(seconds * 1000);
            const after = await metrics();
            const cpuAfter = serverCpuMs(server.child.pid);
            const browserAfter = browserCpuMs();
            const list = await (await fetch(new URL('consoles.json', server.base))).json();
            const row = {
                browserCpuMsPerS: (browserAfter - browserBefore) / seconds,
                busyMsPerS: ((after.TaskDuration - before.TaskDuration) * 1000) / seconds,
                scriptMsPerS: ((after.ScriptDuration - before.ScriptDuration) * 1000) / seconds,
                heapMB: after.JSHeapUsedSize / 1048576,
                sockets: list.consoles.reduce((sum, c) => sum + c.clients, 0),
                serverCpuMsPerS: (cpuAfter - cpuBefore) / seconds,
            };
            results[mode].push(row);
            console.log(`round ${round} ${mode}: ${JSON.stringify(row, (k, v) => (typeof v === 'number' ? Number(v.toFixed(1)) : v))}`);
            await context.close();
        }
    }
} finally {
    await cleanup();
}

const keys = ['browserCpuMsPerS', 'busyMsPerS', 'scriptMsPerS', 'heapMB', 'sockets', 'serverCpuMsPerS'];
console.log(`\n${consoles} consoles, ${seconds} s windows, ${rounds} rounds: medians (all / visible)`);
console.log(`| figure | on screen only | every tile | ratio |`);
console.log(`| --- | --- | --- | --- |`);
for (const key of keys) {
    const on = median(results.visible.map((r) => r[key]));
    const off = median(results.all.map((r) => r[key]));
    console.log(`| ${key} | ${on.toFixed(1)} | ${off.toFixed(1)} | ${(off / Math.max(on, 1e-9)).toFixed(1)}x |`);
}
