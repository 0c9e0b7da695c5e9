import { z } from 'zod';
import { assertTimeZone } from '../pool/quota';
import { BrokerError } from './errors';

/** The upstream allows 10 live sessions per set of credentials. */
export const DEFAULT_CAP = 10;
/** Upstream sessions live 3 hours from login, used or not. */
export const DEFAULT_SESSION_LIFETIME_SECONDS = 3 * 60 * 60;
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;
export const DEFAULT_LOGIN_TIMEOUT_MS = 3_000;
export const DEFAULT_LEASE_SECONDS = 60;
/** A Lambda runs at most 15 minutes; a longer lease only hides a dead holder. */
export const DEFAULT_LEASE_MAX_SECONDS = 15 * 60;
export const DEFAULT_WAIT_SECONDS = 10;
export const DEFAULT_WAIT_MAX_SECONDS = 25;
export const DEFAULT_SECRET_MAX_AGE_SECONDS = 5 * 60;
export const DEFAULT_SECRET_STALE_IF_ERROR_SECONDS = 60 * 60;
/** Sessions this close to the end of their usable life get a successor. */
export const DEFAULT_REFRESH_AHEAD_SECONDS = 15 * 60;
/** Sessions leased within this window count as recent demand. */
export const DEFAULT_DEMAND_WINDOW_SECONDS = 15 * 60;
export const DEFAULT_REFRESH_MIN_SESSIONS = 0;
export const DEFAULT_REFRESH_MAX_SESSIONS = DEFAULT_CAP;
export const DEFAULT_QUOTA_TIME_ZONE = 'UTC';

/**
 * API Gateway cuts requests at 29 s; a check-out may wait and then log in,
 * so the two together must end before that with room to answer.
 */
export const REQUEST_BUDGET_MS = 28_000;

/** A setting that cannot work; raised at start-up, never per request. */
export class ConfigError extends BrokerError {
  public readonly code = 'CONFIG_INVALID';
  public readonly status = 500;
}

const seconds = (fallback: number) =>
  z.coerce.number().int().positive().default(fallback);

export const poolConfigSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    cap: z.number().int().min(1).default(DEFAULT_CAP),
    /**
     * The upstream documents 10; only an operator who knows better for
     * their account may go above it.
     */
    allowCapAboveTen: z.boolean().default(false),
    secretId: z.string().min(1).optional(),
    baseUrl: z.string().optional(),
  })
  .strict();

export type PoolConfig = z.infer<typeof poolConfigSchema>;

const envSchema = z.object({
  BROKER_TABLE_NAME: z.string().min(1),
  BROKER_DYNAMODB_ENDPOINT: z.string().url().optional(),
  BROKER_POOLS: z.string().min(1),
  BROKER_UPSTREAM_BASE_URL: z.string().optional(),
  BROKER_SESSION_LIFETIME_SECONDS: seconds(DEFAULT_SESSION_LIFETIME_SECONDS),
  BROKER_CLOCK_SKEW_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_CLOCK_SKEW_SECONDS),
  BROKER_LOGIN_TIMEOUT_MS: seconds(DEFAULT_LOGIN_TIMEOUT_MS),
  BROKER_LEASE_DEFAULT_SECONDS: seconds(DEFAULT_LEASE_SECONDS),
  BROKER_LEASE_MAX_SECONDS: seconds(DEFAULT_LEASE_MAX_SECONDS),
  BROKER_WAIT_DEFAULT_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_WAIT_SECONDS),
  BROKER_WAIT_MAX_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_WAIT_MAX_SECONDS),
  BROKER_SECRET_MAX_AGE_SECONDS: seconds(DEFAULT_SECRET_MAX_AGE_SECONDS),
  BROKER_SECRET_STALE_IF_ERROR_SECONDS: seconds(
    DEFAULT_SECRET_STALE_IF_ERROR_SECONDS,
  ),
  BROKER_REFRESH_AHEAD_SECONDS: seconds(DEFAULT_REFRESH_AHEAD_SECONDS),
  BROKER_DEMAND_WINDOW_SECONDS: seconds(DEFAULT_DEMAND_WINDOW_SECONDS),
  BROKER_REFRESH_MIN_SESSIONS: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_REFRESH_MIN_SESSIONS),
  BROKER_REFRESH_MAX_SESSIONS: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_REFRESH_MAX_SESSIONS),
  BROKER_QUOTA_TIME_ZONE: z.string().min(1).default(DEFAULT_QUOTA_TIME_ZONE),
});

export interface BrokerConfig {
  readonly tableName: string;
  readonly dynamoDbEndpoint?: string;
  readonly pools: readonly PoolConfig[];
  readonly defaultBaseUrl?: string;
  readonly sessionLifetimeMs: number;
  readonly clockSkewMs: number;
  readonly loginTimeoutMs: number;
  readonly leaseDefaultSeconds: number;
  readonly leaseMaxSeconds: number;
  readonly waitDefaultSeconds: number;
  readonly waitMaxSeconds: number;
  readonly secretMaxAgeMs: number;
  readonly secretStaleIfErrorMs: number;
  readonly refreshAheadMs: number;
  readonly demandWindowMs: number;
  /** Fewest ready sessions the sweep keeps while the pool is in use. */
  readonly refreshMinSessions: number;
  /** Most ready sessions the sweep logs in ahead of demand. */
  readonly refreshMaxSessions: number;
  readonly quotaTimeZone: string;
}

/**
 * Reads the broker's settings from `BROKER_*` variables, filling in the
 * named defaults, and refuses combinations that cannot work.
 *
 * @example
 * BROKER_TABLE_NAME=broker BROKER_POOLS='[{"name":"default","secretId":"ads"}]'
 */
export const loadConfig = (env: NodeJS.ProcessEnv): BrokerConfig => {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      `Invalid settings: ${parsed.error.issues
        .map((issue) => issue.path.join('.'))
        .join(', ')}`,
    );
  }
  const e = parsed.data;
  return validateConfig({
    tableName: e.BROKER_TABLE_NAME,
    ...(e.BROKER_DYNAMODB_ENDPOINT
      ? { dynamoDbEndpoint: e.BROKER_DYNAMODB_ENDPOINT }
      : {}),
    pools: parsePools(e.BROKER_POOLS),
    ...(e.BROKER_UPSTREAM_BASE_URL
      ? { defaultBaseUrl: e.BROKER_UPSTREAM_BASE_URL }
      : {}),
    sessionLifetimeMs: e.BROKER_SESSION_LIFETIME_SECONDS * 1000,
    clockSkewMs: e.BROKER_CLOCK_SKEW_SECONDS * 1000,
    loginTimeoutMs: e.BROKER_LOGIN_TIMEOUT_MS,
    leaseDefaultSeconds: e.BROKER_LEASE_DEFAULT_SECONDS,
    leaseMaxSeconds: e.BROKER_LEASE_MAX_SECONDS,
    waitDefaultSeconds: e.BROKER_WAIT_DEFAULT_SECONDS,
    waitMaxSeconds: e.BROKER_WAIT_MAX_SECONDS,
    secretMaxAgeMs: e.BROKER_SECRET_MAX_AGE_SECONDS * 1000,
    secretStaleIfErrorMs: e.BROKER_SECRET_STALE_IF_ERROR_SECONDS * 1000,
    refreshAheadMs: e.BROKER_REFRESH_AHEAD_SECONDS * 1000,
    demandWindowMs: e.BROKER_DEMAND_WINDOW_SECONDS * 1000,
    refreshMinSessions: e.BROKER_REFRESH_MIN_SESSIONS,
    refreshMaxSessions: e.BROKER_REFRESH_MAX_SESSIONS,
    quotaTimeZone: e.BROKER_QUOTA_TIME_ZONE,
  });
};

const parsePools = (text: string): PoolConfig[] => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError('BROKER_POOLS is not valid JSON');
  }
  const parsed = z.array(poolConfigSchema).min(1).safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      `Invalid BROKER_POOLS: ${parsed.error.issues
        .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
};

/** Rejects settings that would break the cap or every request. */
export const validateConfig = (config: BrokerConfig): BrokerConfig => {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const pool of config.pools) {
    if (names.has(pool.name))
      problems.push(`pool ${pool.name} is listed twice`);
    names.add(pool.name);
    if (pool.cap > DEFAULT_CAP && !pool.allowCapAboveTen) {
      problems.push(
        `pool ${pool.name}: cap ${pool.cap} is above the upstream's 10; set allowCapAboveTen if your account allows more`,
      );
    }
  }
  if (config.leaseDefaultSeconds > config.leaseMaxSeconds) {
    problems.push('the default lease is longer than the maximum lease');
  }
  if (config.waitDefaultSeconds > config.waitMaxSeconds) {
    problems.push('the default wait is longer than the maximum wait');
  }
  const usableMs = config.sessionLifetimeMs - 2 * config.clockSkewMs;
  if (usableMs < config.leaseMaxSeconds * 1000) {
    problems.push(
      'the session lifetime minus twice the clock skew must cover the maximum lease',
    );
  }
  if (
    config.waitMaxSeconds * 1000 + config.loginTimeoutMs >
    REQUEST_BUDGET_MS
  ) {
    problems.push(
      `the maximum wait plus the login timeout must stay under ${REQUEST_BUDGET_MS} ms (API Gateway's limit is 29 s)`,
    );
  }
  if (config.refreshMinSessions > config.refreshMaxSessions) {
    problems.push('the refresh floor is above the refresh ceiling');
  }
  try {
    assertTimeZone(config.quotaTimeZone);
  } catch {
    problems.push(`unknown quota time zone ${config.quotaTimeZone}`);
  }
  if (problems.length > 0) throw new ConfigError(problems.join('; '));
  return config;
};
