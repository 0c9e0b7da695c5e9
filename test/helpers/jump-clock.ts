import type { Clock } from '../../functions/shared/clock';

/**
 * Real time plus an offset that only grows: waits and timeouts run at
 * wall-clock speed, and a test can still make leases and sessions expire
 * by jumping ahead. Never goes backwards.
 */
export class JumpClock implements Clock {
  #offsetMs = 0;

  public now(): number {
    return Date.now() + this.#offsetMs;
  }

  /** Moves every reading `ms` ahead, at once. */
  public jump(ms: number): void {
    if (ms < 0) throw new RangeError('a JumpClock never goes backwards');
    this.#offsetMs += ms;
  }

  /** Total time jumped so far. */
  public get jumpedMs(): number {
    return this.#offsetMs;
  }
}
