import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startWebGPU } from './webgpu';

const gpu = await startWebGPU();

describe.skipIf(!gpu.ok)("useBackend('webgpu') in Node after a top-level import of tfjs-backend-webgpu", () => {
  it('registers the backend that import could not (no navigator.gpu yet) and trains with these kernels', () => {
    const script = fileURLToPath(new URL('./fixtures/static-import.mjs', import.meta.url));
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { backend: string; reason: string; centre: number };
    expect(out.backend).toBe('webgpu');
    expect(out.reason).toMatch(/training kernels from @selfsup\/webgpu-kernels \(3\)/);
    // An interior pixel of a 3×3 'same' conv of ones over 4 channels: 3 · 3 · 4 = 36.
    expect(out.centre).toBe(36);
  }, 180_000);
});
