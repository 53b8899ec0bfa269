// Bundles the page and the training worker with esbuild into dist/, with tfjs-wasm's binaries
// in dist/wasm/. `--serve` rebuilds on change and serves the page (see serve.mjs).
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** esbuild settings: ES modules for current browsers (module workers, top-level await). */
const options = {
  absWorkingDir: ROOT,
  entryPoints: { main: 'src/main.ts', worker: 'src/worker.ts' },
  outdir: DIST,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome113', 'firefox121', 'safari17'],
  sourcemap: true,
  logLevel: 'warning',
};

async function copyStatic() {
  await mkdir(join(DIST, 'wasm'), { recursive: true });
  await copyFile(join(ROOT, 'src', 'index.html'), join(DIST, 'index.html'));
  const wasmDist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  for (const file of WASM_FILES) await copyFile(join(wasmDist, file), join(DIST, 'wasm', file));
}

export async function build({ minify = true } = {}) {
  await esbuild.build({ ...options, minify });
  await copyStatic();
  return DIST;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--serve')) {
    const { startServer } = await import('./serve.mjs');
    const context = await esbuild.context({ ...options, plugins: [{ name: 'static', setup: (b) => b.onEnd(copyStatic) }] });
    await context.watch();
    const { url } = await startServer({ port: Number(process.env.PORT ?? 5173), dev: true });
    console.log(`selfsup browser example: ${url} (rebuilds on change; Ctrl-C stops)`);
  } else {
    await build();
    console.log(`built ${DIST}`);
  }
}
