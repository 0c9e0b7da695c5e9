/**
 * Error codes the simulator answers with, in the upstream's
 * `APIErrorCollection` body.
 *
 * Only {@link SESSION_NOT_VALID} (200003) is a published upstream code. The
 * upstream never published codes for its other failures, so the rest are
 * this simulator's own choice, kept close to 200003 so they read alike.
 * Code that talks to the real upstream must not rely on their values.
 */
export const SimErrorCode = {
  /** Simulator's choice: the username or password is wrong. */
  INVALID_CREDENTIALS: 200001,
  /** Simulator's choice: the api-key is unknown or not the account's own. */
  INVALID_API_KEY: 200002,
  /** Published upstream code: the session timed out or is not valid. */
  SESSION_NOT_VALID: 200003,
  /** Simulator's choice: the account already has its most live sessions. */
  SESSION_LIMIT_REACHED: 200004,
  /** Simulator's choice: the daily or monthly request quota is used up. */
  QUOTA_EXHAUSTED: 200005,
  /** Simulator's choice: the request is malformed (body, headers). */
  INVALID_REQUEST: 200006,
} as const;

/** One of the {@link SimErrorCode} values. */
export type SimErrorCode = (typeof SimErrorCode)[keyof typeof SimErrorCode];

const MESSAGES: Record<SimErrorCode, string> = {
  [SimErrorCode.INVALID_CREDENTIALS]: 'Invalid username or password.',
  [SimErrorCode.INVALID_API_KEY]: 'Invalid api-key.',
  [SimErrorCode.SESSION_NOT_VALID]: 'Session has timed out or is not valid.',
  [SimErrorCode.SESSION_LIMIT_REACHED]:
    'Maximum number of concurrent sessions reached for this user.',
  [SimErrorCode.QUOTA_EXHAUSTED]: 'Request quota exceeded.',
  [SimErrorCode.INVALID_REQUEST]: 'Invalid request.',
};

/** The upstream's error body, as it appears on an HTTP 500. */
export interface UpstreamErrorBody {
  error: Array<{
    type: 'APIErrorCollection';
    errors: Array<{ code: number; innerMessage: string }>;
  }>;
  result: [];
}

/**
 * Builds the upstream's error body for a code.
 *
 * @param detail - replaces the default message; must never carry a secret.
 * @example
 * ```ts
 * errorBody(SimErrorCode.SESSION_NOT_VALID);
 * // { error: [{ type: 'APIErrorCollection', errors: [{ code: 200003, ... }] }], result: [] }
 * ```
 */
export function errorBody(
  code: SimErrorCode,
  detail?: string,
): UpstreamErrorBody {
  return {
    error: [
      {
        type: 'APIErrorCollection',
        errors: [{ code, innerMessage: detail ?? MESSAGES[code] }],
      },
    ],
    result: [],
  };
}

/** HTTP status the simulator uses for each code. */
export function statusFor(code: SimErrorCode): number {
  // The upstream reports its own failures as 500; a malformed request is
  // the caller's fault, and 400 keeps broker bugs from looking like outages.
  return code === SimErrorCode.INVALID_REQUEST ? 400 : 500;
}
