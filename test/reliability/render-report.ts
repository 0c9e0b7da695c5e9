/**
 * Renders the figures of a reliability run into RELIABILITY.md, between
 * its `figures` markers, so that the report quotes the suite's output and
 * nothing typed by hand. `npm run reliability:report` renders the soak's
 * committed `last-run.json`; pass another summary's path to render that.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

type Counts = Record<string, number>;

/**
 * The figures each suite records (`recordFigures` takes exactly these); a
 * suite that did not run is absent.
 */
export interface Summary {
  readonly command: string;
  readonly generatedAt: string;
  readonly node: string;
  readonly suites: {
    readonly schedules?: {
      schedules: number;
      seeds: string;
      callersPerSchedule: number;
      caps: Counts;
      callers: number;
      checkOuts: number;
      outcomes: Counts;
      faultsInjected: Counts;
      lostAnswersByStep: Counts;
      refusalsProvoked: Counts;
      upstreamLogins: number;
      upstreamLoginsOverCap: number;
      dynamodbRequests: number;
      violations: number;
      violationsFound: string[];
      dynamodbRequestsByStep: Counts;
      slowestSchedules: Record<string, string>;
      longestCheckOutPastItsWaitMs: number;
    };
    readonly 'http-schedules'?: {
      schedules: number;
      callers: number;
      requests: number;
      answers: Counts;
      simulatorFaults: Counts;
      simulatorPeakLiveMax: number;
      simulatorCapRefusals: number;
      credentialChanges: number;
      sweeps: number;
      violations: number;
    };
    readonly 'hostile-input'?: {
      seed: number;
      runsPerProperty: number;
      inputsTried: number;
      byRoute: Counts;
      answers: Counts;
      fiveHundreds: number;
      unstableCodes: number;
      poolChangedOn4xx: number;
    };
    readonly security?: {
      intruderAttempts: number;
      intruderSuccesses: number;
      guessedIdsTried: number;
      guessedIdsAccepted: number;
      leaseIdsSampled: number;
      leaseIdsDistinct: number;
      randomBitsPerLeaseId: number;
      baseUrlsTried: number;
      insecureBaseUrlsAccepted: number;
    };
    readonly canary?: {
      canaries: number;
      flows: number;
      failureFlows: number;
      logLines: number;
      responsesScanned: number;
      metricDatapoints: number;
      emfLines: number;
      leaks: number;
    };
    readonly 'store-retries'?: {
      cases: number;
      answersLost: number;
      throttledAttempts: number;
    };
    readonly 'process-death'?: {
      crashedLogins: number;
      deadSweeps: number;
      slotsFreed: number;
    };
    readonly 'secrets-faults'?: {
      readsFailed: number;
      checkOutsServedFromCache: number;
      refusedWithoutCache: number;
    };
  };
}

/** One suite's figures, by suite name. */
export type SuiteFigures = Required<Summary['suites']>;

export const START = '<!-- figures:start (npm run reliability:report) -->';
export const END = '<!-- figures:end -->';

const n = (value: number): string => value.toLocaleString('en-US');
const sum = (counts: Counts): number =>
  Object.values(counts).reduce((total, value) => total + value, 0);
const sorted = (counts: Counts): [string, number][] =>
  Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
const table = (head: string[], rows: string[][]): string =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
const missing = (suite: string): string =>
  `_The ${suite} suite did not report in this run._`;

/** The markdown that goes between the markers. */
export const renderFigures = (summary: Summary): string => {
  const s = summary.suites;
  const out: string[] = [
    `From \`${summary.command}\`, finished ${summary.generatedAt} on Node.js ${summary.node}.`,
    '',
  ];

  const rows: string[][] = [];
  const schedules = s.schedules;
  const http = s['http-schedules'];
  const hostile = s['hostile-input'];
  const canary = s.canary;
  const security = s.security;
  if (schedules) {
    rows.push(
      [
        'seeded schedules, in-process upstream',
        `${n(schedules.schedules)} (seeds ${schedules.seeds}), ${schedules.callersPerSchedule} callers each`,
      ],
      [
        'callers / check-outs',
        `${n(schedules.callers)} / ${n(schedules.checkOuts)}`,
      ],
      ['fault events (by kind below)', n(sum(schedules.faultsInjected))],
      ['upstream logins', n(schedules.upstreamLogins)],
      [
        '**logins sent while the cap was live**',
        `**${schedules.upstreamLoginsOverCap}**`,
      ],
      ['DynamoDB request attempts', n(schedules.dynamodbRequests)],
      [
        'longest a check-out ran past its wait',
        `${n(schedules.longestCheckOutPastItsWaitMs)} ms`,
      ],
      ['**violations** (schedules)', `**${schedules.violations}**`],
    );
  }
  if (http) {
    rows.push(
      [
        'seeded schedules over HTTP (simulator)',
        `${n(http.schedules)}, ${n(http.callers)} callers, ${n(http.requests)} requests`,
      ],
      [
        '**logins the simulator refused at its cap**',
        `**${http.simulatorCapRefusals}** (peak live ${http.simulatorPeakLiveMax})`,
      ],
      ['**violations** (HTTP schedules)', `**${http.violations}**`],
    );
  }
  if (hostile) {
    rows.push(
      [
        'bad inputs tried (fast-check)',
        `${n(hostile.inputsTried)} (seed ${hostile.seed}, ${hostile.runsPerProperty} per property)`,
      ],
      ['**5xx seen**', `**${hostile.fiveHundreds}**`],
      [
        'answers with an undocumented code / pool changed by a 4xx',
        `${hostile.unstableCodes} / ${hostile.poolChangedOn4xx}`,
      ],
    );
  }
  if (security) {
    rows.push(
      [
        'intruder and guessed-id attempts / accepted',
        `${n(security.intruderAttempts + security.guessedIdsTried)} / ${security.intruderSuccesses + security.guessedIdsAccepted}`,
      ],
      [
        'lease ids sampled / distinct',
        `${n(security.leaseIdsSampled)} / ${n(security.leaseIdsDistinct)}, ${security.randomBitsPerLeaseId} random bits each`,
      ],
      [
        'base URLs tried / insecure ones accepted',
        `${n(security.baseUrlsTried)} / ${security.insecureBaseUrlsAccepted}`,
      ],
    );
  }
  if (canary) {
    rows.push(
      [
        'canary flows (of them failures)',
        `${canary.flows} (${canary.failureFlows}), ${canary.canaries} canaries`,
      ],
      [
        'scanned: log lines, responses, metric datapoints, EMF lines',
        `${n(canary.logLines)}, ${n(canary.responsesScanned)}, ${n(canary.metricDatapoints)}, ${n(canary.emfLines)}`,
      ],
      ['**canary leaks**', `**${canary.leaks}**`],
    );
  }
  const retries = s['store-retries'];
  if (retries) {
    rows.push([
      'store steps applied, answer lost, retried by the SDK',
      `${retries.cases} steps, ${retries.answersLost} answers lost`,
    ]);
  }
  const death = s['process-death'];
  if (death) {
    rows.push([
      'dying processes: logins / sweeps / slots freed once',
      `${death.crashedLogins} / ${death.deadSweeps} / ${death.slotsFreed}`,
    ]);
  }
  const secrets = s['secrets-faults'];
  if (secrets) {
    rows.push([
      'Secrets Manager reads failed / served from cache / refused, no cache',
      `${secrets.readsFailed} / ${secrets.checkOutsServedFromCache} / ${secrets.refusedWithoutCache}`,
    ]);
  }
  out.push(table(['what', 'figure'], rows), '');

  if (schedules) {
    out.push(
      '### Faults injected in the seeded schedules, by kind',
      '',
      table(
        ['fault', 'times'],
        sorted(schedules.faultsInjected).map(([kind, count]) => [
          kind,
          n(count),
        ]),
      ),
      '',
      'Answers lost after DynamoDB applied the write, by store step: ' +
        sorted(schedules.lostAnswersByStep)
          .map(([step, count]) => `${step} ${n(count)}`)
          .join(', ') +
        '.',
      '',
      '### How the check-outs ended',
      '',
      table(
        ['outcome', 'check-outs'],
        sorted(schedules.outcomes).map(([outcome, count]) => [
          outcome,
          n(count),
        ]),
      ),
      '',
      'Refusals the schedules provoked on purpose: ' +
        sorted(schedules.refusalsProvoked)
          .map(([kind, count]) => `${kind} (${n(count)})`)
          .join('; ') +
        '.',
      '',
      `Caps drawn: ${sorted(schedules.caps)
        .map(([cap, count]) => `${cap} in ${count}`)
        .join(', ')}.`,
      '',
    );
    if (schedules.violationsFound.length > 0) {
      out.push(
        '### Violations found',
        '',
        ...schedules.violationsFound.map((found) => `- ${found}`),
        '',
      );
    }
  } else {
    out.push(missing('schedules'), '');
  }
  if (http) {
    out.push(
      `Over HTTP, simulator faults by schedule: ${sorted(http.simulatorFaults)
        .map(([kind, count]) => `${kind} ${count}`)
        .join(
          ', ',
        )}; credential changes ${http.credentialChanges}; sweeps ${http.sweeps}. Answers: ${sorted(
        http.answers,
      )
        .map(([status, count]) => `${status} × ${n(count)}`)
        .join(', ')}.`,
      '',
    );
  }
  if (hostile) {
    out.push(
      `Hostile-input answers: ${sorted(hostile.answers)
        .map(([status, count]) => `${status} × ${n(count)}`)
        .join(', ')}.`,
      '',
    );
  }
  return out.join('\n').trimEnd();
};

/** RELIABILITY.md with its figures section replaced. */
export const withFigures = (document: string, figures: string): string => {
  const start = document.indexOf(START);
  const end = document.indexOf(END);
  if (start < 0 || end < start) {
    throw new Error(`RELIABILITY.md lacks the ${START} … ${END} markers`);
  }
  return `${document.slice(0, start + START.length)}\n\n${figures}\n\n${document.slice(end)}`;
};

export const REPORT_PATH = join(__dirname, '..', '..', 'RELIABILITY.md');
export const SOAK_SUMMARY_PATH = join(__dirname, 'last-run.json');

if (require.main === module) {
  // `--print PATH` shows a run's figures without touching the report.
  const print = process.argv[2] === '--print';
  const from = process.argv[print ? 3 : 2] ?? SOAK_SUMMARY_PATH;
  const summary = JSON.parse(readFileSync(from, 'utf8')) as Summary;
  const figures = renderFigures(summary);
  if (!print) {
    writeFileSync(
      REPORT_PATH,
      withFigures(readFileSync(REPORT_PATH, 'utf8'), figures),
    );
  }
  process.stdout.write(
    `${figures}\n\n${print ? 'figures of' : 'RELIABILITY.md figures rendered from'} ${relative(process.cwd(), from)}\n`,
  );
}
