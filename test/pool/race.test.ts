import { Logger } from '@aws-lambda-powertools/logger';
import { StaticCredentialsSource } from '../../functions/credentials/source';
import { Broker } from '../../functions/pool/broker';
import { DynamoDbPoolStore } from '../../functions/pool/dynamodb-pool-store';
import type { PoolItem } from '../../functions/pool/model';
import { sleep, systemClock } from '../../functions/shared/clock';
import {
  LoginOutcomeUnknownError,
  LoginUnavailableError,
} from '../../functions/upstream/errors';
import type { Login } from '../../functions/upstream/login-client';
import { PRINCIPAL, TEST_CREDENTIALS, TEST_TIMINGS } from '../helpers/broker';
import { createTestTable, type TestTable } from '../helpers/dynamodb';

const CAP = 10;

/** Counts sessions as the upstream would; none expire within a test. */
class CountingUpstream {
  public sessions = 0;
  public peak = 0;
  public attemptsOverCap = 0;

  public constructor(
    private readonly faults: { failRate: number; unknownRate: number },
    private readonly random: () => number,
  ) {}

  public readonly login: Login = async () => {
    await sleep(5 + this.random() * 30);
    const roll = this.random();
    if (roll < this.faults.failRate)
      throw new LoginUnavailableError('HTTP 503');
    if (this.sessions >= CAP) this.attemptsOverCap += 1;
    this.sessions += 1;
    this.peak = Math.max(this.peak, this.sessions);
    if (roll < this.faults.failRate + this.faults.unknownRate) {
      throw new LoginOutcomeUnknownError('timed out');
    }
    return `token-${this.sessions}`;
  };
}

/** Mulberry32: small, seeded, good enough to vary interleavings. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

describe('Class: Broker, under contention', () => {
  let table: TestTable;

  beforeEach(async () => {
    table = await createTestTable();
  });

  afterEach(() => table.drop());

  it.each([
    ['healthy logins', 1, { failRate: 0, unknownRate: 0 }],
    ['failing logins', 2, { failRate: 0.3, unknownRate: 0 }],
    ['logins of unknown outcome', 3, { failRate: 0, unknownRate: 0.2 }],
    ['all faults at once', 4, { failRate: 0.2, unknownRate: 0.1 }],
  ])(
    'never mints past the cap with %s (seed %i)',
    async (_title, seed, faults) => {
      // Prepare: five containers, each with its own stale view of the pool.
      const random = seeded(seed);
      const upstream = new CountingUpstream(faults, random);
      const credentials = new StaticCredentialsSource({ ...TEST_CREDENTIALS });
      const brokers = Array.from(
        { length: 5 },
        () =>
          new Broker({
            store: new DynamoDbPoolStore(table.client, table.tableName),
            clock: systemClock,
            login: upstream.login,
            logger: new Logger({ serviceName: 'race', logLevel: 'SILENT' }),
            pools: [{ name: 'default', cap: CAP, credentials }],
            timings: TEST_TIMINGS,
            random,
          }),
      );
      const outcomes = new Map<string, number>();
      const count = (key: string): void => {
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      };

      // Act: 50 callers, 200 check-outs of short jobs.
      let remaining = 200;
      await Promise.all(
        Array.from({ length: 50 }, async (_, caller) => {
          const broker = brokers[caller % brokers.length] as Broker;
          while (remaining > 0) {
            remaining -= 1;
            try {
              const lease = await broker.checkOut('default', {
                principal: PRINCIPAL,
                leaseMs: 30_000,
                waitMs: 8_000,
              });
              await sleep(random() * 10);
              await broker.checkIn('default', lease.leaseId, {
                principal: PRINCIPAL,
                generation: lease.generation,
                outcome: 'ok',
              });
              count('lease');
            } catch (error) {
              count((error as { code?: string }).code ?? 'untyped');
            }
          }
        }),
      );

      // Assess
      const item = (await new DynamoDbPoolStore(
        table.client,
        table.tableName,
      ).read('default')) as PoolItem;
      expect(upstream.peak).toBeLessThanOrEqual(CAP);
      expect(upstream.attemptsOverCap).toBe(0);
      expect(item.live).toBe(Object.keys(item.sessions).length);
      expect(outcomes.get('untyped')).toBeUndefined();
      expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(200);
      expect(outcomes.get('lease') ?? 0).toBeGreaterThan(100);
    },
  );
});
