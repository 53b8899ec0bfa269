import { defineConfig } from 'tsup';
import { packageBuildDefaults } from '../../tsup.shared';

// Two entries: the light main entry (dist/index.*) and the report (dist/report.*), which alone
// loads the optional peers vega, vega-lite, sharp and umap-js.
export default defineConfig({
  ...packageBuildDefaults,
  entry: { index: 'src/index.ts', report: 'src/report/index.ts' },
});
