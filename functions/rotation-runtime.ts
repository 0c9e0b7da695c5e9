import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { BrokerMetric } from '../infra/metrics';
import { type BrokerRuntime, createBroker } from './bootstrap';
import {
  isRotationEvent,
  RotationError,
  rotateSecret,
  secretMatches,
} from './credentials/rotation';
import { DynamoDbPoolStore } from './pool/dynamodb-pool-store';
import { type SweepSummary, sweepPool } from './pool/maintenance';
import { noMetrics } from './shared/metrics';

/** A sweep holds its pool for at most this long. */
const SWEEP_CLAIM_MS = 60_000;

export interface RotationRuntime extends BrokerRuntime {
  /** Present in AWS; local runs and tests sweep only. */
  readonly secretsManager?: SecretsManagerClient;
}

/**
 * The rotation function: on the schedule (or by hand) it sweeps every pool;
 * on a Secrets Manager rotation event it runs that step for the pool whose
 * secret is rotating. `credentialsFor` must read secrets afresh.
 */
export const createRotationHandler = (runtime: RotationRuntime) => {
  const { config, clock, logger } = runtime;
  const dynamoDb =
    runtime.dynamoDb ??
    new DynamoDBClient(
      config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint } : {},
    );
  const sources = new Map(
    config.pools.map((pool) => [pool.name, runtime.credentialsFor(pool)]),
  );
  const broker = createBroker({
    ...runtime,
    dynamoDb,
    credentialsFor: (pool) =>
      sources.get(pool.name) ?? runtime.credentialsFor(pool),
  });
  const store = new DynamoDbPoolStore(dynamoDb, config.tableName);
  const settings = {
    refreshAheadMs: config.refreshAheadMs,
    demandWindowMs: config.demandWindowMs,
    refreshMinSessions: config.refreshMinSessions,
    refreshMaxSessions: config.refreshMaxSessions,
    claimMs: SWEEP_CLAIM_MS,
  };

  const sweep = async (pool: string): Promise<SweepSummary> => {
    const summary = await sweepPool(
      {
        store,
        clock,
        logger,
        broker,
        secretVersion: async (name) =>
          (
            await (
              sources.get(name) as NonNullable<ReturnType<typeof sources.get>>
            ).get()
          ).versionId,
      },
      settings,
      pool,
    );
    logger.info('pool swept', { ...summary });
    const metrics = runtime.metrics ?? noMetrics;
    metrics.record(pool, BrokerMetric.LiveSessions, summary.live);
    metrics.record(pool, BrokerMetric.LeasedSessions, summary.leased);
    metrics.record(
      pool,
      BrokerMetric.BreakerOpen,
      summary.breaker === 'open' ? 1 : 0,
    );
    return summary;
  };

  return async (event: unknown): Promise<{ pools: SweepSummary[] }> => {
    if (isRotationEvent(event)) {
      const pool = config.pools.find(
        (candidate) =>
          candidate.secretId !== undefined &&
          secretMatches(candidate.secretId, event.SecretId),
      );
      if (!pool || !runtime.secretsManager) {
        throw new RotationError('No pool uses the secret being rotated');
      }
      await rotateSecret(event, {
        client: runtime.secretsManager,
        logger,
        ...((pool.baseUrl ?? config.defaultBaseUrl)
          ? { defaultBaseUrl: pool.baseUrl ?? config.defaultBaseUrl }
          : {}),
        testLogin: async (staged) => {
          const result = await broker.mintIdle(pool.name, staged);
          if (result !== 'minted') {
            throw new RotationError(
              result === 'no-room'
                ? 'The pool has no free slot for the test login; retry the rotation later'
                : 'The staged credentials did not log in',
            );
          }
        },
        afterPromotion: async () => {
          await sweep(pool.name);
        },
      });
      return { pools: [] };
    }

    const pools: SweepSummary[] = [];
    for (const pool of config.pools) pools.push(await sweep(pool.name));
    return { pools };
  };
};
