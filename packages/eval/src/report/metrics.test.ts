import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMetricsJsonl, readMetricsJsonl, type MetricsRecord } from './metrics';

describe('parseMetricsJsonl', () => {
  it('reads one object per line, skips blank lines, and names a bad line', () => {
    const rows = parseMetricsJsonl('{"step":0,"loss":5}\n\n{"step":10,"lr":0.1,"knnAccuracy":0.5}\r\n');
    expect(rows).toEqual([{ step: 0, loss: 5 }, { step: 10, lr: 0.1, knnAccuracy: 0.5 }]);
    expect(() => parseMetricsJsonl('{"step":0}\n{oops\n{"step":1}\n')).toThrow(/line 2 is not JSON/);
    expect(() => parseMetricsJsonl('{"step":0}\n{oops\n')).toThrow(/line 2 is not JSON/); // a whole line: corrupt
    // A last line without its newline was cut short by a crash: the lines before it are intact.
    expect(parseMetricsJsonl('{"step":0}\n{"step":1,"lo')).toEqual([{ step: 0 }]);
    expect(() => parseMetricsJsonl('{"loss":1}')).toThrow(/no numeric "step"/);
  });
});

describe('readMetricsJsonl', () => {
  it("reads the train package's metrics.jsonl: step and eval records, extra fields kept", async () => {
    const written: MetricsRecord[] = [
      { kind: 'step', step: 1, epoch: 0, loss: 5.2, lr: 0.01, viewsPerSec: 40, msPerStep: 1600, headLossFirst: 2.1 },
      { kind: 'eval', step: 1, epoch: 0, knnAccuracy: 0.31 },
    ];
    const dir = await mkdtemp(join(tmpdir(), 'selfsup-eval-metrics-'));
    try {
      await writeFile(join(dir, 'metrics.jsonl'), written.map((r) => `${JSON.stringify(r)}\n`).join(''));
      expect(await readMetricsJsonl(join(dir, 'metrics.jsonl'))).toEqual(written);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
