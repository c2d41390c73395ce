/** A rolling-window rate limiter: at most `max` requests started in any `windowMs` (NVD: 5, or 50 with a key, per 30 s). */
import { sleep } from '../http.js';

export class RateLimiter {
  private readonly starts: number[] = [];

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Waits until one more request fits in the window, and counts it. */
  async take(signal: AbortSignal | undefined, label: string): Promise<void> {
    for (;;) {
      const t = this.now();
      while (this.starts.length && this.starts[0]! <= t - this.windowMs) this.starts.shift();
      if (this.starts.length < this.max) {
        this.starts.push(t);
        return;
      }
      await sleep(this.starts[0]! + this.windowMs - t, signal, label);
    }
  }
}
