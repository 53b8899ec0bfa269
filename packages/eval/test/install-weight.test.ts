/**
 * Issue 21: installing @selfsup/eval for kNN alone must not pull in the report's plotting stack
 * (vega, vega-lite, sharp, umap-js: +63 MB, ~99 packages). They are optional peers, loaded only
 * by `@selfsup/eval/report`. Checks the manifest, the production dependency closure, the built
 * main entry, and a real Node resolution in a node_modules that lacks them. Needs `pnpm build`
 * first (turbo's `test` task depends on it).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPORT_INSTALL, REPORT_PEERS } from '../src/report/peers';

const run = promisify(execFile);
const pkgDir = resolve(__dirname, '..');
const dist = join(pkgDir, 'dist');
const HEAVY = ['vega', 'vega-lite', 'sharp', 'umap-js'] as const;

interface Manifest {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
  exports: Record<string, unknown>;
}
const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Manifest;

/** Whether `name` is a heavy package or one of its subpaths/relatives (vega-*, @img/sharp-*). */
function isHeavy(name: string): boolean {
  return /^(vega|vega-.+|sharp|umap-js|@img\/sharp.*)(\/.*)?$/.test(name);
}

/** Every bare specifier a built file imports or requires (static, dynamic, re-export). */
function bareImports(code: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) found.add(m[1]);
  return [...found];
}

/** `file` and every file it reaches through relative imports (tsup's shared chunks), with their bare imports. */
function importsOfEntry(file: string): { files: string[]; bare: string[] } {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const spec of bareImports(readFileSync(path, 'utf8'))) {
      if (spec.startsWith('.')) visit(resolve(dirname(path), spec));
      else bare.add(spec);
    }
  };
  visit(file);
  return { files: [...seen], bare: [...bare] };
}

function requireBuilt(file: string): string {
  const path = join(dist, file);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`pnpm --filter @selfsup/eval build\` first`);
  return path;
}

describe('package.json', () => {
  it('keeps vega, vega-lite, sharp and umap-js out of dependencies: optional peers, pinned, and dev dependencies for our tests', () => {
    expect(Object.keys(manifest.dependencies ?? {}).filter(isHeavy)).toEqual([]);
    for (const name of HEAVY) {
      expect(manifest.peerDependencies?.[name], name).toBe(REPORT_PEERS[name]);
      expect(manifest.peerDependenciesMeta?.[name]?.optional, name).toBe(true);
      expect(manifest.devDependencies?.[name], name).toBe(REPORT_PEERS[name]);
    }
    expect(REPORT_INSTALL).toBe('npm install vega@5.33.1 vega-lite@5.23.0 sharp@0.35.5 umap-js@1.4.0');
  });

  it('exports the report as a subpath with import, require and types, like the main entry', () => {
    expect(manifest.exports['./report']).toEqual({
      import: { types: './dist/report.d.ts', default: './dist/report.js' },
      require: { types: './dist/report.d.cts', default: './dist/report.cjs' },
    });
  });
});

describe('production dependency closure', () => {
  it('contains none of the report libraries (pnpm list --prod)', async (ctx) => {
    const pnpm = process.env.npm_execpath && /pnpm/.test(process.env.npm_execpath) ? process.env.npm_execpath : 'pnpm';
    const command = pnpm.endsWith('.js') || pnpm.endsWith('.cjs') ? [process.execPath, pnpm] : [pnpm];
    let stdout: string;
    try {
      ({ stdout } = await run(command[0], [...command.slice(1), 'list', '--prod', '--depth', 'Infinity', '--json'], { cwd: pkgDir, maxBuffer: 64 << 20 }));
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return ctx.skip(`pnpm not found (${pnpm}); the closure check needs it`);
      throw error;
    }
    const [root] = JSON.parse(stdout) as { dependencies?: Record<string, Dep> }[];
    interface Dep { version: string; dependencies?: Record<string, Dep> }
    const closure = new Map<string, string[]>(); // name@version → how it is reached
    const walk = (deps: Record<string, Dep> | undefined, via: string[]) => {
      for (const [name, dep] of Object.entries(deps ?? {})) {
        const key = `${name}@${dep.version}`;
        if (closure.has(key)) continue;
        closure.set(key, [...via, name]);
        walk(dep.dependencies, [...via, name]);
      }
    };
    walk(root.dependencies, []);
    const heavy = [...closure].filter(([key]) => isHeavy(key.slice(0, key.lastIndexOf('@')))).map(([key, via]) => `${key} via ${via.join(' > ')}`);
    expect(heavy).toEqual([]);
    expect([...closure.keys()].some((key) => key.startsWith('ml-matrix@'))).toBe(true); // the walk sees real dependencies
    expect(closure.size).toBeLessThan(30); // 98 with the report libraries, 11 without
  });
});

describe('built main entry', () => {
  it('imports none of the report libraries (dist/index.js with its chunks, dist/index.cjs)', () => {
    const esm = importsOfEntry(requireBuilt('index.js'));
    const cjs = importsOfEntry(requireBuilt('index.cjs'));
    expect(esm.bare.filter(isHeavy)).toEqual([]);
    expect(cjs.bare.filter(isHeavy)).toEqual([]);
    expect(esm.bare).toContain('ml-matrix');
    expect(cjs.bare).toContain('ml-matrix');
    // The scan does find them where they are: in the report entry.
    for (const file of ['report.js', 'report.cjs']) {
      expect(importsOfEntry(requireBuilt(file)).bare.filter(isHeavy).sort()).toEqual(['sharp', 'umap-js', 'vega', 'vega-lite']);
    }
  });
});

/** The names of an entry's declarations (`export { a as B, type C, D }` lines of a .d.ts). */
function declaredNames(file: string): string[] {
  const names: string[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(/^export \{([^}]*)\}/gm)) {
    for (const item of m[1].split(',')) names.push(item.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop() as string);
  }
  return names.sort();
}

// Issue 18: the main entry is a table of contents of what a user composes. Internals (math
// helpers, input checks) stay private; the report, UMAP, the layer table and the metrics reader
// are in @selfsup/eval/report.
const MAIN_VALUES = ['EvalError', 'alignment', 'effectiveRank', 'embed', 'extractLayerFeatures', 'knnAccuracy', 'knnPredict', 'layerStudy', 'linearProbe', 'uniformity'];
const MAIN_TYPES = [
  'AlignmentOptions', 'EffectiveRankOptions', 'EmbedImages', 'EmbedOptions', 'EmbeddingBackbone', 'Embeddings', 'ExtractOptions',
  'KnnOptions', 'KnnResult', 'LabelledImages', 'LabelsLike', 'LayerFeatures', 'LayerStudyOptions', 'LayerStudyResult',
  'LayerStudyRow', 'LayeredHead', 'LinearProbeOptions', 'LinearProbeResult', 'TappedBackbone', 'UniformityOptions',
];

describe('main entry surface', () => {
  it('declares exactly its 30 names, values and types (dist/index.d.ts, dist/index.d.cts)', () => {
    const expected = [...MAIN_VALUES, ...MAIN_TYPES].sort();
    expect(expected.length).toBeLessThanOrEqual(30);
    expect(declaredNames(requireBuilt('index.d.ts'))).toEqual(expected);
    expect(declaredNames(requireBuilt('index.d.cts'))).toEqual(expected);
  });
});

describe('installed without the report libraries', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the main entry imports and runs kNN; the report entry imports and its functions name what to install', async () => {
    requireBuilt('index.js');
    requireBuilt('report.cjs');
    // node_modules/@selfsup/eval is a copy (so the report libraries in our own node_modules are
    // out of reach); its real dependencies and tfjs are links to the workspace's copies.
    dir = await mkdtemp(join(tmpdir(), 'selfsup-eval-install-'));
    const modules = join(dir, 'node_modules');
    const evalDir = join(modules, '@selfsup', 'eval');
    await mkdir(evalDir, { recursive: true });
    await cp(join(pkgDir, 'package.json'), join(evalDir, 'package.json'));
    await cp(dist, join(evalDir, 'dist'), { recursive: true });
    for (const name of ['@selfsup/core', 'ml-matrix', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu']) {
      await mkdir(dirname(join(modules, name)), { recursive: true });
      await symlink(realpathSync(join(pkgDir, 'node_modules', name)), join(modules, name), 'dir');
    }
    await writeFile(
      join(dir, 'check.mjs'),
      `
import { createRequire } from 'node:module';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as evalEsm from '@selfsup/eval';
import * as report from '@selfsup/eval/report';
const require = createRequire(import.meta.url);
const evalCjs = require('@selfsup/eval');
const reportCjs = require('@selfsup/eval/report');
await tf.setBackend('cpu');
const bank = tf.tensor2d([[1, 0], [0, 1], [1, 0.1], [0.1, 1]]);
const knn = await evalEsm.knnAccuracy(bank, [0, 1, 0, 1], bank, [0, 1, 0, 1], { k: 2 });
const reachable = ${JSON.stringify([...HEAVY])}.filter((name) => { try { require.resolve(name); return true; } catch { return false; } });
const fail = (p) => p.then(() => ({ ok: true }), (e) => ({ name: e.name, code: e.code, message: e.message }));
console.log(JSON.stringify({
  reachable,
  esmMain: Object.keys(evalEsm).sort(),
  cjsMain: Object.keys(evalCjs).filter((k) => k !== '__esModule').sort(),
  esmReport: Object.keys(report).sort(),
  cjsReport: Object.keys(reportCjs).filter((k) => k !== '__esModule').sort(),
  sharedError: [[report, evalEsm], [reportCjs, evalCjs]].map(([r, m]) => { try { r.parseMetricsJsonl('{\\n'); } catch (e) { return e instanceof m.EvalError; } }),
  knn: knn.accuracy,
  writeReport: await fail(report.writeReport('${join(dir, 'report').replace(/\\/g, '/')}', { metrics: [{ step: 0, loss: 1 }], png: false })),
  svgToPng: await fail(reportCjs.svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')),
  embed2d: await fail(report.embed2d(tf.randomNormal([40, 4]), Array.from({ length: 40 }, (_, i) => i % 2))),
}));
`,
    );
    // pnpm's bin shims (vitest's too) put the hoisted node_modules/.pnpm/node_modules, where vega
    // lives, on NODE_PATH; a user's app has no such thing.
    const env = { ...process.env };
    delete env.NODE_PATH;
    const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: dir, env });
    const out = JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, unknown>;

    expect(out.reachable, 'the report libraries must be out of reach of this install').toEqual([]);
    expect(out.cjsMain).toEqual(out.esmMain);
    expect(out.esmMain).toEqual(MAIN_VALUES);
    expect(out.cjsReport).toEqual(out.esmReport);
    expect(out.esmReport).toEqual(expect.arrayContaining(['writeReport', 'embed2d', 'parseMetricsJsonl', 'readMetricsJsonl', 'formatLayerTable']));
    expect(out.sharedError, 'an EvalError from the report entry is an instance of the main entry\'s EvalError (ESM, CJS)').toEqual([true, true]);
    expect(out.knn).toBe(1);
    for (const [call, missing] of [['writeReport', 'vega-lite'], ['svgToPng', 'sharp'], ['embed2d', 'umap-js']] as const) {
      const error = out[call] as { name: string; code: string; message: string };
      expect(error.code, call).toBe('EVAL_REPORT_DEPENDENCY_MISSING');
      expect(error.name, call).toBe('EvalError');
      expect(error.message, call).toContain(`@selfsup/eval/report needs ${missing} for`);
      expect(error.message, call).toContain(REPORT_INSTALL);
    }
  });
});
