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
