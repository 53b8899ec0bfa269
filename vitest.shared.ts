import { defineConfig } from 'vitest/config';

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
      pool: 'forks',
      reporters: ['default', 'json'],
      outputFile: { json: 'test-results.json' },
    },
  });
}
