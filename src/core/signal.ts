/**
 * A wake-up for one waiting consumer: it awaits `wait()` once it has found nothing to do,
 * and a producer (a socket event, stop()) calls `notify()`. A notify with nobody waiting is
 * not remembered, so the consumer must re-check its state after every wake-up (it does, in
 * a loop) rather than count wake-ups.
 */
export class WakeSignal {
  private wake: (() => void) | null = null;

  /** Resolves at the next notify(). */
  wait(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  /** Wakes the consumer, if it is waiting. */
  notify(): void {
    const w = this.wake;
    if (w !== null) {
      this.wake = null;
      w();
    }
  }
}
