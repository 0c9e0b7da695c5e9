/** Small statistics for the bench's samples; none of them mutate input. */

/** The nearest-rank percentile `p` (0 to 100) of `values`; 0 when empty. */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? 0;
};

export const median = (values: readonly number[]): number =>
  percentile(values, 50);

export const max = (values: readonly number[]): number =>
  values.reduce((most, value) => Math.max(most, value), 0);

export const sum = (values: readonly number[]): number =>
  values.reduce((total, value) => total + value, 0);

export const mean = (values: readonly number[]): number =>
  values.length === 0 ? 0 : sum(values) / values.length;

/**
 * Jain's fairness index, (Σx)² / (n·Σx²): 1 when every worker got the same
 * share, 1/n when one worker got everything.
 */
export const jain = (shares: readonly number[]): number => {
  const squares = sum(shares.map((share) => share * share));
  if (squares === 0) return 1;
  return sum(shares) ** 2 / (shares.length * squares);
};

/** p50, p99 and max of a list of milliseconds, rounded to 0.1 ms. */
export interface Spread {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export const spread = (values: readonly number[]): Spread => ({
  p50: round(percentile(values, 50)),
  p99: round(percentile(values, 99)),
  max: round(max(values)),
});

/** Rounds to `digits` decimals (default 1). */
export const round = (value: number, digits = 1): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

/** Milliseconds since `start` (a `performance.now()` reading). */
export const since = (start: number): number => performance.now() - start;

export const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
