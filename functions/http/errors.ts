import { BrokerError } from '../shared/errors';

/** The body or a parameter does not fit the route's schema. */
export class ValidationError extends BrokerError {
  public readonly code = 'INVALID_REQUEST';
  public readonly status = 400;

  /** @param issues field paths and what is wrong with each; never values */
  public constructor(issues: readonly { path: string; problem: string }[]) {
    super(
      `The request is invalid: ${issues
        .map((issue) => `${issue.path}: ${issue.problem}`)
        .join('; ')}`,
      { details: { issues } },
    );
  }
}

export class InvalidJsonError extends BrokerError {
  public readonly code = 'INVALID_JSON';
  public readonly status = 400;

  public constructor() {
    super('The body is not valid JSON');
  }
}

export class BodyTooLargeError extends BrokerError {
  public readonly code = 'BODY_TOO_LARGE';
  public readonly status = 413;

  public constructor(limitBytes: number) {
    super(`The body is larger than ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaTypeError extends BrokerError {
  public readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  public readonly status = 415;

  public constructor() {
    super('Send the body as application/json');
  }
}

export class RouteNotFoundError extends BrokerError {
  public readonly code = 'ROUTE_NOT_FOUND';
  public readonly status = 404;

  public constructor() {
    super('No such route; see the API reference');
  }
}

/** No IAM principal on the request: API Gateway's IAM auth is missing. */
export class UnauthenticatedError extends BrokerError {
  public readonly code = 'UNAUTHENTICATED';
  public readonly status = 401;

  public constructor() {
    super('The request carries no IAM principal');
  }
}

/** Anything not raised on purpose. Its detail goes to the logs only. */
export class InternalError extends BrokerError {
  public readonly code = 'INTERNAL_ERROR';
  public readonly status = 500;

  public constructor(cause: unknown) {
    super('The broker failed; the error is logged', { cause });
  }
}
