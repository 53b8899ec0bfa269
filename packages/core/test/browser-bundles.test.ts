import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// Every published entry meant for browsers bundles for `platform: 'browser'` without a Node
// built-in (esbuild fails on any it cannot resolve: `fs`, `node:path`, `events`, ...). The
// Node-only entries are listed with the reason; a new entry is a browser entry unless added here.
const root = resolve(__dirname, '../../..');
const NODE_ONLY: Record<string, string> = {
  '@selfsup/datasets': 'downloads, the file cache and tar/gzip archives',
  '@selfsup/datasets/formats': 'gunzips with zlib',
  '@selfsup/datasets/sources': 'reads official archives from disk',
  '@selfsup/datasets/cache': 'the file cache',
  '@selfsup/eval/report': 'writes the report files (and sharp renders PNGs)',
  '@selfsup/train': 'the Trainer writes run directories and handles process signals',
  '@selfsup/train/config': 'reads config files',
  '@selfsup/train/run-dir': 'checkpoint and metrics files',
  '@selfsup/train/study': 'runs studies as processes on disk',
  '@selfsup/wasm-kernels/node': 'the Node entry: threads and the XNNPACK binary from node_modules',
};
// Peers the user installs (tfjs and its backends, the report's plotting stack) stay external.
const EXTERNAL = ['@tensorflow/*', 'vega', 'vega-lite', 'sharp', 'umap-js', 'webgpu', 'vitest'];

function entries(): { name: string; file: string }[] {
  const out: { name: string; file: string }[] = [];
  for (const dir of readdirSync(join(root, 'packages'))) {
    const manifestFile = join(root, 'packages', dir, 'package.json');
    if (!existsSync(manifestFile)) continue;
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { name: string; private?: boolean; exports?: Record<string, { import?: { default?: string } }> };
    if (manifest.private) continue;
    for (const [sub, target] of Object.entries(manifest.exports ?? {})) {
      const file = target?.import?.default;
      if (!file?.endsWith('.js')) continue;
      out.push({ name: sub === '.' ? manifest.name : `${manifest.name}/${sub.slice(2)}`, file: join(root, 'packages', dir, file) });
    }
  }
  return out;
}

describe('browser bundles', () => {
  const all = entries();
  const browser = all.filter((e) => !(e.name in NODE_ONLY));

  it('knows every entry (and lists only real ones as Node-only)', () => {
    expect(browser.length).toBeGreaterThanOrEqual(10);
    for (const name of Object.keys(NODE_ONLY)) expect(all.map((e) => e.name), name).toContain(name);
  });

  it.each(browser.map((e) => [e.name, e.file]))('%s bundles for the browser without Node built-ins', async (name, file) => {
    expect(existsSync(file), `build ${name} first`).toBe(true);
    const result = await build({ entryPoints: [file], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', external: EXTERNAL }).catch(
      (error: { errors: { text: string; location?: { file: string } }[] }) => error.errors.map((e) => `${e.text} (${e.location?.file})`),
    );
    expect(Array.isArray(result) ? result : []).toEqual([]);
  });
});
