import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StaticCredentialsSource } from '../../functions/credentials/source';
import { Broker, type BrokerTimings } from '../../functions/pool/broker';
import { DynamoDbPoolStore } from '../../functions/pool/dynamodb-pool-store';
import type { SweepDependencies } from '../../functions/pool/maintenance';
import { ManualClock } from '../../functions/shared/clock';
import type { MetricsRecorder } from '../../functions/shared/metrics';
import type { Login } from '../../functions/upstream/login-client';
import { localAwsClientConfig } from '../../local/aws-local';
import {
  createTestTable,
  type TestTable,
  testDynamoDbEndpoint,
} from './dynamodb';

export const TEST_CREDENTIALS = {
  username: 'broker-test',
  password: 'pw-canary-7f3a',
  apiKey: 'key-canary-91bc',
  baseUrl: 'https://adapi.uat.sizmek.com/sas',
  versionId: 'v1',
} as const;

export const TEST_TIMINGS: BrokerTimings = {
  sessionLifetimeMs: 3 * 60 * 60 * 1000,
  clockSkewMs: 60_000,
  loginTimeoutMs: 3_000,
  leaseMaxMs: 15 * 60 * 1000,
};

/** A fake upstream login that counts calls and can be told to fail. */
export class FakeLogin {
  public calls = 0;
  public next: (() => Promise<string>) | undefined;
  #serial = 0;

  public readonly login: Login = async () => {
    this.calls += 1;
    if (this.next) return this.next();
    this.#serial += 1;
    return `token-${this.#serial}`;
  };
}

export interface TestBroker {
  readonly broker: Broker;
  readonly clock: ManualClock;
  readonly fake: FakeLogin;
  readonly credentials: StaticCredentialsSource;
  readonly store: DynamoDbPoolStore;
  readonly table: TestTable;
}

/** A broker on a fresh table with a manual clock and a fake upstream. */
export const createTestBroker = async (
  options: {
    cap?: number;
    timings?: Partial<BrokerTimings>;
    metrics?: MetricsRecorder;
  } = {},
): Promise<TestBroker> => {
  const table = await createTestTable();
  const clock = new ManualClock();
  const fake = new FakeLogin();
  const credentials = new StaticCredentialsSource({ ...TEST_CREDENTIALS });
  const store = new DynamoDbPoolStore(table.client, table.tableName);
  const broker = new Broker({
    store,
    clock,
    login: fake.login,
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    pools: [{ name: 'default', cap: options.cap ?? 10, credentials }],
    timings: { ...TEST_TIMINGS, ...options.timings },
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  return { broker, clock, fake, credentials, store, table };
};

export const PRINCIPAL = 'arn:aws:iam::111111111111:role/consumer';
export const OTHER_PRINCIPAL = 'arn:aws:iam::111111111111:role/intruder';

/**
 * Another broker container on the same table, clock, upstream and secret:
 * its own DynamoDB client and its own copy of the pool, as a second Lambda
 * container would have. Call `close` when done.
 */
export const anotherContainer = (
  t: TestBroker,
  cap: number,
): { broker: Broker; client: DynamoDBClient; close(): void } => {
  const client = new DynamoDBClient(
    localAwsClientConfig(testDynamoDbEndpoint()),
  );
  const broker = new Broker({
    store: new DynamoDbPoolStore(client, t.table.tableName),
    clock: t.clock,
    login: t.fake.login,
    logger: new Logger({
      serviceName: 'another-container',
      logLevel: 'SILENT',
    }),
    pools: [{ name: 'default', cap, credentials: t.credentials }],
    timings: TEST_TIMINGS,
  });
  return { broker, client, close: () => client.destroy() };
};

/** What `sweepPool` needs to sweep a test broker's pool. */
export const sweepDependencies = (t: TestBroker): SweepDependencies => ({
  store: t.store,
  clock: t.clock,
  logger: new Logger({ serviceName: 'test-sweep', logLevel: 'SILENT' }),
  broker: t.broker,
  secretVersion: async () => (await t.credentials.get()).versionId,
});
