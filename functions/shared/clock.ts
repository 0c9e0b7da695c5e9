/**
 * The one source of time for the broker. Every expiry is computed from it
 * and passed into DynamoDB conditions as a value, so tests can move time
 * without touching the database.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: for tests and simulations. */
export class ManualClock implements Clock {
  #nowMs: number;

  public constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#nowMs = startMs;
  }

  public now(): number {
    return this.#nowMs;
  }

  public advance(ms: number): void {
    this.#nowMs += ms;
  }

  public set(ms: number): void {
    this.#nowMs = ms;
  }
}

/** Resolves after `ms`, or at once when the signal aborts. */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
