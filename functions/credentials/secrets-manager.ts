import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { type Clock, systemClock } from '../shared/clock';
import {
  type BrokerConfig,
  ConfigError,
  type PoolConfig,
} from '../shared/config';
import { SecretUnavailableError } from './errors';
import {
  type Credentials,
  type CredentialsSource,
  parseSecret,
} from './source';

export interface SecretsManagerSourceOptions {
  readonly client: SecretsManagerClient;
  readonly secretId: string;
  readonly clock: Clock;
  /** How long a read is trusted before the secret is read again. */
  readonly maxAgeMs: number;
  /**
   * How long a cached value keeps being served while Secrets Manager is
   * failing. Past it, callers get `SECRET_UNAVAILABLE`.
   */
  readonly staleIfErrorMs: number;
  /** Used when the secret has no `baseUrl`. */
  readonly defaultBaseUrl?: string;
}

/**
 * Reads the pool's secret (`AWSCURRENT`) and caches it in memory for
 * `maxAgeMs`. Concurrent callers share one read.
 */
export class SecretsManagerCredentialsSource implements CredentialsSource {
  readonly #options: SecretsManagerSourceOptions;
  #cached: { readonly value: Credentials; readonly readAt: number } | undefined;
  #inFlight: Promise<Credentials> | undefined;

  public constructor(options: SecretsManagerSourceOptions) {
    this.#options = options;
  }

  public async get(): Promise<Credentials> {
    const now = this.#options.clock.now();
    if (this.#cached && now - this.#cached.readAt < this.#options.maxAgeMs) {
      return this.#cached.value;
    }
    this.#inFlight ??= this.#refresh().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #refresh(): Promise<Credentials> {
    const { client, secretId, clock } = this.#options;
    let output: GetSecretValueCommandOutput;
    try {
      output = await client.send(
        new GetSecretValueCommand({ SecretId: secretId }),
      );
    } catch (error) {
      const cached = this.#cached;
      if (
        cached &&
        clock.now() - cached.readAt < this.#options.staleIfErrorMs
      ) {
        return cached.value;
      }
      throw new SecretUnavailableError(error);
    }

    // A malformed value is an operator's mistake, not an outage: say so
    // rather than quietly serving the previous value.
    const value = parseSecret(
      output.SecretString,
      output.VersionId ?? 'unversioned',
      this.#options.defaultBaseUrl,
    );
    this.#cached = { value, readAt: clock.now() };
    return value;
  }
}

/**
 * A source per pool on one Secrets Manager client, as the Lambda entry
 * points build them. A pool without a `secretId` is a setting error.
 */
export const secretsManagerSourceFor =
  (
    client: SecretsManagerClient,
    config: BrokerConfig,
    cache: { readonly maxAgeMs: number; readonly staleIfErrorMs: number },
  ) =>
  (pool: PoolConfig): SecretsManagerCredentialsSource => {
    if (!pool.secretId) {
      throw new ConfigError(`pool ${pool.name} has no secretId`);
    }
    const defaultBaseUrl = pool.baseUrl ?? config.defaultBaseUrl;
    return new SecretsManagerCredentialsSource({
      client,
      secretId: pool.secretId,
      clock: systemClock,
      ...cache,
      ...(defaultBaseUrl ? { defaultBaseUrl } : {}),
    });
  };
