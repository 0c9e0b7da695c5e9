import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
} from '@smithy/types';
import { isLoopbackHost } from '../functions/upstream/base-url';
import {
  BrokerClientError,
  BrokerUnavailableError,
  brokerError,
  PoolExhaustedError,
  UpstreamError,
} from './errors';
import { type Lease, LeasedSession, type Outcome } from './session';
import { RequestSigner, regionOfEndpoint } from './signer';

export interface BrokerClientOptions {
  /** The broker API's base URL, e.g. the stack's `ApiUrl` output. */
  readonly endpoint: string;
  /** The pool to lease from. */
  readonly pool: string;
  /** @default from the endpoint's host name, then `AWS_REGION` */
  readonly region?: string;
  /** @default the SDK's default chain (the Lambda role in Lambda) */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Injectable for tests. @default the system clock */
  readonly now?: () => Date;
}

export interface CheckOutOptions {
  /** Label for the broker's logs and status. */
  readonly holder?: string;
  /** @default the broker's default (60) */
  readonly leaseSeconds?: number;
  /**
   * Epoch ms by which to have a session or give up. 429s are retried after
   * their `Retry-After`, with jitter, until then; never past it.
   * @default 25 seconds from now
   */
  readonly deadline?: number;
}

export interface WithSessionOptions extends CheckOutOptions {
  /**
   * Retry once on a fresh lease when the upstream says the session itself
   * is dead (code 200003). Only safe when `fn` may run twice.
   * @default false
   */
  readonly retryOnSessionError?: boolean;
}

const DEFAULT_DEADLINE_MS = 25_000;
/** The broker waits at most 25 s itself; keep each request within that. */
const MAX_WAIT_SECONDS = 25;

/**
 * Leases upstream sessions from the broker. Requests are signed with SigV4
 * for API Gateway's IAM auth, except to loopback endpoints (local runs).
 *
 * @example
 * const broker = new BrokerClient({ endpoint: process.env.BROKER_ENDPOINT!, pool: 'default' });
 * const campaigns = await broker.withSession(async (session) =>
 *   (await session.fetch('/campaigns')).json(),
 * );
 */
export class BrokerClient {
  readonly #endpoint: URL;
  readonly #pool: string;
  readonly #signer: RequestSigner | undefined;

  public constructor(options: BrokerClientOptions) {
    this.#endpoint = new URL(options.endpoint.replace(/\/+$/, ''));
    this.#pool = options.pool;
    const local = isLoopbackHost(this.#endpoint.hostname);
    if (!local && this.#endpoint.protocol !== 'https:') {
      throw new TypeError(
        'The broker endpoint must be https unless it is on loopback',
      );
    }
    const region =
      options.region ??
      regionOfEndpoint(this.#endpoint) ??
      process.env.AWS_REGION;
    if (!local && !region) {
      throw new TypeError('Give a region: none in the endpoint or AWS_REGION');
    }
    this.#signer = local
      ? undefined
      : new RequestSigner({
          region: region as string,
          ...(options.credentials ? { credentials: options.credentials } : {}),
          ...(options.now ? { now: options.now } : {}),
        });
  }

  /**
   * Checks a session out, waiting for one until `deadline`.
   *
   * @example
   * const session = await broker.checkOut({ holder: 'nightly-report' });
   */
  public async checkOut(options: CheckOutOptions = {}): Promise<LeasedSession> {
    const deadline = options.deadline ?? Date.now() + DEFAULT_DEADLINE_MS;
    for (;;) {
      const waitSeconds = Math.max(
        0,
        Math.min(
          MAX_WAIT_SECONDS,
          Math.floor((deadline - Date.now()) / 1000) - 1,
        ),
      );
      try {
        const lease = await this.#send<Lease>('POST', '/leases', {
          ...(options.holder === undefined ? {} : { holder: options.holder }),
          ...(options.leaseSeconds === undefined
            ? {}
            : { leaseSeconds: options.leaseSeconds }),
          waitSeconds,
        });
        return new LeasedSession(lease);
      } catch (error) {
        if (!(error instanceof PoolExhaustedError)) throw error;
        const pauseMs = jittered((error.retryAfterSeconds ?? 1) * 1000);
        if (Date.now() + pauseMs >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }
  }

  /** Extends the session's lease; updates and returns the session. */
  public async renew(
    session: LeasedSession,
    options: { leaseSeconds?: number } = {},
  ): Promise<LeasedSession> {
    const renewed = await this.#send<{ expiresAt: string; generation: number }>(
      'POST',
      `/leases/${encodeURIComponent(session.lease.leaseId)}/renew`,
      { generation: session.lease.generation, ...options },
    );
    session.update({ ...session.lease, ...renewed });
    return session;
  }

  /**
   * Returns the session. The outcome defaults to what the session saw:
   * `rejected` with the upstream's code once a call found it dead.
   */
  public async checkIn(
    session: LeasedSession,
    outcome: Outcome = session.outcome,
  ): Promise<{ result: string }> {
    return this.#send(
      'DELETE',
      `/leases/${encodeURIComponent(session.lease.leaseId)}`,
      {
        generation: session.lease.generation,
        ...outcome,
        // The broker keeps the latest figures and refuses check-outs once
        // the upstream's quota is used up.
        ...(session.quota ? { quota: session.quota } : {}),
      },
    );
  }

  /** The pool's counts and breaker state. */
  public async status(): Promise<Record<string, unknown>> {
    return this.#send('GET', '', undefined);
  }

  /**
   * Runs `fn` with a leased session and always checks it back in, with
   * `rejected` when the upstream said the session was dead.
   *
   * @example
   * const report = await broker.withSession((session) => buildReport(session));
   */
  public async withSession<T>(
    fn: (session: LeasedSession) => Promise<T>,
    options: WithSessionOptions = {},
  ): Promise<T> {
    const attempt = async (): Promise<T> => {
      const session = await this.checkOut(options);
      try {
        return await fn(session);
      } catch (error) {
        if (error instanceof UpstreamError && error.isSessionError)
          session.reject(error);
        throw error;
      } finally {
        await this.checkIn(session).catch(() => undefined);
      }
    };
    try {
      return await attempt();
    } catch (error) {
      const retry =
        options.retryOnSessionError === true &&
        error instanceof UpstreamError &&
        error.isSessionError;
      if (!retry) throw error;
      return attempt();
    }
  }

  async #send<T>(method: string, path: string, body: unknown): Promise<T> {
    const base = this.#endpoint.href.replace(/\/+$/, '');
    const url = new URL(
      `${base}/v1/pools/${encodeURIComponent(this.#pool)}${path}`,
    );
    const text = body === undefined ? undefined : JSON.stringify(body);
    let headers: Record<string, string> = {
      'content-type': 'application/json',
    };
    if (this.#signer) {
      headers = await this.#signer.sign({
        method,
        url,
        headers,
        ...(text === undefined ? {} : { body: text }),
      });
    }

    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(text === undefined ? {} : { body: text }),
      });
    } catch (error) {
      throw new BrokerUnavailableError('The broker could not be reached', {
        code: 'BROKER_UNREACHABLE',
        cause: error,
      });
    }
    const parsed = (await response.json().catch(() => ({}))) as Record<
      string,
      unknown
    >;
    if (response.ok) return parsed as T;
    throw brokerError(
      response.status,
      parsed,
      response.headers.get('retry-after'),
    );
  }
}

/** Somewhere in the second half of `ms`, so that callers spread out. */
const jittered = (ms: number): number => ms / 2 + Math.random() * (ms / 2);

export { BrokerClientError };
