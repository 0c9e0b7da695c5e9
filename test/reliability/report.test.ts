import { readFileSync } from 'node:fs';
import {
  END,
  REPORT_PATH,
  renderFigures,
  SOAK_SUMMARY_PATH,
  START,
  type Summary,
  withFigures,
} from './render-report';

const committed = (): Summary =>
  JSON.parse(readFileSync(SOAK_SUMMARY_PATH, 'utf8')) as Summary;

const schedulesOf = (
  violationsFound: string[],
): NonNullable<Summary['suites']['schedules']> => ({
  schedules: 2,
  seeds: '1-2',
  callersPerSchedule: 50,
  caps: { 'cap 10': 2 },
  callers: 100,
  checkOuts: 120,
  outcomes: { lease: 90, POOL_EXHAUSTED: 30 },
  faultsInjected: { 'dynamodb: throttled': 7 },
  lostAnswersByStep: { reserve: 1 },
  refusalsProvoked: {},
  upstreamLogins: 12,
  upstreamLoginsOverCap: 0,
  dynamodbRequests: 400,
  dynamodbRequestsByStep: { reserve: 12 },
  violations: violationsFound.length,
  violationsFound,
  slowestSchedules: { 'seed 1': '900 ms, 200 requests' },
  longestCheckOutPastItsWaitMs: 80,
});

describe('RELIABILITY.md', () => {
  it('quotes the committed soak run exactly, as `npm run reliability:report` renders it', () => {
    // Prepare
    const document = readFileSync(REPORT_PATH, 'utf8');

    // Act
    const rendered = withFigures(document, renderFigures(committed()));

    // Assess: nothing between the markers was typed by hand.
    expect(document).toBe(rendered);
  });

  it('reports a soak that broke no promise', () => {
    // Prepare
    const { suites } = committed();

    // Assess
    expect(suites.schedules?.violations).toBe(0);
    expect(suites.schedules?.upstreamLoginsOverCap).toBe(0);
    expect(suites['http-schedules']?.simulatorCapRefusals).toBe(0);
    expect(suites['http-schedules']?.violations).toBe(0);
    expect(suites['hostile-input']?.fiveHundreds).toBe(0);
    expect(suites['hostile-input']?.poolChangedOn4xx).toBe(0);
    expect(suites.canary?.leaks).toBe(0);
    expect(suites.security?.intruderSuccesses).toBe(0);
    expect(suites.security?.guessedIdsAccepted).toBe(0);
  });
});

describe('Function: renderFigures', () => {
  const base = {
    command: 'npm run test:soak',
    generatedAt: '2026-12-03T00:00:00.000Z',
    node: 'v20.0.0',
  };

  it('lists every violation a run found, with its seed', () => {
    // Act
    const figures = renderFigures({
      ...base,
      suites: {
        schedules: schedulesOf(['seed 7: upstream peak live 11 > cap 10']),
      },
    });

    // Assess
    expect(figures).toContain('| **violations** (schedules) | **1** |');
    expect(figures).toContain('- seed 7: upstream peak live 11 > cap 10');
  });

  it('says which suites did not report rather than showing zeros', () => {
    // Act
    const figures = renderFigures({ ...base, suites: {} });

    // Assess
    expect(figures).toContain('The schedules suite did not report');
    expect(figures).not.toContain('**0**');
  });
});

describe('Function: withFigures', () => {
  it('replaces only what lies between the markers', () => {
    // Prepare
    const document = `# R\n\nbefore\n${START}\n\nold\n\n${END}\n\nafter\n`;

    // Act
    const updated = withFigures(document, 'new');

    // Assess
    expect(updated).toBe(`# R\n\nbefore\n${START}\n\nnew\n\n${END}\n\nafter\n`);
  });

  it('refuses a document without the markers', () => {
    expect(() => withFigures('# R\n', 'new')).toThrow(/markers/);
  });
});
