import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricsLog, readMetrics } from './metrics';

describe('MetricsLog', () => {
  it('appends JSON lines, skips a cut last line, and truncates on resume', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'selfsup-metrics-')), 'metrics.jsonl');
    const log = new MetricsLog(file);
    for (let step = 1; step <= 5; step++) log.append({ kind: 'step', step, epoch: 0, loss: 6 - step });
    appendFileSync(file, '{"kind":"step","step":6,"ep'); // killed mid-write
    expect(readMetrics(file).map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
    log.truncateAfter(3);
    expect(readMetrics(file).map((r) => [r.step, r.loss])).toEqual([[1, 5], [2, 4], [3, 3]]);
  });
});
