import { upstreamErrorCode } from '../functions/upstream/error-body';
import { UpstreamError } from './errors';

/** A lease as the broker granted it. */
export interface Lease {
  readonly pool: string;
  readonly leaseId: string;
  readonly generation: number;
  /** ISO time the lease ends unless renewed. */
  readonly expiresAt: string;
  /** ISO time after which no renew can extend the lease. */
  readonly sessionExpiresAt: string;
  readonly baseUrl: string;
  readonly headers: {
    readonly Authorization: string;
    readonly 'api-key': string;
  };
}

/** The `RateLimit-*` figures the upstream sent last. */
export interface QuotaSeen {
  readonly limitDaily?: number;
  readonly availableDaily?: number;
  readonly limitMonthly?: number;
  readonly availableMonthly?: number;
}

/** How the use of a session went, as reported at check-in. */
export type Outcome =
  | { readonly outcome: 'ok' }
  | { readonly outcome: 'rejected'; readonly upstreamCode?: number };

const QUOTA_HEADERS: [keyof QuotaSeen, string][] = [
  ['limitDaily', 'ratelimit-limit-daily'],
  ['availableDaily', 'ratelimit-available-daily'],
  ['limitMonthly', 'ratelimit-limit-monthly'],
  ['availableMonthly', 'ratelimit-available-monthly'],
];

/**
 * A leased upstream session. `fetch` sends the lease's headers to the
 * lease's base URL, turns upstream error bodies into {@link UpstreamError},
 * and remembers what check-in should report.
 *
 * @example
 * const response = await session.fetch('/campaigns');
 * const { result } = await response.json();
 */
export class LeasedSession {
  #lease: Lease;
  #rejection: UpstreamError | undefined;
  #quota: QuotaSeen | undefined;

  public constructor(lease: Lease) {
    this.#lease = lease;
  }

  public get lease(): Lease {
    return this.#lease;
  }

  /** The headers to send upstream: `Authorization` and `api-key`. */
  public get headers(): Lease['headers'] {
    return this.#lease.headers;
  }

  public get baseUrl(): string {
    return this.#lease.baseUrl;
  }

  /** The latest quota figures seen on an upstream answer. */
  public get quota(): QuotaSeen | undefined {
    return this.#quota;
  }

  /** What check-in should say: rejected once the upstream killed it. */
  public get outcome(): Outcome {
    if (!this.#rejection?.isSessionError) return { outcome: 'ok' };
    return {
      outcome: 'rejected',
      ...(this.#rejection.upstreamCode === undefined
        ? {}
        : { upstreamCode: this.#rejection.upstreamCode }),
    };
  }

  /** Replaces the lease after a renew. */
  public update(lease: Lease): void {
    this.#lease = lease;
  }

  /**
   * Calls the upstream with this session. Resolves with the response when
   * it is 2xx; throws {@link UpstreamError} otherwise.
   */
  public async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('Authorization', this.#lease.headers.Authorization);
    headers.set('api-key', this.#lease.headers['api-key']);
    if (init.body !== undefined && !headers.has('content-type')) {
      headers.set('content-type', 'application/json');
    }
    const response = await fetch(`${this.#lease.baseUrl}${path}`, {
      ...init,
      headers,
    });
    this.#recordQuota(response.headers);
    if (response.ok) return response;

    const error = new UpstreamError(response.status, await errorCode(response));
    if (error.isSessionError) this.#rejection = error;
    throw error;
  }

  /** Marks the session dead after an error seen outside {@link fetch}. */
  public reject(error: UpstreamError): void {
    this.#rejection = error;
  }

  #recordQuota(headers: Headers): void {
    const seen: Record<string, number> = {};
    for (const [field, header] of QUOTA_HEADERS) {
      const value = Number(headers.get(header) ?? Number.NaN);
      if (Number.isFinite(value)) seen[field] = value;
    }
    if (Object.keys(seen).length > 0) this.#quota = seen;
  }
}

const errorCode = async (response: Response): Promise<number | undefined> => {
  try {
    return upstreamErrorCode(await response.json())?.code;
  } catch {
    return undefined;
  }
};
