/** How much of everything to measure: the full run, or a CI smoke run. */
export interface BenchSettings {
  readonly mode: 'full' | 'quick';
  /** The pool's cap, as the upstream allows. */
  readonly cap: number;
  readonly roundTrips: {
    /** Check-out and check-in pairs averaged for the reuse figures. */
    readonly repeats: number;
    /** How many containers take turns, for each stale-copy figure. */
    readonly containers: readonly number[];
  };
  readonly latency: {
    /** Samples of each operation, interleaved with the bare write. */
    readonly samples: number;
    /** How long to drive the engine flat out for its write ceiling. */
    readonly ceilingMs: number;
  };
  readonly logins: {
    readonly leases: number;
    readonly workers: number;
    readonly jobMs: number;
  };
  readonly contention: {
    readonly workers: readonly number[];
    readonly jobMs: number;
    /** Each level runs this long; grants after it only drain. */
    readonly durationMs: number;
    /** One unrecorded level first, to warm the engine's JIT. */
    readonly warmupMs: number;
    /** The consumer's check-out deadline: past it the job gives up. */
    readonly deadlineMs: number;
    readonly leaseSeconds: number;
  };
  readonly bundles: {
    /** Fresh processes per bundle; the median load time is reported. */
    readonly loads: number;
  };
}

const FULL: BenchSettings = {
  mode: 'full',
  cap: 10,
  roundTrips: { repeats: 20, containers: [2, 8] },
  latency: { samples: 400, ceilingMs: 3_000 },
  logins: { leases: 1_000, workers: 20, jobMs: 10 },
  contention: {
    workers: [10, 50, 100, 200],
    jobMs: 100,
    durationMs: 12_000,
    warmupMs: 3_000,
    deadlineMs: 5_000,
    leaseSeconds: 30,
  },
  bundles: { loads: 9 },
};

const QUICK: BenchSettings = {
  mode: 'quick',
  cap: 10,
  roundTrips: { repeats: 3, containers: [2, 8] },
  latency: { samples: 60, ceilingMs: 500 },
  logins: { leases: 60, workers: 20, jobMs: 10 },
  contention: {
    ...FULL.contention,
    // The full run alone has 50 and 200 workers: 200 take ~12 s to drain.
    workers: [10, 100],
    durationMs: 1_000,
    warmupMs: 300,
  },
  bundles: { loads: 3 },
};

/** Settings for the command line's arguments: `--quick` for CI. */
export const settingsFor = (args: readonly string[]): BenchSettings =>
  args.includes('--quick') ? QUICK : FULL;
