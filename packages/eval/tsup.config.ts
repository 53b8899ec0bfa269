import { defineConfig } from 'tsup';
import { packageBuildDefaults } from '../../tsup.shared';

// Two entries: the light main entry (dist/index.*) and the report (dist/report.*), which alone
// loads the optional peers vega, vega-lite, sharp and umap-js. `splitting` shares one copy of
// EvalError (and the rest of their common code) between them in the CommonJS build too (esbuild
// splits ESM by default only), so `instanceof EvalError` holds across the entries.
export default defineConfig({
  ...packageBuildDefaults,
  entry: { index: 'src/index.ts', report: 'src/report/index.ts' },
  splitting: true,
});
