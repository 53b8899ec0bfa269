import { defineConfig } from 'tsup';

export default defineConfig({
  // `index`: the kernels (any JS runtime). `node`: threaded wasm in Node (node:fs, worker_threads).
  entry: ['src/index.ts', 'src/node.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // import.meta.url in the CJS build (threads.ts resolves tfjs-backend-wasm's files from it).
  shims: true,
});
