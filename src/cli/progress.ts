/**
 * A progress bar on stderr for long file jobs, drawn only when stderr is a terminal and
 * at most a few times per second (so it costs nothing on the packet path).
 */
export class Progress {
  private last = 0;
  private readonly enabled: boolean;
  private drawn = false;

  constructor(private readonly label: string, private readonly total: number, enabled = true) {
    this.enabled = enabled && process.stderr.isTTY === true && total > 16 * 1024 * 1024;
  }

  update(done: number, packets: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 250) return;
    this.last = now;
    const frac = Math.min(1, done / this.total);
    const width = 30;
    const filled = Math.round(frac * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    process.stderr.write(`\r${this.label} [${bar}] ${(frac * 100).toFixed(1)}% ${packets} packets`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) process.stderr.write('\r\x1b[K');
  }
}
