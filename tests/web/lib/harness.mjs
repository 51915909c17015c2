// What the browser tests share: a real cloud-console server on a real pty, headless Chromium
// driven by playwright-core, a TCP proxy the tests can cut, and nginx in front for sub-paths.
//
// Environment (set by tests/web/CMakeLists.txt):
//   CLOUD_CONSOLE_SERVER        the server binary
//   CLOUD_CONSOLE_NODE_MODULES  the page's node_modules (for playwright-core)
//   CLOUD_CONSOLE_TEST_OUTPUT   where screenshots go
//   CLOUD_CONSOLE_CHROMIUM      the browser (default /usr/bin/chromium)
//   CLOUD_CONSOLE_NGINX         nginx (default /usr/sbin/nginx)
//   CLOUD_CONSOLE_WEB_ROOT      optional: serve the page from this directory (--web-root)

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const env = process.env;
export const SERVER = env.CLOUD_CONSOLE_SERVER;
export const CHROMIUM = env.CLOUD_CONSOLE_CHROMIUM || '/usr/bin/chromium';
export const NGINX = env.CLOUD_CONSOLE_NGINX || '/usr/sbin/nginx';
export const OUTPUT = env.CLOUD_CONSOLE_TEST_OUTPUT || os.tmpdir();

if (!SERVER || !fs.existsSync(SERVER))
    throw new Error(`CLOUD_CONSOLE_SERVER must name the cloud-console binary (got ${SERVER})`);

const modules = env.CLOUD_CONSOLE_NODE_MODULES;
if (!modules)
    throw new Error('CLOUD_CONSOLE_NODE_MODULES must name the page\'s node_modules');
const require = createRequire(path.join(modules, 'noop.js'));
const { chromium } = require('playwright-core');

// Everything a test starts, stopped by cleanup() in reverse order.
const cleanups = [];
export function onCleanup(fn) {
    cleanups.push(fn);
}
export async function cleanup() {
    while (cleanups.length) {
        const fn = cleanups.pop();
        try {
            await fn();
        } catch (e) {
            console.error('cleanup:', e);
        }
    }
}

export function tempDir(prefix = 'cc-web-') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
}

// Polls `fn` until it returns a truthy value; fails with `what` after `timeoutMs`.
export async function waitFor(fn, what, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
        try {
            last = await fn();
            if (last)
                return last;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline)
            throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
        await sleep(50);
    }
}

// --- the console source ------------------------------------------------------------------------

function shellQuote(text) {
    return `'${text.replaceAll("'", "'\\''")}'`;
}

// A console source for --exec that the test controls byte for byte:
//  * the pty is put in raw mode without echo, so neither direction is translated;
//  * every byte typed on the page is appended to `input` (read it with inputBytes());
//  * every byte written with write() goes out as console output, in order.
// It prints `banner` (default "ready\r\n") once raw mode is on; `history` before that banner.
export function controlledSource({ history = '', banner = 'ready\r\n' } = {}) {
    const dir = tempDir('cc-source-');
    const fifo = path.join(dir, 'output.fifo');
    const input = path.join(dir, 'input.bin');
    const prelude = path.join(dir, 'prelude.bin');
    execFileSync('mkfifo', [fifo]);
    fs.writeFileSync(input, '');
    fs.writeFileSync(prelude, Buffer.concat([Buffer.from(history), Buffer.from(banner)]));
    // fd 4 keeps the pty for the background reader (an asynchronous list would otherwise read
    // /dev/null); the FIFO is opened read-write so it never reports end of file.
    const script = [
        'stty raw -echo -iexten',
        `exec 4<&0`,
        `cat <&4 >> ${shellQuote(input)} &`,
        `cat ${shellQuote(prelude)}`,
        `exec cat 0<> ${shellQuote(fifo)}`,
    ].join('\n');
    const scriptFile = path.join(dir, 'source.sh');
    fs.writeFileSync(scriptFile, `${script}\n`);
    const everything = [fs.readFileSync(prelude)];
    let written = everything[0].length;
    return {
        exec: `exec /bin/sh ${shellQuote(scriptFile)}`,
        dir,
        // Bytes the source has written so far: the absolute offset the server's counter reaches.
        get written() { return written; },
        write(data) {
            const bytes = Buffer.from(data);
            const fd = fs.openSync(fifo, 'w');
            try {
                fs.writeSync(fd, bytes);
            } finally {
                fs.closeSync(fd);
            }
            written += bytes.length;
            everything.push(bytes);
        },
        // Every byte of console output so far, in order.
        output() {
            return Buffer.concat(everything);
        },
        inputBytes() {
            return fs.readFileSync(input);
        },
    };
}

// --- the server --------------------------------------------------------------------------------

// Starts cloud-console; resolves once it printed its URL. Options: name, exec, historySize,
// listen (default 127.0.0.1:0), markers (default off, so tests compare the guest's bytes alone),
// extra (more arguments), cwd and env (for the server and so for the command it runs).
// `config` (the text of a configuration file) serves the consoles it declares instead: it is
// written to a file for --config, and name, exec and historySize do not apply. server.url is
// then the first console's URL (the root with one console), server.base the root.
export async function startServer({ name = 'default', exec, historySize, listen = '127.0.0.1:0',
                                    markers = false, extra = [], cwd, config,
                                    env: extraEnv = {} } = {}) {
    const args = ['--listen', listen];
    if (config !== undefined) {
        const file = path.join(tempDir('cc-config-'), 'cloud-console.conf');
        fs.writeFileSync(file, config);
        args.push('--config', file);
    } else {
        args.push('--name', name);
    }
    if (!markers)
        args.push('--no-markers');
    if (exec && config === undefined)
        args.push('--exec', exec);
    if (historySize && config === undefined)
        args.push('--history-size', String(historySize));
    if (env.CLOUD_CONSOLE_WEB_ROOT)
        args.push('--web-root', env.CLOUD_CONSOLE_WEB_ROOT);
    args.push(...extra);
    const child = spawn(SERVER, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd,
        env: { ...process.env, ...extraEnv },
    });
    let output = '';
    let exited = null;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('exit', (code, signal) => { exited = { code, signal }; });
    const server = {
        child,
        args,
        get output() { return output; },
        get exited() { return exited; },
        async stop() {
            if (exited)
                return;
            const done = new Promise((resolve) => child.once('exit', resolve));
            child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
            await done;
            clearTimeout(timer);
        },
    };
    onCleanup(() => server.stop());
    const match = await waitFor(() => {
        if (exited)
            throw new Error(`cloud-console exited (${JSON.stringify(exited)}): ${output}`);
        return /serving console "([^"]*)" at (http:\/\/[^\s]+)/.exec(output);
    }, `cloud-console ${args.join(' ')} to print its URL`);
    server.url = match[2];
    server.port = Number(new URL(server.url).port);
    server.base = new URL('/', server.url).href;
    return server;
}

// --- the browser -------------------------------------------------------------------------------

const CHROMIUM_ARGS = [
    '--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run', '--disable-sync',
];

// `contextOptions` go to playwright's context as they are: {hasTouch, isMobile,
// deviceScaleFactor} for a phone, say.
export async function launchBrowser({ viewport = { width: 1000, height: 600 }, permissions = [],
                                      contextOptions = {} } = {}) {
    const profile = tempDir('cc-chromium-');
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport,
        acceptDownloads: true,
        args: CHROMIUM_ARGS,
        ...contextOptions,
    });
    onCleanup(() => context.close());
    if (permissions.length)
        await context.grantPermissions(permissions);
    const page = context.pages()[0] || await context.newPage();
    const log = [];
    page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    page.consoleLog = log;
    return { context, page };
}

// One browser for several people: each context (newPage()) has its own cookies, so each can log
// in as someone else, at the cost of one Chromium. Resolves to {newPage(options)}, where
// newPage resolves to {context, page} as launchBrowser does.
export async function launchPeople() {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    onCleanup(() => browser.close());
    return {
        async newPage({ viewport = { width: 1000, height: 600 }, permissions = [], ...options } = {}) {
            const context = await browser.newContext({ viewport, ...options });
            if (permissions.length)
                await context.grantPermissions(permissions);
            const page = await context.newPage();
            const log = [];
            page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
            page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
            page.consoleLog = log;
            return { context, page };
        },
    };
}

// Waits until the page's terminal shows `text` (visible rows, or the whole buffer).
export async function waitForText(page, text, { whole = false, timeoutMs = 15000 } = {}) {
    return waitFor(() => page.evaluate(([t, w]) => {
        const cc = window.cloudConsole;
        return cc && (w ? cc.bufferText() : cc.visibleText()).includes(t);
    }, [text, whole]), `the page to show ${JSON.stringify(text)}`, timeoutMs);
}

export async function waitForState(page, state, timeoutMs = 15000) {
    return waitFor(() => page.evaluate((s) => window.cloudConsole?.state === s, state),
                   `the page to be ${state}`, timeoutMs);
}

export function cc(page, expression) {
    return page.evaluate(`(() => { const cc = window.cloudConsole; return (${expression}); })()`);
}

// A protocol v1 client of the test's own, for what a test sends or watches on the wire itself
// (another operator's resize, the `size` events every client gets): a real browser WebSocket,
// opened from a page of the server's origin (the server checks the Origin of upgrades). It
// keeps every text message, decoded, and the length of every binary one.
export async function protocolClient(context, pageUrl) {
    const page = await context.newPage();
    await page.goto(new URL('/healthz', pageUrl).href);
    const url = new URL('ws', pageUrl);
    url.protocol = 'ws:';
    await page.evaluate((wsUrl) => new Promise((resolve, reject) => {
        const ws = new WebSocket(wsUrl, ['cloud-console.v1']);
        ws.binaryType = 'arraybuffer';
        window.received = [];
        window.socket = ws;
        ws.onmessage = (event) => window.received.push(typeof event.data === 'string'
            ? JSON.parse(event.data) : { binary: event.data.byteLength });
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error(`cannot open ${wsUrl}`));
    }), url.href);
    return {
        messages: () => page.evaluate(() => window.received),
        send: (message) => page.evaluate((text) => window.socket.send(text), JSON.stringify(message)),
        close: () => page.close(),
    };
}

export async function screenshot(page, name) {
    fs.mkdirSync(OUTPUT, { recursive: true });
    const file = path.join(OUTPUT, name);
    await page.screenshot({ path: file });
    return file;
}

// --- a TCP proxy the test can cut --------------------------------------------------------------

// Forwards 127.0.0.1:<port> to `target`. cut() drops every connection and refuses new ones
// until restore(); stall() keeps the connections open but forwards nothing (and accepts no new
// ones) until unstall(). requests lists the first line of each HTTP request seen.
export async function startProxy(targetPort) {
    const sockets = new Set();
    const pipes = new Set();
    const requests = [];
    let refusing = false;
    const server = net.createServer((client) => {
        if (refusing) {
            client.destroy();
            return;
        }
        const upstream = net.connect(targetPort, '127.0.0.1');
        sockets.add(client);
        sockets.add(upstream);
        let first = true;
        client.on('data', (chunk) => {
            if (first) {
                requests.push(chunk.toString('latin1').split('\r\n')[0]);
                first = false;
            }
        });
        client.pipe(upstream);
        upstream.pipe(client);
        pipes.add({ client, upstream });
        const close = () => {
            client.destroy();
            upstream.destroy();
            sockets.delete(client);
            sockets.delete(upstream);
            for (const p of pipes) {
                if (p.client === client)
                    pipes.delete(p);
            }
        };
        client.on('error', close);
        upstream.on('error', close);
        client.on('close', close);
        upstream.on('close', close);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = {
        port: server.address().port,
        requests,
        cut() {
            refusing = true;
            for (const s of sockets)
                s.destroy();
            sockets.clear();
        },
        restore() {
            refusing = false;
        },
        // Stops forwarding in both directions without closing anything, like a network that
        // silently loses every packet.
        stall() {
            for (const { client, upstream } of pipes) {
                client.unpipe(upstream);
                upstream.unpipe(client);
                client.pause();
                upstream.pause();
            }
            refusing = true;
        },
        // The server's data stays unread (its socket fills up, as with a slow client) while the
        // connections stay open; release() forwards it again.
        hold() {
            for (const { client, upstream } of pipes) {
                upstream.unpipe(client);
                upstream.pause();
            }
        },
        release() {
            for (const { client, upstream } of pipes) {
                upstream.pipe(client);
                upstream.resume();
            }
        },
        unstall() {
            for (const { client, upstream } of pipes) {
                client.destroy();
                upstream.destroy();
            }
            pipes.clear();
            refusing = false;
        },
        close() {
            proxy.cut();
            return new Promise((resolve) => server.close(resolve));
        },
    };
    onCleanup(() => proxy.close());
    return proxy;
}

// --- nginx -------------------------------------------------------------------------------------

export async function freePort() {
    const server = net.createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    await new Promise((resolve) => server.close(resolve));
    return port;
}

// Starts nginx on a free loopback port, proxying `prefix` (e.g. "/consoles/") to the server
// at `targetPort`, WebSocket upgrades included. Resolves to {port, url}.
export async function startNginx(targetPort, prefix) {
    return startNginxRoutes([{ prefix, port: targetPort }]);
}

// nginx routing each of `routes` ({prefix, port, headers: {NAME: VALUE}, bind}) to a server on
// that loopback port, as a fleet's proxy does (docs/deployment.md); `headers` are set on the
// proxied requests (a single sign-on's user header, say), and `bind` is the address nginx
// connects from (127.0.0.2, to tell the proxy from a client on 127.0.0.1). Resolves to {port, url (of the first route),
// origin, dir, logs()}.
export async function startNginxRoutes(routes) {
    const prefix = routes[0].prefix;
    if (!fs.existsSync(NGINX))
        throw new Error(`nginx not found at ${NGINX} (Debian package nginx-light)`);
    const dir = tempDir('cc-nginx-');
    const port = await freePort();
    for (const sub of ['logs', 'tmp'])
        fs.mkdirSync(path.join(dir, sub));
    const config = `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log info;
events { worker_connections 64; }
http {
    access_log ${dir}/logs/access.log;
    client_body_temp_path ${dir}/tmp/body;
    proxy_temp_path ${dir}/tmp/proxy;
    fastcgi_temp_path ${dir}/tmp/fastcgi;
    uwsgi_temp_path ${dir}/tmp/uwsgi;
    scgi_temp_path ${dir}/tmp/scgi;
    map $http_upgrade $connection_upgrade {
        default upgrade;
        '' close;
    }
    server {
        listen 127.0.0.1:${port};
${routes.map((route) => `
        location ${route.prefix} {
            proxy_pass http://127.0.0.1:${route.port}/;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
${Object.entries(route.headers ?? {}).map(([name, value]) => `            proxy_set_header ${name} "${value}";`).join('\n')}
${route.bind ? `            proxy_bind ${route.bind};` : ''}
            proxy_connect_timeout 2s;
            proxy_read_timeout 1h;
            proxy_buffering off;
        }`).join('')}
        location / {
            return 404 "only ${routes.map((r) => r.prefix).join(' ')} proxied\\n";
        }
    }
}
`;
    const configFile = path.join(dir, 'nginx.conf');
    fs.writeFileSync(configFile, config);
    const child = spawn(NGINX, ['-p', dir, '-c', configFile, '-e', path.join(dir, 'logs/error.log')],
                        { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    let exited = null;
    child.on('exit', (code) => { exited = code; });
    onCleanup(async () => {
        if (exited !== null)
            return;
        const done = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await done;
    });
    await waitFor(() => {
        if (exited !== null)
            throw new Error(`nginx exited (${exited}): ${output}`);
        return new Promise((resolve) => {
            const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
            socket.on('error', () => resolve(false));
        });
    }, 'nginx to listen');
    return { port, url: `http://127.0.0.1:${port}${prefix}`, origin: `http://127.0.0.1:${port}`, dir, logs: () => {
        const read = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
        return read(path.join(dir, 'logs/error.log')) + read(path.join(dir, 'logs/access.log'));
    } };
}
