import type { ResolvedPool } from './resolve-props';

/** The settings both functions read from `BROKER_*` variables. */
export interface EnvironmentSettings {
  /** The pools, secrets imported. */
  readonly pools: readonly ResolvedPool[];
  /**
   * `BROKER_UPSTREAM_BASE_URL`.
   *
   * @default - unset: each secret names its base URL
   */
  readonly upstreamBaseUrl?: string;
  /** `BROKER_LEASE_DEFAULT_SECONDS`. */
  readonly leaseDefaultSeconds: number;
  /** `BROKER_LEASE_MAX_SECONDS`. */
  readonly leaseMaxSeconds: number;
  /** `BROKER_SESSION_LIFETIME_SECONDS`. */
  readonly sessionLifetimeSeconds: number;
  /** `POWERTOOLS_LOG_LEVEL`. */
  readonly logLevel: string;
}

/** The `BROKER_POOLS` entries, in the shape `loadConfig` parses. */
export const poolsSetting = (pools: readonly ResolvedPool[]) =>
  pools.map((pool) => ({
    name: pool.name,
    cap: pool.cap,
    ...(pool.allowCapAboveTen ? { allowCapAboveTen: true } : {}),
    secretId: pool.secretId,
    ...(pool.baseUrl ? { baseUrl: pool.baseUrl } : {}),
  }));

/**
 * The functions' environment. Construction checks it with the functions'
 * own `loadConfig`, so what is deployed is what was checked.
 *
 * @param poolsJson `BROKER_POOLS`, serialised by the caller: the construct
 *   serialises with token support, the check with placeholders
 */
export const brokerEnvironment = (
  settings: EnvironmentSettings,
  tableName: string,
  poolsJson: string,
): Record<string, string> => ({
  BROKER_TABLE_NAME: tableName,
  BROKER_POOLS: poolsJson,
  BROKER_SESSION_LIFETIME_SECONDS: String(settings.sessionLifetimeSeconds),
  BROKER_LEASE_DEFAULT_SECONDS: String(settings.leaseDefaultSeconds),
  BROKER_LEASE_MAX_SECONDS: String(settings.leaseMaxSeconds),
  ...(settings.upstreamBaseUrl
    ? { BROKER_UPSTREAM_BASE_URL: settings.upstreamBaseUrl }
    : {}),
  POWERTOOLS_LOG_LEVEL: settings.logLevel,
});
