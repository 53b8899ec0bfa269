import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { describe, expect, it } from 'vitest';
import { embed2d } from './embedding';

const rng = createRng(12).fork('embed-test');
const centres = Array.from({ length: 3 }, () => Array.from({ length: 10 }, () => 4 * rng.normal()));
const labels = Array.from({ length: 120 }, (_, i) => i % 3);
const rows = labels.map((c) => centres[c].map((m) => m + 0.3 * rng.normal()));

describe('embed2d', () => {
  it('is reproducible from its seed, subsamples to maxPoints, and keeps clusters apart', async () => {
    const x = tf.tensor2d(rows);
    const a = await embed2d(x, labels, { seed: 4, nEpochs: 100 });
    const b = await embed2d(x, labels, { seed: 4, nEpochs: 100 });
    const c = await embed2d(x, labels, { seed: 5, nEpochs: 100 });
    expect(a).toEqual(b);
    expect(a.points).not.toEqual(c.points);
    expect(a.points.map((p) => p.label)).toEqual(labels);
    // Nearest neighbour in 2-D has the same class for (almost) every point.
    let same = 0;
    for (const p of a.points) {
      let best = Infinity;
      let label = -1;
      for (const q of a.points) {
        const d = (p.x - q.x) ** 2 + (p.y - q.y) ** 2;
        if (q !== p && d < best) [best, label] = [d, q.label];
      }
      if (label === p.label) same++;
    }
    expect(same / a.points.length).toBeGreaterThan(0.95);
    const sub = await embed2d(x, labels, { seed: 4, maxPoints: 50, nEpochs: 50 });
    expect(sub.points).toHaveLength(50);
    await expect(embed2d(x, labels, { maxPoints: 10 })).rejects.toThrow(/nNeighbors/);
    await expectNoTensorLeak(() => embed2d(x, labels, { nEpochs: 20 }), { repeats: 1 });
    x.dispose();
  });
});
