import { setTimeout as delay } from 'node:timers/promises';
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

interface Lease {
  leaseId: string;
  generation: number;
  baseUrl: string;
  headers: Record<string, string>;
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

  const job = async (index: number): Promise<void> => {
    counters.waiting += 1;
    const requested = Date.now();
    let lease: Lease;
    try {
      lease = await checkOut(options.brokerUrl, `demo-job-${index}`);
    } finally {
      counters.waiting -= 1;
    }
    latencies.push(Date.now() - requested);
    counters.granted += 1;
    counters.leased += 1;

    let outcome: Record<string, unknown> = { outcome: 'ok' };
    for (let call = 0; call < (options.callsPerJob ?? 3); call += 1) {
      const response = await fetch(`${lease.baseUrl}/campaigns`, {
        headers: lease.headers,
      });
      const body = (await response.json()) as {
        error?: { errors?: { code?: number }[] }[];
      };
      if (!response.ok) {
        const upstreamCode = body.error?.[0]?.errors?.[0]?.code;
        outcome = {
          outcome: 'rejected',
          ...(upstreamCode ? { upstreamCode } : {}),
        };
        break;
      }
      await delay(options.workMs ?? 150);
    }

    await send(options.brokerUrl, 'DELETE', `/leases/${lease.leaseId}`, {
      generation: lease.generation,
      ...outcome,
    });
    counters.leased -= 1;
    counters.done += 1;
  };

  const results = await Promise.allSettled(
    Array.from({ length: jobs }, (_, index) => job(index)),
  );
  clearInterval(progress);
  counters.failed = results.filter((r) => r.status === 'rejected').length;
  if (out.isTTY) out.write(`\r${render()}   \n`);

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

/** Checks out, honouring `Retry-After` on 429 for up to a minute. */
const checkOut = async (brokerUrl: string, holder: string): Promise<Lease> => {
  const giveUpAt = Date.now() + 60_000;
  for (;;) {
    const response = await send(brokerUrl, 'POST', '/leases', {
      holder,
      leaseSeconds: 60,
      waitSeconds: 20,
    });
    if (response.status === 201) return (await response.json()) as Lease;
    const body = (await response.json()) as { code?: string };
    if (response.status !== 429 || Date.now() > giveUpAt) {
      throw new Error(`check-out failed: HTTP ${response.status} ${body.code}`);
    }
    const retryAfter = Number(response.headers.get('retry-after') ?? '1');
    await delay(Math.min(retryAfter, 5) * 1000 * (0.5 + Math.random() / 2));
  }
};

const send = (brokerUrl: string, method: string, path: string, body: unknown) =>
  fetch(`${brokerUrl}/v1/pools/default${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

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
