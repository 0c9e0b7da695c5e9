import { BrokerError } from '../shared/errors';

/** The pool is not configured for this broker. */
export class PoolNotFoundError extends BrokerError {
  public readonly code = 'POOL_NOT_FOUND';
  public readonly status = 404;

  public constructor() {
    super('No pool with this name is configured');
  }
}

/** The lease's session is no longer in the pool, or never was. */
export class LeaseNotFoundError extends BrokerError {
  public readonly code = 'LEASE_NOT_FOUND';
  public readonly status = 404;

  public constructor() {
    super('No session in this pool holds that lease');
  }
}

/** The lease was given up, expired and re-granted, or superseded. */
export class LeaseLostError extends BrokerError {
  public readonly code = 'LEASE_LOST';
  public readonly status = 409;

  public constructor(reason: string) {
    super(`The lease is no longer held: ${reason}`);
  }
}

/** Renew came after the lease ran out; check out again instead. */
export class LeaseExpiredError extends BrokerError {
  public readonly code = 'LEASE_EXPIRED';
  public readonly status = 409;

  public constructor() {
    super('The lease expired before it was renewed');
  }
}

/** Another IAM principal holds this lease. */
export class NotLeaseHolderError extends BrokerError {
  public readonly code = 'NOT_LEASE_HOLDER';
  public readonly status = 403;

  public constructor() {
    super('Only the principal that checked the lease out may use it');
  }
}

/** No session could be had within the caller's wait. */
export class PoolExhaustedError extends BrokerError {
  public readonly code = 'POOL_EXHAUSTED';
  public readonly status = 429;
  public readonly retryAfterSeconds: number;

  public constructor(retryAfterSeconds: number) {
    super('Every session in the pool is in use; retry later', {
      details: { retryAfterSeconds },
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The upstream's daily or monthly request quota is used up. */
export class QuotaExhaustedError extends BrokerError {
  public readonly code = 'QUOTA_EXHAUSTED';
  public readonly status = 429;
  public readonly retryAfterSeconds: number;

  public constructor(retryAfterSeconds: number) {
    super('The upstream request quota is used up until its next reset', {
      details: { retryAfterSeconds },
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A login with the current credentials was rejected: logins are stopped. */
export class BreakerOpenError extends BrokerError {
  public readonly code = 'BREAKER_OPEN';
  public readonly status = 503;

  public constructor(upstreamCode?: number) {
    super(
      'The upstream rejected the credentials; no logins until the secret changes',
      { details: upstreamCode === undefined ? {} : { upstreamCode } },
    );
  }
}

/** Logins failed for a passing reason and the caller's wait ran out. */
export class LoginFailedError extends BrokerError {
  public readonly code = 'UPSTREAM_LOGIN_FAILED';
  public readonly status = 503;
  public readonly retryAfterSeconds: number;

  public constructor(retryAfterSeconds: number, cause: unknown) {
    super('Logging in to the upstream failed; retry later', {
      cause,
      details: { retryAfterSeconds },
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** DynamoDB could not be reached or refused the request. */
export class StoreUnavailableError extends BrokerError {
  public readonly code = 'STORE_UNAVAILABLE';
  public readonly status = 503;

  public constructor(options: { cause: unknown }) {
    super('The pool store is unavailable', options);
  }
}
