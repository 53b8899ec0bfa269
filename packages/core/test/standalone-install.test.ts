import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Installing only what you need: the packed @selfsup/core goes into an empty npm project with
// tfjs-core and the wasm backend and nothing else, and picks its backend there (ESM and CJS).
const packageDir = resolve(__dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'selfsup-core-standalone-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });

/** Runs a script that is meant to crash; returns its exit status, stdout and stderr. */
const crash = (entry: string, cwd: string) => {
  const { status, stdout, stderr } = spawnSync('node', [entry], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status, stdout, stderr };
};

describe('standalone install of @selfsup/core', () => {
  it('installs with npm beside tfjs-core + tfjs-backend-wasm and runs useBackend("auto")', () => {
    expect(existsSync(join(packageDir, 'dist/index.js')), 'build @selfsup/core first').toBe(true);
    run('pnpm', ['pack', '--pack-destination', work], packageDir);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const project = join(work, 'project');
    run('mkdir', ['-p', project], work);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', join(work, tarball!),
        '@tensorflow/tfjs-core@4.22.0', '@tensorflow/tfjs-backend-wasm@4.22.0'],
      project,
    );
    // No optional peer came along (tfjs-backend-cpu is a dependency of the wasm backend itself).
    const installed = readdirSync(join(project, 'node_modules/@tensorflow'));
    expect(installed).toEqual(expect.arrayContaining(['tfjs-backend-wasm', 'tfjs-core']));
    expect(installed).not.toContain('tfjs-node');
    expect(installed).not.toContain('tfjs-node-gpu');
    expect(installed).not.toContain('tfjs-backend-webgpu');
    expect(existsSync(join(project, 'node_modules/webgpu'))).toBe(false);

    // tfjs-core alone has no gradient functions and no chained ops (`x.reshape(...)`) in Node;
    // importing @selfsup/core registers both, whichever of the two the user imports first.
    const script =
      `const s = await useBackend('auto');` +
      `const g = tf.grad((x) => tf.sum(tf.square(x)))(tf.tensor1d([1.5, -2])).arraySync();` +
      `const chained = tf.tensor1d([1, 2, 3, 4]).reshape([2, 2]).add(1).arraySync();` +
      `console.log(JSON.stringify({ name: s.name, skipped: s.skipped.map((x) => x.name), g, chained }));`;
    const tfImport = `const tf = require('@tensorflow/tfjs-core');`;
    const coreImport = `const { useBackend } = require('@selfsup/core');`;
    writeFileSync(
      join(project, 'esm.mjs'),
      `import * as tf from '@tensorflow/tfjs-core';\nimport { useBackend } from '@selfsup/core';\n${script}\n`,
    );
    writeFileSync(join(project, 'cjs.cjs'), `${tfImport}\n${coreImport}\n(async () => { ${script} })();\n`);
    writeFileSync(join(project, 'cjs-core-first.cjs'), `${coreImport}\n${tfImport}\n(async () => { ${script} })();\n`);
    for (const entry of ['esm.mjs', 'cjs.cjs', 'cjs-core-first.cjs']) {
      const out = JSON.parse(run('node', [entry], project).trim().split('\n').pop()!);
      expect(out, entry).toEqual({
        name: 'wasm',
        skipped: ['tensorflow-gpu', 'tensorflow', 'webgpu'],
        g: [3, -4],
        chained: [[2, 3], [4, 5]],
      });
    }

    // Adding @selfsup/wasm-kernels makes the same call train convnets on every core.
    const kernelsDir = resolve(packageDir, '../wasm-kernels');
    expect(existsSync(join(kernelsDir, 'dist/node.js')), 'build @selfsup/wasm-kernels first').toBe(true);
    run('pnpm', ['pack', '--pack-destination', work], kernelsDir);
    const kernelsTarball = readdirSync(work).find((f) => f.startsWith('selfsup-wasm-kernels') && f.endsWith('.tgz'));
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', join(work, kernelsTarball!)], project);
    writeFileSync(
      join(project, 'train.mjs'),
      `import * as tf from '@tensorflow/tfjs-core';\nimport { useBackend } from '@selfsup/core';\n` +
        `const s = await useBackend('auto');\n` +
        `const w = tf.ones([3, 3, 2, 4]);\n` +
        `const g = tf.grad((x) => tf.sum(tf.conv2d(x, w, 1, 'same')))(tf.ones([1, 5, 5, 2]));\n` +
        `console.log(JSON.stringify({ reason: s.reason, corner: g.arraySync()[0][0][0][0] }));\n`,
    );
    const trained = JSON.parse(run('node', ['train.mjs'], project).trim().split('\n').pop()!);
    expect(trained.reason).toMatch(/^auto: WebAssembly \(XNNPACK\), \d+ threads?, training kernels from @selfsup\/wasm-kernels/);
    expect(trained.corner).toBe(16); // a corner pixel feeds 2×2 taps × 4 output channels

    // A bug in the user's own code reads as it would without selfsup: the threaded wasm runtime
    // (Emscripten) must not leave its process handlers behind, which rethrow from its one-line
    // minified source and so print ~55 KB of it above the user's error.
    writeFileSync(
      join(project, 'crash.mjs'),
      `import { useBackend } from '@selfsup/core';\n` +
        `console.log((await useBackend('auto')).reason);\n` +
        `throw new Error('my own bug');\n`,
    );
    writeFileSync(
      join(project, 'reject.cjs'),
      `const { useBackend } = require('@selfsup/core');\n` +
        `useBackend('auto').then((s) => { console.log(s.reason); Promise.reject(new Error('my own rejection')); });\n`,
    );
    for (const [entry, message] of [['crash.mjs', 'my own bug'], ['reject.cjs', 'my own rejection']]) {
      const { status, stdout, stderr } = crash(entry, project);
      expect(stdout, entry).toMatch(/^auto: WebAssembly \(XNNPACK\), \d+ threads?, training kernels/);
      expect(stderr, entry).toContain(message);
      expect(stderr.length, `${entry}: stderr is ${stderr.length} bytes:\n${stderr.slice(0, 400)}`).toBeLessThan(2048);
      expect(status, entry).toBe(1); // Node's own status for an uncaught error (a rethrowing handler makes it 7)
    }
  }, 300_000);
});
