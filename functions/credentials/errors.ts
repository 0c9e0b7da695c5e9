import { BrokerError } from '../shared/errors';

/** Secrets Manager could not be read and no cached value may be served. */
export class SecretUnavailableError extends BrokerError {
  public readonly code = 'SECRET_UNAVAILABLE';
  public readonly status = 503;

  public constructor(cause: unknown) {
    super('The credentials secret could not be read', { cause });
  }
}

/** The secret's value is not the JSON the broker needs. */
export class SecretInvalidError extends BrokerError {
  public readonly code = 'SECRET_INVALID';
  public readonly status = 500;

  /** @param fields names of the offending keys; never their values */
  public constructor(fields: readonly string[]) {
    super(
      `The credentials secret is malformed${
        fields.length > 0 ? ` (check: ${fields.join(', ')})` : ''
      }`,
    );
  }
}
