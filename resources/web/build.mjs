// Bundles the page for the server: app.js and app.css from src/, plus index.html; and the replay
// page, replay.js and replay.css, plus replay.html.
//
//   node build.mjs --outdir DIR [--dev] [--watch]
//
// CMake runs this at build time with DIR in the build tree; the server embeds DIR's files as
// Qt resources under :/web/. With --watch it rebuilds on every change, for a server started
// with --web-root DIR.
import * as esbuild from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf('--outdir');
if (outIndex < 0 || !args[outIndex + 1]) {
    console.error('usage: node build.mjs --outdir DIR [--dev] [--watch]');
    process.exit(2);
}
const outdir = path.resolve(args[outIndex + 1]);
const dev = args.includes('--dev');
const watch = args.includes('--watch');

await mkdir(outdir, { recursive: true });

const copyIndex = {
    name: 'copy-index',
    setup(build) {
        build.onEnd(async (result) => {
            if (result.errors.length === 0) {
                await copyFile(path.join(here, 'index.html'), path.join(outdir, 'index.html'));
                // The replay page (/c/NAME/replay): replay.js and replay.css.
                await copyFile(path.join(here, 'replay.html'), path.join(outdir, 'replay.html'));
                // The wall (/wall): wall.js and wall.css.
                await copyFile(path.join(here, 'wall.html'), path.join(outdir, 'wall.html'));
            }
        });
    },
};

const options = {
    absWorkingDir: here,
    entryPoints: { app: path.join(here, 'src/app.js'), replay: path.join(here, 'src/replay.js'),
                   wall: path.join(here, 'src/wall.js') },
    outdir,
    bundle: true,
    format: 'iife',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: !dev,
    sourcemap: dev ? 'inline' : false,
    legalComments: 'eof',
    logLevel: 'warning',
    plugins: [copyIndex],
};

if (watch) {
    const context = await esbuild.context(options);
    await context.watch();
    console.log(`cloud-console web: watching, output in ${outdir}`);
} else {
    await esbuild.build(options);
}
