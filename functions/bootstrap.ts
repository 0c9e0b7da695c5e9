import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CredentialsSource } from './credentials/source';
import { createLeaseApi } from './http/lease-api';
import { Broker } from './pool/broker';
import { DynamoDbPoolStore } from './pool/dynamodb-pool-store';
import type { Clock } from './shared/clock';
import type { BrokerConfig, PoolConfig } from './shared/config';
import type { MetricsRecorder } from './shared/metrics';
import { type Login, login as upstreamLogin } from './upstream/login-client';

export interface BrokerRuntime {
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly credentialsFor: (pool: PoolConfig) => CredentialsSource;
  readonly dynamoDb?: DynamoDBClient;
  readonly login?: Login;
  /** @default no metrics (local runs and tests) */
  readonly metrics?: MetricsRecorder;
}

/**
 * Wires a broker from its settings. The Lambda entry points, the local
 * server and the tests all build it here, so they run the same code.
 */
export const createBroker = (runtime: BrokerRuntime): Broker => {
  const { config } = runtime;
  const dynamoDb =
    runtime.dynamoDb ??
    new DynamoDBClient(
      config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint } : {},
    );
  return new Broker({
    store: new DynamoDbPoolStore(dynamoDb, config.tableName),
    clock: runtime.clock,
    login: runtime.login ?? upstreamLogin,
    logger: runtime.logger,
    pools: config.pools.map((pool) => ({
      name: pool.name,
      cap: pool.cap,
      credentials: runtime.credentialsFor(pool),
    })),
    quotaTimeZone: config.quotaTimeZone,
    ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
    timings: {
      sessionLifetimeMs: config.sessionLifetimeMs,
      clockSkewMs: config.clockSkewMs,
      loginTimeoutMs: config.loginTimeoutMs,
      leaseMaxMs: config.leaseMaxSeconds * 1000,
    },
  });
};

/** The HTTP handler over a broker built from `runtime`. */
export const createLeaseApiHandler = (runtime: BrokerRuntime) =>
  createLeaseApi({
    broker: createBroker(runtime),
    logger: runtime.logger,
    limits: runtime.config,
  });
