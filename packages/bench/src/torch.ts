import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface TorchResult {
  torch: string;
  threads: number;
  ms_per_step: number;
  views_per_s: number;
  peak_rss_bytes: number;
}

/** Debian's python3-torch lives in /usr/bin/python3; a pyenv python3 earlier on PATH lacks it. */
export function findTorchPython(): string | null {
  const candidates = [process.env.SELFSUP_PYTHON, '/usr/bin/python3', 'python3'].filter(
    (p): p is string => !!p && (p === 'python3' || existsSync(p)),
  );
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' });
    if (probe.status === 0) return python;
  }
  return null;
}

/** Runs torch_reference.py with the same model and batch; null with a reason when it cannot. */
export function runTorchReference(
  python: string,
  args: { mode: 'step' | 'features'; batch: number; steps: number; warmup: number; threads: number },
): TorchResult {
  const script = fileURLToPath(new URL('./torch_reference.py', import.meta.url));
  const out = spawnSync(
    python,
    [script, '--mode', args.mode, '--batch', String(args.batch), '--steps', String(args.steps),
      '--warmup', String(args.warmup), '--threads', String(args.threads)],
    { encoding: 'utf8' },
  );
  if (out.status !== 0) throw new Error(`PyTorch reference failed (${python}): ${out.stderr}`);
  const line = out.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as TorchResult;
}

/**
 * The PyTorch reference on both sides of the tfjs timing. A shared machine's speed drifts by
 * tens of percent within minutes, so the ratio is taken against the mean of a run just before
 * and one just after, and both are printed; their spread says how much to trust it.
 */
export class TorchBracket {
  readonly python: string | null;
  private readonly runs: TorchResult[] = [];

  constructor(
    private readonly enabled: boolean,
    private readonly args: Parameters<typeof runTorchReference>[1],
  ) {
    this.python = enabled ? findTorchPython() : null;
  }

  /** Runs the reference once (call before and after the tfjs timing). */
  measure(): void {
    if (this.python !== null) this.runs.push(runTorchReference(this.python, this.args));
  }

  /** The lines to print: each run, and the ratio of `tfjsPerSecond` to their mean. */
  report(tfjsPerSecond: number, unit: string): string[] {
    if (this.python === null) {
      return [this.enabled ? 'PyTorch: not run (no python3 here can import torch, torchvision)' : 'PyTorch: skipped (--no-torch)'];
    }
    const lines = this.runs.map(
      (r, i) =>
        `PyTorch ${i === 0 ? 'before' : 'after '}: ${r.views_per_s.toFixed(2)} ${unit}, ${r.ms_per_step.toFixed(0)} ms per ${this.args.batch} ` +
        `(torch ${r.torch}, ${r.threads} threads${this.args.mode === 'step' ? ', unchunked' : ''}), peak RSS ${(r.peak_rss_bytes / 2 ** 20).toFixed(0)} MiB`,
    );
    const mean = this.runs.reduce((a, r) => a + r.views_per_s, 0) / this.runs.length;
    lines.push(`ratio to PyTorch: ${(tfjsPerSecond / mean).toFixed(2)}`);
    return lines;
  }
}
