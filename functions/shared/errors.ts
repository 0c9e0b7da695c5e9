/**
 * Base of every error the broker raises on purpose. The `code` is stable and
 * machine-readable; the HTTP layer maps `status` to the response. Messages
 * must never contain a token, password or api-key: build them from names
 * and numbers only.
 */
export abstract class BrokerError extends Error {
  /** Stable identifier clients may branch on, e.g. `POOL_EXHAUSTED`. */
  public abstract readonly code: string;
  /** HTTP status the API answers with. */
  public abstract readonly status: number;
  /** Extra fields safe to return to the caller. */
  public readonly details: Readonly<Record<string, unknown>>;

  public constructor(
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, { cause: options?.cause });
    this.name = new.target.name;
    this.details = options?.details ?? {};
  }

  /** 4xx messages are written for callers; 5xx detail stays in the logs. */
  public get expose(): boolean {
    return this.status < 500;
  }
}
