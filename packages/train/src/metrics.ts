import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import { parseMetricsJsonl, type MetricsRecord } from '@selfsup/eval/report';

/**
 * Appends one `MetricsRecord` (of @selfsup/eval) per line, so that a run killed at any point
 * leaves a readable file (at worst the last line is cut, and the reader skips it).
 */
export class MetricsLog {
  constructor(readonly file: string) {}

  append(record: MetricsRecord): void {
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

/** The records of a run's `metrics.jsonl` (none when it does not exist yet). */
export function readMetrics(file: string): MetricsRecord[] {
  return existsSync(file) ? parseMetricsJsonl(readFileSync(file, 'utf8')) : [];
}
