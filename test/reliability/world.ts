import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type GetSecretValueCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { SecretsManagerCredentialsSource } from '../../functions/credentials/secrets-manager';
import { Broker, type BrokerTimings } from '../../functions/pool/broker';
import { DynamoDbPoolStore } from '../../functions/pool/dynamodb-pool-store';
import { localAwsClientConfig } from '../../local/aws-local';
import { CountingUpstream } from '../helpers/counting-upstream';
import { DynamoDbFaults } from '../helpers/dynamodb-faults';
import { JumpClock } from '../helpers/jump-clock';
import type { SeededRandom } from '../helpers/seeded-random';
import type { FaultProfile } from './profile';

/**
 * Timings on the schedule's clock. Sessions live a minute so that clock
 * jumps can end them within a schedule; logins time out fast in real time.
 */
export const WORLD_TIMINGS: BrokerTimings = {
  sessionLifetimeMs: 60_000,
  clockSkewMs: 5_000,
  loginTimeoutMs: 150,
  leaseMaxMs: 30_000,
};

/** The secret as an operator keeps it in Secrets Manager. */
export interface SecretState {
  username: string;
  password: string;
  apiKey: string;
  version: number;
  down: boolean;
}

export interface SecretCounters {
  reads: number;
  throttled: number;
  failedWhileDown: number;
}

/** Identifies the caller whose async context a login runs in. */
export interface CallerContext {
  die(): void;
  /** Store steps this caller's requests made, in order. */
  readonly steps?: string[];
  /** Set for the rotation sweep's own requests. */
  readonly sweep?: boolean;
}

/**
 * Everything one schedule runs against: a clock that can jump, a counting
 * upstream, a mocked Secrets Manager, DynamoDB Local behind fault
 * middleware, and several broker containers with their own stale copies.
 */
export interface World {
  readonly pool: string;
  readonly cap: number;
  readonly clock: JumpClock;
  readonly upstream: CountingUpstream;
  readonly faults: DynamoDbFaults;
  readonly secret: SecretState;
  readonly secretCounters: SecretCounters;
  readonly brokers: readonly Broker[];
  /** A broker with its own store and an uncached secret, for the sweep. */
  readonly sweeper: { broker: Broker; store: DynamoDbPoolStore };
  readonly callers: AsyncLocalStorage<CallerContext>;
  /** DynamoDB request attempts by store step (`sweep ...` for the sweep's). */
  readonly requestsByStep: Record<string, number>;
  close(): void;
}

export const buildWorld = (options: {
  random: SeededRandom;
  profile: FaultProfile;
  pool: string;
  cap: number;
  tableName: string;
  endpoint: string;
  peek: DynamoDBClient;
}): World => {
  const { random, profile, cap } = options;
  const clock = new JumpClock();
  const secret: SecretState = {
    username: `user-${options.pool}`,
    password: `pw-${random.hex(12)}`,
    apiKey: `key-${random.hex(12)}`,
    version: 1,
    down: profile.secretOutageAtStart,
  };
  const secretCounters: SecretCounters = {
    reads: 0,
    throttled: 0,
    failedWhileDown: 0,
  };
  const callers = new AsyncLocalStorage<CallerContext>();
  const upstream = new CountingUpstream({
    clock,
    cap,
    lifetimeMs: WORLD_TIMINGS.sessionLifetimeMs,
    random,
    account: {
      username: secret.username,
      password: secret.password,
      apiKey: secret.apiKey,
    },
    faults: profile.upstream,
    slowMs: [20, 250],
  });
  upstream.onCrash = () => callers.getStore()?.die();
  const faults = new DynamoDbFaults({
    random,
    rates: profile.dynamodb,
    tableName: options.tableName,
    peek: options.peek,
    capOf: () => cap,
  });
  const requestsByStep: Record<string, number> = {};
  faults.onAttempt = (step) => {
    const key = callers.getStore()?.sweep ? `sweep ${step}` : step;
    requestsByStep[key] = (requestsByStep[key] ?? 0) + 1;
    callers.getStore()?.steps?.push(step);
  };
  const closers: (() => void)[] = [];
  const logger = new Logger({ serviceName: 'reliability', logLevel: 'SILENT' });

  const container = (maxAgeMs: number) => {
    const client = new DynamoDBClient({
      ...localAwsClientConfig(options.endpoint),
      // The SDK's own retry, with short pauses so a schedule stays quick.
      retryStrategy: new ConfiguredRetryStrategy(3, (attempt) => 2 * attempt),
    });
    faults.attach(client);
    const secrets = new SecretsManagerClient({ region: 'us-east-1' });
    // Answered by middleware before anything is sent, as a stub would be,
    // but owned by this client alone: a sinon stub (aws-sdk-client-mock)
    // stays in sinon's default sandbox, with every call it saw, for the
    // life of the process, and hundreds of schedules then keep their worlds.
    secrets.middlewareStack.add(
      () => async () => {
        secretCounters.reads += 1;
        if (secret.down) {
          secretCounters.failedWhileDown += 1;
          throw Object.assign(new Error('injected: service unavailable'), {
            name: 'InternalServiceError',
          });
        }
        if (random.chance(profile.secretThrottle)) {
          secretCounters.throttled += 1;
          throw Object.assign(new Error('injected: rate exceeded'), {
            name: 'ThrottlingException',
          });
        }
        const output: GetSecretValueCommandOutput = {
          $metadata: {},
          SecretString: JSON.stringify({
            username: secret.username,
            password: secret.password,
            apiKey: secret.apiKey,
            baseUrl: 'https://adapi.uat.sizmek.com/sas',
          }),
          VersionId: `v${secret.version}`,
        };
        return { output: output as never, response: undefined };
      },
      { step: 'initialize', name: 'fake-secrets-manager' },
    );
    closers.push(() => {
      secrets.destroy();
      client.destroy();
    });
    const store = new DynamoDbPoolStore(client, options.tableName);
    const broker = new Broker({
      store,
      clock,
      login: upstream.login,
      logger,
      pools: [
        {
          name: options.pool,
          cap,
          credentials: new SecretsManagerCredentialsSource({
            client: secrets,
            secretId: 'reliability/upstream',
            clock,
            maxAgeMs,
            staleIfErrorMs: 10 * 60_000,
          }),
        },
      ],
      timings: WORLD_TIMINGS,
      random: random.next,
    });
    return { broker, store };
  };

  const brokers = Array.from(
    { length: profile.containers },
    () => container(50).broker,
  );
  const sweeper = container(0);
  return {
    pool: options.pool,
    cap,
    clock,
    upstream,
    faults,
    secret,
    secretCounters,
    brokers,
    sweeper,
    callers,
    requestsByStep,
    close: () => {
      for (const close of closers) close();
      // Node keeps every AsyncLocalStorage that ran until it is disabled,
      // and each new promise visits all of them: without this, every
      // schedule makes the ones after it slower.
      callers.disable();
    },
  };
};
