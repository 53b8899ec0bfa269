import { EvalError } from '../errors';

/**
 * One line of a training run's `metrics.jsonl`, the one record type of the workspace: the train
 * package writes it, the report reads it. Every field but `step` is optional: a row may carry
 * only a loss, or only a kNN accuracy; any other field (e.g. `headLossFirst`) is kept as it is.
 */
export interface MetricsRecord {
  /** `'step'` after an optimizer step, `'eval'` after an evaluation (the train package always writes it). */
  kind?: 'step' | 'eval';
  /** Optimizer steps done so far. */
  step: number;
  /** 0-based epoch. */
  epoch?: number;
  loss?: number;
  lr?: number;
  viewsPerSec?: number;
  msPerStep?: number;
  /** In [0, 1]. */
  knnAccuracy?: number;
  [field: string]: unknown;
}

/**
 * Parses JSON-lines metrics; blank lines are skipped, a bad line names its number. A last line
 * without its newline that is not JSON is a write cut short by a crash, and is skipped: every
 * line before it is intact (appends are whole lines).
 */
export function parseMetricsJsonl(text: string): MetricsRecord[] {
  const rows: MetricsRecord[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (cause) {
      if (i === lines.length - 1) break; // no newline after it: cut short

      throw new EvalError({
        code: 'EVAL_BAD_METRICS',
        problem: `metrics line ${i + 1} is not JSON: ${line.slice(0, 60)}`,
        fix: 'write one JSON object per line, e.g. {"step":10,"loss":4.2}',
        cause,
      });
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row) || typeof (row as MetricsRecord).step !== 'number') {
      throw new EvalError({
        code: 'EVAL_BAD_METRICS',
        problem: `metrics line ${i + 1} has no numeric "step": ${line.slice(0, 60)}`,
        fix: 'give every metrics object a "step" number',
      });
    }
    rows.push(row as MetricsRecord);
  }
  return rows;
}

/** Reads a metrics.jsonl file (Node only). */
export async function readMetricsJsonl(path: string): Promise<MetricsRecord[]> {
  const { readFile } = await import('node:fs/promises');
  return parseMetricsJsonl(await readFile(path, 'utf8'));
}
