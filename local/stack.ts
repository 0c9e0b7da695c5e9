import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLeaseApiHandler } from '../functions/bootstrap';
import { StaticCredentialsSource } from '../functions/credentials/source';
import type { SweepSummary } from '../functions/pool/maintenance';
import { createRotationHandler } from '../functions/rotation-runtime';
import { type Clock, systemClock } from '../functions/shared/clock';
import { type BrokerConfig, loadConfig } from '../functions/shared/config';
import { createLogger } from '../functions/shared/logger';
import { type LocalApi, startLocalApi } from './api-gateway-adapter';
import { localAwsClientConfig } from './aws-local';
import { type DynamoDbLocalHandle, startDynamoDbLocal } from './dynamodb-local';
import { UpstreamSimulator } from './simulator';
import { createPoolTable } from './table';

/** Credentials the local broker logs in with, and the simulator accepts. */
export const LOCAL_CREDENTIALS = {
  username: 'local-demo',
  password: 'local-demo-password',
  apiKey: 'local-demo-api-key',
} as const;

export interface LocalStackOptions {
  /** Port for the broker's API; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Use this DynamoDB instead of starting DynamoDB Local. */
  readonly dynamoDbEndpoint?: string;
  /** Use this upstream instead of starting the simulator. */
  readonly upstreamBaseUrl?: string;
  /** `BROKER_*` settings, as a deployed broker would read them. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Credentials for the `default` pool. @default LOCAL_CREDENTIALS */
  readonly credentials?: { username: string; password: string; apiKey: string };
  /** Simulator session lifetime; defaults to the broker's. */
  readonly simulatorSessionLifetimeMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Run the rotation function this often, as the schedule does. @default never */
  readonly sweepIntervalMs?: number;
}

export interface LocalStack {
  readonly url: string;
  readonly config: BrokerConfig;
  /** Present when this stack started the simulator. */
  readonly simulator?: UpstreamSimulator;
  readonly credentials: StaticCredentialsSource;
  readonly api: LocalApi;
  /** Runs the rotation function once, as the schedule does in AWS. */
  sweep(): Promise<{ pools: SweepSummary[] }>;
  close(): Promise<void>;
}

/**
 * Starts the broker as it runs in AWS, with local stand-ins: DynamoDB Local
 * for the table, the simulator for the upstream, and a `node:http` server
 * in place of API Gateway. Everything listens on loopback only.
 */
export const startLocalStack = async (
  options: LocalStackOptions = {},
): Promise<LocalStack> => {
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse())
      await closer().catch(() => undefined);
  };

  try {
    let dynamoDbEndpoint = options.dynamoDbEndpoint;
    if (!dynamoDbEndpoint) {
      const engine: DynamoDbLocalHandle = await startDynamoDbLocal();
      closers.push(() => engine.stop());
      dynamoDbEndpoint = engine.endpoint;
    }

    const env = {
      BROKER_TABLE_NAME: 'session-broker-local',
      BROKER_POOLS: JSON.stringify([{ name: 'default', cap: 10 }]),
      ...options.env,
      BROKER_DYNAMODB_ENDPOINT: dynamoDbEndpoint,
    };
    const config = loadConfig(env);
    const clock = options.clock ?? systemClock;
    const credentials = options.credentials ?? LOCAL_CREDENTIALS;

    let baseUrl = options.upstreamBaseUrl;
    let simulator: UpstreamSimulator | undefined;
    if (!baseUrl) {
      simulator = new UpstreamSimulator({ clock });
      await simulator.start();
      closers.push(() => simulator?.stop() ?? Promise.resolve());
      simulator.addAccount({
        ...credentials,
        maxSessions: config.pools[0]?.cap ?? 10,
        sessionLifetimeMs:
          options.simulatorSessionLifetimeMs ?? config.sessionLifetimeMs,
      });
      baseUrl = simulator.baseUrl;
    }

    const dynamoDb = new DynamoDBClient(localAwsClientConfig(dynamoDbEndpoint));
    closers.push(async () => dynamoDb.destroy());
    await createPoolTable(dynamoDb, config.tableName);

    const source = new StaticCredentialsSource({
      ...credentials,
      baseUrl,
      versionId: 'local-1',
    });
    const handler = createLeaseApiHandler({
      config,
      clock,
      logger: options.logger ?? createLogger(),
      credentialsFor: () => source,
      dynamoDb,
    });
    const api = await startLocalApi(handler, { port: options.port ?? 0 });
    closers.push(() => api.close());

    const rotation = createRotationHandler({
      config,
      clock,
      logger: options.logger ?? createLogger('session-broker-rotation'),
      credentialsFor: () => source,
      dynamoDb,
    });
    const sweep = () => rotation({});
    if (options.sweepIntervalMs) {
      const timer = setInterval(() => {
        sweep().catch(() => undefined);
      }, options.sweepIntervalMs);
      timer.unref();
      closers.push(async () => clearInterval(timer));
    }

    return {
      url: api.url,
      config,
      ...(simulator ? { simulator } : {}),
      credentials: source,
      api,
      sweep,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
};
