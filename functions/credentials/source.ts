import { z } from 'zod';
import { parseBaseUrl } from '../upstream/base-url';
import type { LoginCredentials } from '../upstream/login-client';
import { SecretInvalidError } from './errors';

/** Credentials for one pool, with the secret version they came from. */
export interface Credentials extends LoginCredentials {
  /** Sessions are tagged with it; a new version drains the old sessions. */
  readonly versionId: string;
}

/** Where a pool's credentials come from. */
export interface CredentialsSource {
  get(): Promise<Credentials>;
}

const secretSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  apiKey: z.string().min(1),
  baseUrl: z.string().optional(),
});

/**
 * Parses the secret's JSON text. Errors name the keys at fault, never the
 * values, so a typo in a password cannot end up in a log.
 */
export const parseSecret = (
  text: string | undefined,
  versionId: string,
  defaultBaseUrl: string | undefined,
): Credentials => {
  let json: unknown;
  try {
    json = JSON.parse(text ?? '');
  } catch {
    throw new SecretInvalidError([]);
  }
  const parsed = secretSchema.safeParse(json);
  if (!parsed.success) {
    throw new SecretInvalidError(
      parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'),
    );
  }
  const baseUrl = parsed.data.baseUrl ?? defaultBaseUrl;
  if (baseUrl === undefined) throw new SecretInvalidError(['baseUrl']);
  return {
    username: parsed.data.username,
    password: parsed.data.password,
    apiKey: parsed.data.apiKey,
    baseUrl: parseBaseUrl(baseUrl),
    versionId,
  };
};

/** Credentials fixed at start-up, for local runs without AWS. */
export class StaticCredentialsSource implements CredentialsSource {
  #credentials: Credentials;

  public constructor(credentials: Credentials) {
    this.#credentials = {
      ...credentials,
      baseUrl: parseBaseUrl(credentials.baseUrl),
    };
  }

  public async get(): Promise<Credentials> {
    return this.#credentials;
  }

  /** Swaps the credentials, as an operator updating the secret would. */
  public set(credentials: Credentials): void {
    this.#credentials = {
      ...credentials,
      baseUrl: parseBaseUrl(credentials.baseUrl),
    };
  }
}
