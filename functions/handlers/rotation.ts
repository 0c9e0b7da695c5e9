import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbPoolStore } from '../pool/dynamodb-pool-store';
import { sweepPool } from '../pool/maintenance';
import { systemClock } from '../shared/clock';
import { loadConfig } from '../shared/config';
import { createLogger } from '../shared/logger';

const config = loadConfig(process.env);
const logger = createLogger('session-broker-rotation');
const store = new DynamoDbPoolStore(
  new DynamoDBClient(
    config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint } : {},
  ),
  config.tableName,
);

/**
 * Scheduled entry point: sweeps every configured pool. Reclaiming expired
 * leases needs no write (an expired lease is idle to the next check-out);
 * refreshing ahead of demand and draining old credentials are not built yet
 * (issue 5).
 */
export const handler = async (): Promise<{ pools: unknown[] }> => {
  const pools = [];
  for (const pool of config.pools) {
    pools.push(
      await sweepPool({ store, clock: systemClock, logger }, pool.name),
    );
  }
  return { pools };
};
