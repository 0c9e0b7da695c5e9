/**
 * A seeded source of randomness for schedules that must replay exactly:
 * the same seed draws the same faults, hold times and behaviours.
 */
export interface SeededRandom {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  /** One of the items, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** Hex characters drawn from this sequence (not for secrets). */
  hex(length: number): string;
}

/**
 * Mulberry32: small, fast and well spread; good enough to vary
 * interleavings, and never used where real unguessability matters.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * if (random.chance(0.1)) injectFault();
 * ```
 */
export const seededRandom = (seed: number): SeededRandom => {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number =>
    min + Math.floor(next() * (max - min + 1));
  return {
    seed,
    next,
    chance: (p) => p > 0 && next() < p,
    int,
    pick: <T>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new RangeError('pick from an empty list');
      return item;
    },
    hex: (length) =>
      Array.from({ length }, () => int(0, 15).toString(16)).join(''),
  };
};
