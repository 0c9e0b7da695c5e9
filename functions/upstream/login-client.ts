import { z } from 'zod';
import { upstreamErrorCode } from './error-body';
import {
  LoginOutcomeUnknownError,
  LoginRejectedError,
  LoginUnavailableError,
} from './errors';

export interface LoginCredentials {
  readonly username: string;
  readonly password: string;
  readonly apiKey: string;
  /** Base URL already checked by `parseBaseUrl`. */
  readonly baseUrl: string;
}

/** Mints one upstream session. */
export type Login = (
  credentials: LoginCredentials,
  options: { readonly timeoutMs: number },
) => Promise<string>;

const successSchema = z.object({
  result: z.object({ sessionId: z.string().min(1) }),
});

/** Network errors raised before the request could have reached the server. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_INVALID_URL',
]);

/**
 * Logs in with `POST <base>/login/login`. Every failure is classified by
 * what it tells about the upstream's session count:
 *
 * - {@link LoginRejectedError}: the upstream answered with an error body;
 *   no session exists and these credentials must not be retried.
 * - {@link LoginUnavailableError}: the request surely made no session
 *   (never sent, or HTTP 503/429); a later retry is fine.
 * - {@link LoginOutcomeUnknownError}: anything else, such as a timeout after
 *   sending; a session may exist and must stay counted.
 */
export const login: Login = async (credentials, { timeoutMs }) => {
  let response: Response;
  try {
    response = await fetch(`${credentials.baseUrl}/login/login`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'api-key': credentials.apiKey,
      },
      body: JSON.stringify({
        username: credentials.username,
        password: credentials.password,
      }),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (error) {
    throw classifyFetchError(error);
  }

  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    body = undefined;
    if (isTimeout(error)) {
      throw new LoginOutcomeUnknownError('timed out reading the answer', error);
    }
  }

  if (response.ok) {
    const parsed = successSchema.safeParse(body);
    if (parsed.success) return parsed.data.result.sessionId;
    throw new LoginOutcomeUnknownError('success answer without a session id');
  }
  if (response.status === 503 || response.status === 429) {
    throw new LoginUnavailableError(`HTTP ${response.status}`);
  }
  const rejection = upstreamErrorCode(body);
  if (rejection) throw new LoginRejectedError(rejection.code, response.status);
  throw new LoginOutcomeUnknownError(`HTTP ${response.status} without a body`);
};

const isTimeout = (error: unknown): boolean =>
  error instanceof Error &&
  (error.name === 'TimeoutError' || error.name === 'AbortError');

const classifyFetchError = (error: unknown): Error => {
  if (isTimeout(error)) {
    return new LoginOutcomeUnknownError('timed out', error);
  }
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  if (typeof code === 'string' && NOT_SENT_CODES.has(code)) {
    return new LoginUnavailableError(`not sent (${code})`, error);
  }
  return new LoginOutcomeUnknownError('the connection failed', error);
};
