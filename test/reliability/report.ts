import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import type { SuiteFigures } from './render-report';

/** Set by `npm run test:soak`: the full sets run, and the report is kept. */
export const SOAK = process.env.BROKER_SOAK === '1';

const MODE = SOAK ? 'soak' : 'ci';
const PARTS = join(__dirname, '.parts');

/**
 * Where the merged figures go. Only `npm run test:soak` (which sets
 * `BROKER_SOAK_REPORT`) writes the committed summary RELIABILITY.md quotes;
 * a replay of one soak seed, or any CI run, writes beside the parts, out
 * of git.
 */
export const SUMMARY_PATH =
  SOAK && process.env.BROKER_SOAK_REPORT === '1'
    ? join(__dirname, 'last-run.json')
    : join(PARTS, `last-${MODE}-run.json`);

// One jest run shares one DynamoDB Local, so its endpoint tells this run's
// parts from those an earlier run left behind.
const RUN = process.env.BROKER_TEST_DYNAMODB_ENDPOINT ?? 'unknown';

interface Part {
  readonly run: string;
  readonly suite: string;
  readonly finishedAt: string;
  readonly figures: unknown;
}

const writeAtomically = (path: string, text: string): void => {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
};

/**
 * Records one suite's figures, prints them, and rewrites the run's summary
 * from every suite of this run that has finished so far.
 *
 * @example
 * ```ts
 * afterAll(() => recordFigures('hostile-input', { inputsTried, fiveHundreds }));
 * ```
 */
export const recordFigures = <K extends keyof SuiteFigures>(
  suite: K,
  figures: SuiteFigures[K],
): void => {
  mkdirSync(PARTS, { recursive: true });
  const part: Part = {
    run: RUN,
    suite,
    finishedAt: new Date().toISOString(),
    figures,
  };
  writeAtomically(join(PARTS, `${MODE}-${suite}.json`), JSON.stringify(part));
  process.stdout.write(
    `reliability figures (${suite}): ${JSON.stringify(figures)}\n`,
  );

  const parts = readdirSync(PARTS)
    .filter((name) => name.startsWith(`${MODE}-`) && name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(PARTS, name), 'utf8')) as Part)
    .filter((candidate) => candidate.run === RUN)
    .sort((a, b) => a.suite.localeCompare(b.suite));
  const summary = {
    command: SOAK ? 'npm run test:soak' : 'npm test',
    generatedAt: part.finishedAt,
    node: process.version,
    suites: Object.fromEntries(parts.map((p) => [p.suite, p.figures])),
  };
  writeAtomically(SUMMARY_PATH, `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(
    `reliability summary written to ${relative(process.cwd(), SUMMARY_PATH)}\n`,
  );
};
