import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BrokerClient } from '../../client/broker-client';
import { PoolExhaustedError } from '../../client/errors';
import type { LeasedSession } from '../../client/session';
import { slotOfLease } from '../../functions/pool/ids';
import { BrokerMetric } from '../../infra/metrics';
import { type BenchStack, cpuSeconds } from '../harness';
import type { BenchSettings } from '../settings';
import { jain, pause, round, type Spread, spread, sum } from '../stats';

export interface ContentionLevel {
  readonly workers: number;
  /** Leases granted within the level's time, which sets leases/s. */
  readonly grants: number;
  /** Jobs that got a lease, the drain after the level's time included. */
  readonly jobs: number;
  readonly leasesPerSecond: number;
  /** The cap divided by the job's length: every session always busy. */
  readonly idealPerSecond: number;
  /** From the first check-out request of a job to its lease, over HTTP. */
  readonly waitMs: Spread;
  /** What a perfect queue would make a worker wait: (workers/cap - 1) x job. */
  readonly idealWaitMs: number;
  /** Check-outs the broker answered 429, over all it answered. */
  readonly share429: number;
  /** Jobs that gave up at the consumer's deadline. */
  readonly gaveUp: number;
  /** Jain's index over the leases each worker got in the window. */
  readonly jain: number;
  /** DynamoDB requests per lease granted: polling reads, then writes. */
  readonly readsPerLease: number;
  readonly writesPerLease: number;
  /** The broker's own time per granted check-out (its metric). */
  readonly serverMs: Spread;
  /**
   * Grants the broker made after the wait the caller asked for had passed
   * (API Gateway would have cut such a request off at 29 s).
   */
  readonly lateGrants: number;
  /** Share of the broker's check-out time spent asleep between polls. */
  readonly asleepShare: number;
  /** From a check-in being sent to the session's next grant arriving. */
  readonly handoverMs: Spread;
  /** CPU cores in use: this process (clients, broker), and the engine. */
  readonly cores: { readonly node: number; readonly engine?: number };
  /** p99 delay of this process's event loop: clients and broker share it. */
  readonly loopDelayP99Ms: number;
}

export interface ContentionResult {
  readonly cap: number;
  readonly jobMs: number;
  readonly durationMs: number;
  readonly deadlineMs: number;
  readonly levels: readonly ContentionLevel[];
}

/**
 * Closed-loop workers over HTTP: each checks a session out with the
 * consumer client, holds it for `jobMs`, checks it in, and starts again,
 * until the level's time is up. All levels share one warm pool.
 */
export const measureContention = async (
  stack: BenchStack,
  settings: BenchSettings,
): Promise<ContentionResult> => {
  const { contention: c, cap } = settings;
  await runLevel(stack, settings, Math.max(cap, 50), c.warmupMs);
  const levels: ContentionLevel[] = [];
  for (const workers of c.workers) {
    levels.push(await runLevel(stack, settings, workers, c.durationMs));
  }
  return {
    cap,
    jobMs: c.jobMs,
    durationMs: c.durationMs,
    deadlineMs: c.deadlineMs,
    levels,
  };
};

const runLevel = async (
  stack: BenchStack,
  settings: BenchSettings,
  workers: number,
  durationMs: number,
): Promise<ContentionLevel> => {
  const { jobMs, deadlineMs, leaseSeconds } = settings.contention;
  const { cap } = settings;
  const client = new BrokerClient({ endpoint: stack.url, pool: 'default' });
  stack.counter.reset();
  stack.metrics.reset();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpuBefore = cpuSeconds();
  const start = performance.now();
  const end = start + durationMs;
  const perWorker = new Array<number>(workers).fill(0);
  const waits: number[] = [];
  const handovers: number[] = [];
  const released = new Map<string, number>();
  let gaveUp = 0;

  const job = async (worker: number): Promise<void> => {
    const asked = performance.now();
    let session: LeasedSession;
    try {
      session = await client.checkOut({
        leaseSeconds,
        deadline: Date.now() + deadlineMs,
      });
    } catch (error) {
      if (!(error instanceof PoolExhaustedError)) throw error;
      gaveUp += 1;
      return;
    }
    const granted = performance.now();
    waits.push(granted - asked);
    if (granted <= end) perWorker[worker] = (perWorker[worker] ?? 0) + 1;
    const slot = slotOfLease(session.lease.leaseId) ?? '';
    const freed = released.get(slot);
    if (freed !== undefined) handovers.push(granted - freed);

    await pause(jobMs);
    released.set(slot, performance.now());
    await client.checkIn(session);
  };
  const worker = async (index: number): Promise<void> => {
    while (performance.now() < end) await job(index);
  };
  await Promise.all(Array.from({ length: workers }, (_, i) => worker(i)));

  const elapsedS = (performance.now() - start) / 1000;
  const cpuAfter = cpuSeconds();
  loop.disable();
  const grants = sum(perWorker);
  const all = waits.length;
  const exhausted = stack.metrics.sum(BrokerMetric.CheckOutExhausted);
  const answered = stack.metrics.sum(BrokerMetric.CheckOutGranted) + exhausted;
  const latency = stack.metrics.sum(BrokerMetric.CheckOutLatency);
  const serverMs = stack.metrics.values.get(BrokerMetric.CheckOutLatency) ?? [];
  // What BrokerClient asks for: whole seconds, one under its deadline.
  const askedMs = (Math.floor(deadlineMs / 1000) - 1) * 1000;
  const reads = stack.counter.requests.get('GetItemCommand') ?? 0;
  const writes = stack.counter.requests.get('UpdateItemCommand') ?? 0;
  return {
    workers,
    grants,
    jobs: all,
    leasesPerSecond: round(grants / (durationMs / 1000)),
    idealPerSecond: round(cap / (jobMs / 1000)),
    waitMs: spread(waits),
    idealWaitMs: round(Math.max(0, workers / cap - 1) * jobMs),
    share429: round(answered === 0 ? 0 : exhausted / answered, 4),
    gaveUp,
    jain: round(jain(perWorker), 3),
    readsPerLease: round(reads / Math.max(1, all), 2),
    writesPerLease: round(writes / Math.max(1, all), 2),
    serverMs: spread(serverMs),
    lateGrants: serverMs.filter((ms) => ms > askedMs).length,
    asleepShare: round(
      latency === 0 ? 0 : stack.metrics.sum(BrokerMetric.WaitTime) / latency,
      3,
    ),
    handoverMs: spread(handovers),
    loopDelayP99Ms: round(loop.percentile(99) / 1e6),
    cores: {
      node: round((cpuAfter.node - cpuBefore.node) / elapsedS, 2),
      ...(cpuAfter.engine === undefined || cpuBefore.engine === undefined
        ? {}
        : {
            engine: round((cpuAfter.engine - cpuBefore.engine) / elapsedS, 2),
          }),
    },
  };
};
