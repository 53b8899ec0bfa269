import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';

/** One line of `metrics.jsonl`. `kind` tells step records from evaluation records. */
export interface MetricRecord {
  kind: 'step' | 'eval';
  step: number;
  epoch: number;
  [field: string]: unknown;
}

/**
 * Appends one JSON object per line, so that a run killed at any point leaves a readable file
 * (at worst the last line is cut, and `readMetrics` skips it).
 */
export class MetricsLog {
  constructor(readonly file: string) {}

  append(record: MetricRecord): void {
    appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }

  /**
   * On resume from `step`: drop records written after it (the resumed run writes them again),
   * so the log reads as one uninterrupted run.
   */
  truncateAfter(step: number): void {
    if (!existsSync(this.file)) return;
    const kept = readMetrics(this.file).filter((r) => r.step <= step);
    writeFileAtomic.sync(this.file, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}

export function readMetrics(file: string): MetricRecord[] {
  if (!existsSync(file)) return [];
  const records: MetricRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as MetricRecord);
    } catch {
      // A line cut by a crash: everything before it is intact.
    }
  }
  return records;
}
