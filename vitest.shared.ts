import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Registers tfjs' gradients and makes cpu the default backend in every test file. */
const SETUP = fileURLToPath(new URL('./packages/core/src/vitest-setup.ts', import.meta.url));

/**
 * Shared vitest settings: every package writes `test-results.json` so that `.ci/run` can add
 * up passed/failed counts across the workspace without parsing vitest's console summary.
 */
export function packageTestConfig(overrides: { testTimeout?: number; include?: string[] } = {}) {
  return defineConfig({
    test: {
      include: overrides.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 60_000,
      hookTimeout: 120_000,
      setupFiles: [SETUP],
      pool: 'forks',
      reporters: ['default', 'json'],
      outputFile: { json: 'test-results.json' },
    },
  });
}
