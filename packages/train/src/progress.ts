import cliProgress from 'cli-progress';

export interface ProgressUpdate {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  lr: number;
  viewsPerSec: number;
}

/**
 * The terminal progress bar: epoch, step, loss, LR, views/s and ETA. On a terminal it redraws in
 * place; in logs (CI, `| tee`) it prints a line every few seconds instead.
 */
export class ProgressBar {
  private readonly bar: cliProgress.SingleBar;
  private started = false;

  constructor(private readonly totalSteps: number, stream: NodeJS.WriteStream = process.stderr) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format:
          'epoch {epochLabel} |{bar}| step {value}/{total} | loss {loss} | lr {lr} | {views} views/s | ETA {eta_formatted}',
        barsize: 20,
        hideCursor: true,
        noTTYOutput: true,
        notTTYSchedule: 5000,
        etaBuffer: 20,
        formatValue: (value, _options, type) => String(value),
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(u: ProgressUpdate, globalStep: number): void {
    const payload = {
      epochLabel: `${u.epoch + 1}/${u.epochs}`,
      loss: Number.isFinite(u.loss) ? u.loss.toFixed(4) : String(u.loss),
      lr: u.lr.toPrecision(3),
      views: u.viewsPerSec.toFixed(1),
    };
    if (!this.started) {
      this.bar.start(this.totalSteps, globalStep, payload);
      this.started = true;
    } else {
      this.bar.update(globalStep, payload);
    }
  }

  /** Prints a message above the bar. */
  log(message: string): void {
    if (this.started) this.bar.stop();
    process.stderr.write(`${message}\n`);
    this.started = false;
  }

  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }
}
