// Training speed of the page in headless Chromium: the same run (small convnet, SimCLR joint,
// no kNN monitor) on wasm — the baseline — and on WebGPU, in one command. Prints views/s and
// ms/step (median over the steps after the first, which compiles shaders and packs weights).
// Usage: node scripts/bench.mjs [--steps 8] [--batch 16] [--widths 8,16,32] [--backends wasm,webgpu]
import { parseArgs } from 'node:util';
import { build } from './build.mjs';
import { writeCifarSubset } from './cifar-subset.mjs';
import { launchChromium, waitForTraining } from './chromium.mjs';
import { startServer } from './serve.mjs';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '8' },
    batch: { type: 'string', default: '16' },
    widths: { type: 'string', default: '8,16,32' },
    backends: { type: 'string', default: 'wasm,webgpu' },
  },
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await writeCifarSubset({ log: () => {} });
await build();
const server = await startServer();
const results = [];
try {
  for (const backend of values.backends.split(',')) {
    const browser = await launchChromium({ webgpu: backend === 'webgpu' });
    try {
      const page = await browser.newPage();
      const query = `backend=${backend}&scheme=joint&steps=${values.steps}&batch=${values.batch}&widths=${values.widths}&knnEvery=0&train=512&test=32&autostart=1`;
      await page.goto(`${server.url}?${query}`);
      const state = await waitForTraining(page);
      if (state.state !== 'done') throw new Error(`${backend}: ${state.errors.join('; ')}`);
      const timed = state.steps.slice(1);
      const viewsPerSecond = median(timed.map((s) => s.viewsPerSecond));
      results.push({ backend, detail: state.backend.detail, viewsPerSecond, msPerStep: (1000 * 2 * Number(values.batch)) / viewsPerSecond });
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.close();
}
console.log(`browser training step, headless Chromium: small convnet ${values.widths}, 2N=${2 * Number(values.batch)}, ${values.steps} steps`);
const [baseline] = results;
for (const r of results) {
  const versus = r === baseline ? '(baseline)' : `${(r.viewsPerSecond / baseline.viewsPerSecond).toFixed(3)}× ${baseline.backend}`;
  console.log(`  ${r.backend.padEnd(7)} ${r.viewsPerSecond.toFixed(1).padStart(7)} views/s  ${r.msPerStep.toFixed(0).padStart(6)} ms/step  ${versus}  [${r.detail}]`);
}
