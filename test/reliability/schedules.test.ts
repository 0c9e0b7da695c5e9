import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { recordFigures, SOAK } from './report';
import type { ScheduleResult } from './schedule';

/** Schedules per run: the CI subset, or the soak's full set. */
const SCHEDULES = Number(process.env.BROKER_SCHEDULES ?? (SOAK ? 500 : 100));
const CALLERS = 50;
/** Schedules run at once, each on its own pool: DynamoDB Local is the limit. */
const LANES = Number(process.env.BROKER_LANES ?? 2);
/** Seeds per test. */
const PER_TEST = 10;
/** Check-outs per caller are drawn from 1 to this. */
const MAX_ROUNDS = SOAK ? 3 : 1;
/** `BROKER_SEED=17` replays seed 17 alone; `BROKER_FIRST_SEED` shifts the range. */
const FIRST_SEED = Number(
  process.env.BROKER_SEED ?? process.env.BROKER_FIRST_SEED ?? 1,
);
const LAST_SEED = process.env.BROKER_SEED
  ? FIRST_SEED
  : FIRST_SEED + SCHEDULES - 1;

const seeds = Array.from(
  { length: LAST_SEED - FIRST_SEED + 1 },
  (_, i) => FIRST_SEED + i,
);
const batches = Array.from(
  { length: Math.ceil(seeds.length / PER_TEST) },
  (_, i) => seeds.slice(i * PER_TEST, (i + 1) * PER_TEST),
);

type Outcome = ScheduleResult | { seed: number; crashed: string };

const add = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [key, value] of Object.entries(from)) {
    into[key] = (into[key] ?? 0) + value;
  }
};

describe('Broker under seeded fault schedules (in-process upstream, DynamoDB Local)', () => {
  const results: ScheduleResult[] = [];
  const waiting = new Map<number, (outcome: Outcome) => void>();
  const arrived = new Map<number, Outcome>();
  let runner: ChildProcess;
  let runnerExit: Promise<number | null>;

  const outcomeOf = (seed: number): Promise<Outcome> => {
    const early = arrived.get(seed);
    if (early) return Promise.resolve(early);
    return new Promise((resolve) => waiting.set(seed, resolve));
  };

  beforeAll(() => {
    // One runner for every seed; each test below awaits its own seeds.
    runner = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(__dirname, 'schedule-runner.ts'),
        `${FIRST_SEED}-${LAST_SEED}`,
        String(LANES),
        String(MAX_ROUNDS),
      ],
      { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const stderr: string[] = [];
    runner.stderr?.on('data', (chunk) => {
      stderr.push(String(chunk));
      if (process.env.BROKER_RELIABILITY_DEBUG) process.stderr.write(chunk);
    });
    createInterface({ input: runner.stdout as NodeJS.ReadableStream }).on(
      'line',
      (line) => {
        if (!line.startsWith('{')) return;
        const outcome = JSON.parse(line) as Outcome;
        arrived.set(outcome.seed, outcome);
        waiting.get(outcome.seed)?.(outcome);
      },
    );
    runnerExit = new Promise((resolve) => {
      runner.on('exit', (code) => {
        // A runner that died answers every seed still waiting.
        for (const seed of seeds) {
          if (!arrived.has(seed)) {
            const crashed = {
              seed,
              crashed: `runner exited ${code}: ${stderr.join('')}`,
            };
            arrived.set(seed, crashed);
            waiting.get(seed)?.(crashed);
          }
        }
        resolve(code);
      });
    });
  });

  afterAll(async () => {
    if (runner.exitCode === null) runner.kill();
    await runnerExit;
    const outcomes: Record<string, number> = {};
    const faults: Record<string, number> = {};
    const refusals: Record<string, number> = {};
    const lostAnswersByStep: Record<string, number> = {};
    const requestsByStep: Record<string, number> = {};
    const caps: Record<string, number> = {};
    for (const result of results) {
      add(outcomes, result.outcomes);
      add(faults, result.faults);
      add(refusals, result.refusals);
      add(lostAnswersByStep, result.lostAnswersByStep);
      add(requestsByStep, result.requestsByStep);
      add(caps, { [`cap ${result.cap}`]: 1 });
    }
    recordFigures('schedules', {
      schedules: results.length,
      seeds: `${FIRST_SEED}-${LAST_SEED}`,
      callersPerSchedule: CALLERS,
      caps,
      callers: results.length * CALLERS,
      checkOuts: results.reduce((sum, r) => sum + r.checkOuts, 0),
      outcomes,
      faultsInjected: faults,
      lostAnswersByStep,
      refusalsProvoked: refusals,
      upstreamLogins: results.reduce((sum, r) => sum + r.upstreamLogins, 0),
      upstreamLoginsOverCap: results.reduce(
        (sum, r) => sum + r.upstreamLoginsOverCap,
        0,
      ),
      dynamodbRequests: results.reduce((sum, r) => sum + r.dynamodbRequests, 0),
      dynamodbRequestsByStep: requestsByStep,
      violations: results.reduce((sum, r) => sum + r.violations.length, 0),
      violationsFound: results.flatMap((r) =>
        r.violations.map((v) => `seed ${r.seed}: ${v}`),
      ),
      slowestSchedules: Object.fromEntries(
        [...results]
          .sort((a, b) => b.durationMs - a.durationMs)
          .slice(0, 5)
          .map((r) => [
            `seed ${r.seed}`,
            `${r.durationMs} ms, ${r.dynamodbRequests} requests`,
          ]),
      ),
      longestCheckOutPastItsWaitMs: Math.max(
        0,
        ...results.map((r) => r.maxOverrunMs),
      ),
    });
  });

  it.each(
    batches.map(
      (batch) => [`${batch[0]}-${batch[batch.length - 1]}`, batch] as const,
    ),
  )(
    'keeps the cap, the count, every slot and every caller typed (seeds %s)',
    async (_title, batch) => {
      // Prepare, Act: the runner builds each schedule's world and runs it.
      const done = await Promise.all(batch.map(outcomeOf));

      // Assess: every broken promise, with the seed that replays it.
      const crashed = done.filter(
        (o): o is { seed: number; crashed: string } => 'crashed' in o,
      );
      const finished = done.filter(
        (o): o is ScheduleResult => !('crashed' in o),
      );
      results.push(...finished);
      if (process.env.BROKER_RELIABILITY_DEBUG) {
        for (const r of finished) {
          process.stdout.write(
            `seed ${r.seed}: cap ${r.cap}, ${r.durationMs} ms, overrun ${r.maxOverrunMs} ms, ${r.dynamodbRequests} requests, ${JSON.stringify(r.outcomes)}\n`,
          );
        }
      }
      const replay = (seed: number) =>
        `replay: ${SOAK ? 'BROKER_SOAK=1 ' : ''}BROKER_SEED=${seed} npx jest test/reliability/schedules.test.ts`;
      const failures = finished
        .filter((result) => result.violations.length > 0)
        .map(
          (result) =>
            `seed ${result.seed} (${replay(result.seed)}): ${result.violations.join('; ')}`,
        );
      // A login sent while `cap` sessions were live, an untyped outcome and
      // every other broken promise are among each schedule's violations.
      expect(
        crashed.map((o) => `seed ${o.seed} (${replay(o.seed)}): ${o.crashed}`),
      ).toEqual([]);
      expect(failures).toEqual([]);
    },
    SOAK ? 900_000 : 180_000,
  );
});
