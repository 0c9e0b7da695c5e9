import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyResult } from 'aws-lambda';
import {
  type CredentialsSource,
  StaticCredentialsSource,
} from '../../functions/credentials/source';
import { createLeaseApi } from '../../functions/http/lease-api';
import { Broker } from '../../functions/pool/broker';
import { DynamoDbPoolStore } from '../../functions/pool/dynamodb-pool-store';
import type { PoolItem } from '../../functions/pool/model';
import { type Clock, systemClock } from '../../functions/shared/clock';
import type { MetricsRecorder } from '../../functions/shared/metrics';
import type { Login } from '../../functions/upstream/login-client';
import {
  lambdaContext,
  type ProxyRequest,
  proxyEvent,
} from '../../local/api-gateway-adapter';
import { TEST_CREDENTIALS, TEST_TIMINGS } from '../helpers/broker';
import { createTestTable, type TestTable } from '../helpers/dynamodb';

/** The limits the deployed API runs with (README defaults). */
export const PRODUCTION_LIMITS = {
  leaseDefaultSeconds: 60,
  leaseMaxSeconds: 900,
  waitDefaultSeconds: 10,
  waitMaxSeconds: 25,
} as const;

export interface ApiAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
  /** The body exactly as the handler wrote it. */
  readonly raw: string;
}

export interface ApiUnderTest {
  readonly table: TestTable;
  readonly store: DynamoDbPoolStore;
  readonly broker: Broker;
  /** Logins the fake upstream was asked for. */
  readonly logins: () => number;
  call(request: ProxyRequest): Promise<ApiAnswer>;
  read(pool?: string): Promise<PoolItem | undefined>;
  close(): Promise<void>;
}

/**
 * The lease API handler, in-process, over a broker on a fresh table: the
 * same code API Gateway invokes, without HTTP in the way, so property tests
 * can send it thousands of requests.
 */
export const createApiUnderTest = async (
  options: {
    pools?: readonly string[];
    cap?: number;
    credentials?: CredentialsSource;
    login?: Login;
    logger?: Logger;
    metrics?: MetricsRecorder;
    clock?: Clock;
  } = {},
): Promise<ApiUnderTest> => {
  const table = await createTestTable();
  const store = new DynamoDbPoolStore(table.client, table.tableName);
  let serial = 0;
  let logins = 0;
  const login: Login =
    options.login ??
    (async () => {
      serial += 1;
      return `token-${serial}`;
    });
  const logger =
    options.logger ?? new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const credentials =
    options.credentials ?? new StaticCredentialsSource({ ...TEST_CREDENTIALS });
  const broker = new Broker({
    store,
    clock: options.clock ?? systemClock,
    login: async (...args) => {
      logins += 1;
      return login(...args);
    },
    logger,
    pools: (options.pools ?? ['default']).map((name) => ({
      name,
      cap: options.cap ?? 10,
      credentials,
    })),
    timings: TEST_TIMINGS,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  const handler = createLeaseApi({ broker, logger, limits: PRODUCTION_LIMITS });

  return {
    table,
    store,
    broker,
    logins: () => logins,
    call: async (request) => {
      const result = (await handler(
        proxyEvent(request),
        lambdaContext(),
      )) as APIGatewayProxyResult;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(result.body) as Record<string, unknown>;
      } catch {
        body = { unparsed: result.body };
      }
      return {
        status: result.statusCode,
        body,
        headers: (result.headers ?? {}) as Record<string, string>,
        raw: result.body,
      };
    },
    read: (pool = 'default') => store.read(pool),
    close: () => table.drop(),
  };
};
