/** A progress bar on stderr, drawn only when stderr is a terminal (never in pipes or logs). */
export class Progress {
  private done = 0;
  private lastDraw = 0;
  private readonly start = Date.now();
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    enabled: boolean = process.stderr.isTTY === true,
  ) {
    this.enabled = enabled && total > 0;
  }

  tick(n = 1): void {
    this.done += n;
    const now = Date.now();
    if (this.enabled && (now - this.lastDraw > 100 || this.done >= this.total)) {
      this.lastDraw = now;
      this.draw(now);
    }
  }

  private draw(now: number): void {
    const frac = Math.min(1, this.done / this.total);
    const width = 28;
    const filled = Math.round(frac * width);
    const secs = (now - this.start) / 1000;
    const eta = frac > 0 ? secs / frac - secs : 0;
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    process.stderr.write(`\r${this.label} ${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${this.done}/${this.total} ${secs.toFixed(1)}s eta ${eta.toFixed(0)}s `);
  }

  finish(): void {
    if (this.enabled) process.stderr.write('\r\x1b[K');
  }
}

/** Progress bars, one per phase. */
export function phaseBars(): { progress: (phase: string, total: number) => (n: number) => void; finish: () => void } {
  let bar: Progress | undefined;
  return {
    progress: (phase, total) => {
      bar?.finish();
      bar = new Progress(phase, total);
      return (n) => bar!.tick(n);
    },
    finish: () => bar?.finish(),
  };
}

/** A bar for one phase of known size that finishes itself when the work is done. */
export function countingBar(label: string, total: number): (n: number) => void {
  const bar = new Progress(label, total);
  let done = 0;
  return (n) => {
    bar.tick(n);
    done += n;
    if (done >= total) bar.finish();
  };
}
