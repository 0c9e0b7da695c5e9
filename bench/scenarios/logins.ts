import { BrokerClient } from '../../client/broker-client';
import type { BenchStack } from '../harness';
import type { BenchSettings } from '../settings';
import { pause, round, since } from '../stats';

export interface LoginsResult {
  readonly leases: number;
  readonly workers: number;
  readonly jobMs: number;
  readonly elapsedMs: number;
  /** Sessions the simulator created. */
  readonly logins: number;
  readonly perThousand: number;
  /** One login per job. */
  readonly naivePerThousand: number;
  /**
   * Sessions the load needs within one session lifetime: as many as run at
   * once (at most the cap), once per lifetime the run spans.
   */
  readonly floorPerThousand: number;
  /** The most live sessions the simulator ever saw, and the cap. */
  readonly peakLive: number;
  readonly cap: number;
}

/**
 * Steady load from a fresh pool: `workers` consumers run `leases` jobs of
 * `jobMs` over HTTP, and the simulator counts the logins that took.
 */
export const measureLogins = async (
  stack: BenchStack,
  settings: BenchSettings,
): Promise<LoginsResult> => {
  const { leases, workers, jobMs } = settings.logins;
  const client = new BrokerClient({ endpoint: stack.url, pool: 'default' });
  let started = 0;
  const begun = performance.now();

  const worker = async (): Promise<void> => {
    while (started < leases) {
      started += 1;
      await client.withSession(() => pause(jobMs), { leaseSeconds: 30 });
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));

  const elapsedMs = since(begun);
  const stats = stack.simulator.stats(stack.username);
  const cap = stack.config.pools[0]?.cap ?? 10;
  const lifetimes = Math.ceil(elapsedMs / stack.config.sessionLifetimeMs);
  const floor = Math.min(cap, workers) * lifetimes;
  return {
    leases,
    workers,
    jobMs,
    elapsedMs: Math.round(elapsedMs),
    logins: stats.logins,
    perThousand: round((stats.logins * 1000) / leases),
    naivePerThousand: 1000,
    floorPerThousand: round((floor * 1000) / leases),
    peakLive: stats.peakLive,
    cap,
  };
};
