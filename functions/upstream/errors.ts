import { BrokerError } from '../shared/errors';

/** Code the upstream uses for a session that has timed out. */
export const SESSION_TIMED_OUT_CODE = 200003;

/**
 * Base of the upstream login failures. Each subclass says what the broker
 * may assume about the upstream session count afterwards.
 */
export abstract class LoginError extends BrokerError {
  public readonly status = 502;
}

/**
 * The upstream answered with an error: no session was made, and the same
 * credentials must not be tried again (repeated failures lock accounts).
 */
export class LoginRejectedError extends LoginError {
  public readonly code = 'UPSTREAM_LOGIN_REJECTED';
  public readonly upstreamCode: number | undefined;

  public constructor(upstreamCode: number | undefined, httpStatus: number) {
    super(
      `The upstream rejected the login (HTTP ${httpStatus}${
        upstreamCode === undefined ? '' : `, code ${upstreamCode}`
      })`,
      { details: upstreamCode === undefined ? {} : { upstreamCode } },
    );
    this.upstreamCode = upstreamCode;
  }
}

/** The login surely made no session and may be tried again later. */
export class LoginUnavailableError extends LoginError {
  public readonly code = 'UPSTREAM_UNAVAILABLE';

  public constructor(reason: string, cause?: unknown) {
    super(`The upstream could not take the login: ${reason}`, { cause });
  }
}

/** The login may or may not have made a session: its slot stays counted. */
export class LoginOutcomeUnknownError extends LoginError {
  public readonly code = 'UPSTREAM_LOGIN_UNKNOWN';

  public constructor(reason: string, cause?: unknown) {
    super(`The login's outcome is unknown: ${reason}`, { cause });
  }
}

/** A base URL that would send credentials in clear or to a bad place. */
export class InsecureBaseUrlError extends BrokerError {
  public readonly code = 'INSECURE_BASE_URL';
  public readonly status = 500;

  public constructor(reason: string) {
    super(`Refusing the upstream base URL: ${reason}`);
  }
}
