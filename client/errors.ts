import { SESSION_TIMED_OUT_CODE } from '../functions/upstream/errors';

/**
 * Base of the errors the broker client raises. `code` is the broker's (or
 * for {@link UpstreamError}, the client's) stable code; branch on the class
 * or on `code`, never on the message.
 */
export class BrokerClientError extends Error {
  public readonly code: string;
  public readonly status: number | undefined;

  public constructor(
    message: string,
    options: { code: string; status?: number; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.status = options.status;
  }
}

/** No session could be had in time: `429 POOL_EXHAUSTED` and kin. */
export class PoolExhaustedError extends BrokerClientError {
  public readonly retryAfterSeconds: number | undefined;

  public constructor(
    message: string,
    options: { code: string; status: number; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The lease is gone: expired, re-granted, or unknown to the broker. */
export class LeaseLostError extends BrokerClientError {}

/** The upstream rejected the pool's credentials; logins are stopped. */
export class BreakerOpenError extends BrokerClientError {}

/** The broker refused this caller: no IAM permission, or not the holder. */
export class UnauthorizedError extends BrokerClientError {}

/** The broker failed or could not be reached. */
export class BrokerUnavailableError extends BrokerClientError {}

/** The broker refused the request as malformed: a bug in the caller. */
export class InvalidRequestError extends BrokerClientError {}

export { SESSION_TIMED_OUT_CODE as SESSION_TIMED_OUT } from '../functions/upstream/errors';

/**
 * The upstream answered a call made with a leased session with an error.
 * `upstreamCode` is the first code of its `APIErrorCollection`, if any.
 */
export class UpstreamError extends BrokerClientError {
  public readonly upstreamCode: number | undefined;

  public constructor(httpStatus: number, upstreamCode: number | undefined) {
    super(
      `The upstream answered HTTP ${httpStatus}${
        upstreamCode === undefined ? '' : ` with code ${upstreamCode}`
      }`,
      { code: 'UPSTREAM_ERROR', status: httpStatus },
    );
    this.upstreamCode = upstreamCode;
  }

  /** True when the session itself is dead and a fresh lease may help. */
  public get isSessionError(): boolean {
    return this.upstreamCode === SESSION_TIMED_OUT_CODE;
  }
}

/** Maps a broker error answer to the client's error class. */
export const brokerError = (
  status: number,
  body: { code?: unknown; message?: unknown },
  retryAfter: string | null,
): BrokerClientError => {
  const code = typeof body.code === 'string' ? body.code : `HTTP_${status}`;
  const message =
    typeof body.message === 'string'
      ? body.message
      : `The broker answered HTTP ${status}`;
  const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
  if (status === 429 || code === 'UPSTREAM_LOGIN_FAILED') {
    return new PoolExhaustedError(message, {
      code,
      status,
      ...(Number.isFinite(seconds) ? { retryAfterSeconds: seconds } : {}),
    });
  }
  if (code === 'BREAKER_OPEN')
    return new BreakerOpenError(message, { code, status });
  if (status === 401 || status === 403)
    return new UnauthorizedError(message, { code, status });
  if (status === 409 || code === 'LEASE_NOT_FOUND') {
    return new LeaseLostError(message, { code, status });
  }
  if (status >= 400 && status < 500)
    return new InvalidRequestError(message, { code, status });
  return new BrokerUnavailableError(message, { code, status });
};
