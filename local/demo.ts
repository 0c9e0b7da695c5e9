import { setTimeout as delay } from 'node:timers/promises';
import { BrokerClient } from '../client/broker-client';
import type { UpstreamSimulator } from './simulator';

export interface DemoOptions {
  readonly brokerUrl: string;
  readonly simulator: UpstreamSimulator;
  readonly username: string;
  readonly cap: number;
  /** @default 40 */
  readonly jobs?: number;
  /** Upstream calls per job. @default 3 */
  readonly callsPerJob?: number;
  /** Simulated work per upstream call. @default 150 */
  readonly workMs?: number;
  readonly out?: NodeJS.WriteStream;
}

export interface DemoSummary {
  readonly jobs: number;
  readonly completed: number;
  readonly failed: number;
  readonly upstreamLogins: number;
  readonly peakLive: number;
  readonly capRefusals: number;
  readonly checkOutP50Ms: number;
  readonly checkOutP99Ms: number;
  readonly wallMs: number;
}

/**
 * A fleet of consumer jobs, run at once against the local broker: each
 * checks a session out, calls the upstream a few times with it, and checks
 * it back in, as a consumer Lambda would.
 */
export const runDemo = async (options: DemoOptions): Promise<DemoSummary> => {
  const jobs = options.jobs ?? 40;
  const out = options.out ?? process.stdout;
  const counters = { waiting: 0, leased: 0, granted: 0, done: 0, failed: 0 };
  const latencies: number[] = [];
  const started = Date.now();

  const render = (): string => {
    const stats = options.simulator.stats(options.username);
    return `granted ${counters.granted}/${jobs}  waiting ${counters.waiting}  holding ${counters.leased}  live sessions ${stats.live}/${options.cap}  done ${counters.done}`;
  };
  const progress = setInterval(() => {
    if (out.isTTY) out.write(`\r${render()}   `);
  }, 100);

  const client = new BrokerClient({
    endpoint: options.brokerUrl,
    pool: 'default',
  });
  const job = async (index: number): Promise<void> => {
    counters.waiting += 1;
    const requested = Date.now();
    let waiting = true;
    // The same call a consumer Lambda makes: check out, use, check in
    // (as rejected if the upstream said the session was dead).
    await client
      .withSession(
        async (session) => {
          waiting = false;
          counters.waiting -= 1;
          latencies.push(Date.now() - requested);
          counters.granted += 1;
          counters.leased += 1;
          try {
            for (let call = 0; call < (options.callsPerJob ?? 3); call += 1) {
              await (await session.fetch('/campaigns')).arrayBuffer();
              await delay(options.workMs ?? 150);
            }
          } finally {
            counters.leased -= 1;
          }
        },
        {
          holder: `demo-job-${index}`,
          leaseSeconds: 60,
          deadline: Date.now() + 60_000,
        },
      )
      .finally(() => {
        if (waiting) counters.waiting -= 1;
      });
    counters.done += 1;
  };

  const results = await Promise.allSettled(
    Array.from({ length: jobs }, (_, index) => job(index)),
  );
  clearInterval(progress);
  counters.failed = results.filter((r) => r.status === 'rejected').length;
  out.write(out.isTTY ? `\r${render()}   \n` : `${render()}\n`);

  const stats = options.simulator.stats(options.username);
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    jobs,
    completed: counters.done,
    failed: counters.failed,
    upstreamLogins: stats.logins,
    peakLive: stats.peakLive,
    capRefusals: stats.capRefusals,
    checkOutP50Ms: percentile(sorted, 0.5),
    checkOutP99Ms: percentile(sorted, 0.99),
    wallMs: Date.now() - started,
  };
};

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ??
      0);

/** The summary as an aligned two-column table. */
export const formatSummary = (summary: DemoSummary, cap: number): string => {
  const rows: [string, string][] = [
    [
      'jobs done',
      `${summary.completed} of ${summary.jobs} (${summary.failed} failed)`,
    ],
    ['upstream logins', String(summary.upstreamLogins)],
    ['peak live sessions (simulator)', `${summary.peakLive} (cap ${cap})`],
    ['logins refused at the cap', String(summary.capRefusals)],
    ['check-out latency p50', `${summary.checkOutP50Ms} ms`],
    ['check-out latency p99', `${summary.checkOutP99Ms} ms`],
    ['wall time', `${summary.wallMs} ms`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const line = `+${'-'.repeat(width + 2)}+${'-'.repeat(26)}+`;
  return [
    line,
    ...rows.map(
      ([label, value]) => `| ${label.padEnd(width)} | ${value.padEnd(24)} |`,
    ),
    line,
  ].join('\n');
};
