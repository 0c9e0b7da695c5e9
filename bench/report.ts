import type { BundleRow } from './scenarios/bundles';
import type { ContentionResult } from './scenarios/contention';
import type { LatencyResult } from './scenarios/latency';
import type { LoginsResult } from './scenarios/logins';
import type { RoundTrip } from './scenarios/round-trips';

export interface BenchMeta {
  readonly command: string;
  readonly mode: 'full' | 'quick';
  readonly date: string;
  readonly cores: number;
  readonly cpu: string;
  readonly node: string;
  readonly engine: string;
  readonly wallSeconds: number;
  /** The machine's 1-minute load average when the run began and ended. */
  readonly loadAverage: { readonly before: number; readonly after: number };
}

/** Everything one run measured: written as JSON and printed as tables. */
export interface BenchResults {
  readonly meta: BenchMeta;
  readonly roundTrips: readonly RoundTrip[];
  readonly latency: LatencyResult;
  readonly logins: LoginsResult;
  readonly contention: ContentionResult;
  readonly bundles: readonly BundleRow[];
}

type Cell = string | number;

/** A Markdown table, so the printout pastes into the README as it is. */
export const table = (head: readonly Cell[], rows: readonly Cell[][]) => {
  const widths = head.map((h, i) =>
    Math.max(String(h).length, ...rows.map((row) => String(row[i]).length)),
  );
  const line = (cells: readonly Cell[]) =>
    `| ${cells.map((cell, i) => pad(cell, widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
};

const pad = (cell: Cell, width: number) =>
  typeof cell === 'number'
    ? String(cell).padStart(width)
    : String(cell).padEnd(width);

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;

const commands = (byCommand: Readonly<Record<string, number>>) =>
  Object.entries(byCommand)
    .map(([name, n]) => `${name.replace(/Command$/, '')} ${n}`)
    .join(', ');

/** The run's figures as Markdown: five tables under one heading line. */
export const renderReport = (r: BenchResults): string => {
  const { meta, latency, logins, contention: c } = r;
  const sections = [
    `${meta.command}: ${meta.cores} cores (${meta.cpu}), Node.js ${meta.node}, ` +
      `${meta.engine}; ${meta.wallSeconds} s, load average ` +
      `${meta.loadAverage.before} before, ${meta.loadAverage.after} after`,
    'DynamoDB requests per operation (SDK middleware, retries included)',
    table(
      [
        'operation',
        'requests',
        'most',
        'by command',
        'limit',
        'runs',
        'mean ms',
      ],
      r.roundTrips.map((t) => [
        `${t.operation}${t.common ? '' : ' *'}`,
        t.requests,
        t.most,
        commands(t.byCommand),
        t.limit,
        t.samples,
        t.meanMs,
      ]),
    ),
    '* not the common path; the limit of 1 applies to the others, 2 to a login',
    `Latency, warm, one at a time (${latency.samples} samples; ` +
      `pool item ~${(latency.poolItemBytes / 1024).toFixed(1)} KB)`,
    table(
      ['operation', 'p50 ms', 'p99 ms', 'p50 ratio', 'p99 ratio'],
      [
        [
          'bare conditional UpdateItem',
          latency.bare.p50,
          latency.bare.p99,
          1,
          1,
        ],
        ...latency.rows.map((row) => [
          row.operation,
          row.ms.p50,
          row.ms.p99,
          row.ratio.p50,
          row.ratio.p99,
        ]),
      ],
    ),
    `Engine ceiling: ${latency.ceiling.writesPerSecond} conditional writes/s ` +
      `on one ${(latency.ceiling.itemBytes / 1024).toFixed(1)} KB item ` +
      `(${latency.ceiling.inFlight} in flight)`,
    `Upstream logins per 1,000 leases (${logins.leases} leases, ` +
      `${logins.workers} workers, ${logins.jobMs} ms jobs, fresh pool)`,
    table(
      ['broker', 'naive (login per job)', 'floor', 'peak live / cap'],
      [
        [
          logins.perThousand,
          logins.naivePerThousand,
          logins.floorPerThousand,
          `${logins.peakLive} / ${logins.cap}`,
        ],
      ],
    ),
    `Contention: cap ${c.cap}, ${c.jobMs} ms jobs, ${c.durationMs / 1000} s ` +
      `per level, consumer deadline ${c.deadlineMs / 1000} s, over HTTP; ` +
      '429s: share of check-out answers',
    table(
      [
        'workers',
        'leases/s',
        'ideal',
        'wait p50',
        'p99',
        'max',
        'ideal wait',
        '429s',
        'late grants',
        'broker max ms',
        'Jain',
        'reads+writes/lease',
        'asleep',
        'handover p50',
        'cores node+jvm',
        'loop lag p99',
      ],
      c.levels.map((l) => [
        l.workers,
        l.leasesPerSecond,
        l.idealPerSecond,
        l.waitMs.p50,
        l.waitMs.p99,
        l.waitMs.max,
        l.idealWaitMs,
        pct(l.share429),
        l.lateGrants,
        l.serverMs.max,
        l.jain,
        `${l.readsPerLease}+${l.writesPerLease}`,
        pct(l.asleepShare),
        l.handoverMs.p50,
        `${l.cores.node}+${l.cores.engine ?? '?'}`,
        l.loopDelayP99Ms,
      ]),
    ),
    'Lambda bundles (esbuild, minified, SDK bundled; load = require in a fresh node)',
    table(
      ['function', 'bytes', 'x baseline', 'load ms', 'x baseline'],
      r.bundles.map((b) => [
        b.name,
        b.bytes,
        b.bytesRatio,
        b.loadMs,
        b.loadRatio,
      ]),
    ),
  ];
  return sections.join('\n\n');
};

export const printReport = (results: BenchResults): void => {
  console.log(renderReport(results));
};
