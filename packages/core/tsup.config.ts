import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/testing.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Bundle tfjs-core's gradient registrations (missing from its Node build); see src/gradients.ts.
  noExternal: [/^@tensorflow\/tfjs-core\/dist\/register_all_gradients$/],
});
