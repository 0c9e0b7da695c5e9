import type { Clock } from '../../local/simulator';

/**
 * A clock that moves only when told, for tests of lifetimes and quota
 * windows.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(Date.UTC(2026, 0, 1));
 * clock.advance(3 * 60 * 60 * 1000);
 * ```
 */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 15, 12)) {}

  now(): number {
    return this.current;
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.current += ms;
  }

  /** Jumps to an absolute time (epoch ms). */
  set(epochMs: number): void {
    this.current = epochMs;
  }
}
