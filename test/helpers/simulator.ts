import {
  type SimAccountConfig,
  UpstreamSimulator,
  type UpstreamSimulatorOptions,
} from '../../local/simulator';

/** The account most simulator tests log in with. */
export const TEST_ACCOUNT = {
  username: 'agency-user',
  password: 'correct-horse',
  apiKey: 'key-agency-user',
} as const satisfies SimAccountConfig;

/**
 * Starts a simulator on a free port with {@link TEST_ACCOUNT}, changed by
 * `account`. Stop it in `afterEach`.
 */
export async function startSimulator(
  options: Omit<UpstreamSimulatorOptions, 'accounts'> & {
    account?: Partial<SimAccountConfig>;
  } = {},
): Promise<UpstreamSimulator> {
  const { account, ...rest } = options;
  const sim = new UpstreamSimulator({
    ...rest,
    accounts: [{ ...TEST_ACCOUNT, ...account }],
  });
  await sim.start();
  return sim;
}

/** Sends an upstream login, with the test account's details by default. */
export function login(
  sim: UpstreamSimulator,
  overrides: {
    username?: string;
    password?: string;
    apiKey?: string;
    signal?: AbortSignal;
  } = {},
): Promise<Response> {
  const credentials = { ...TEST_ACCOUNT, ...overrides };
  return fetch(`${sim.baseUrl}/login/login`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'api-key': credentials.apiKey,
    },
    body: JSON.stringify({
      username: credentials.username,
      password: credentials.password,
    }),
    ...(overrides.signal ? { signal: overrides.signal } : {}),
  });
}

/** Logs in and returns the session id; fails the test on any error. */
export async function loginOk(
  sim: UpstreamSimulator,
  overrides: Parameters<typeof login>[1] = {},
): Promise<string> {
  const response = await login(sim, overrides);
  const body = (await response.json()) as { result?: { sessionId?: unknown } };
  const sessionId = body.result?.sessionId;
  if (response.status !== 200 || typeof sessionId !== 'string') {
    throw new Error(`Login failed with HTTP ${response.status}`);
  }
  return sessionId;
}

/** Calls the authenticated read endpoint. */
export function readCampaigns(
  sim: UpstreamSimulator,
  sessionId: string,
  apiKey: string = TEST_ACCOUNT.apiKey,
): Promise<Response> {
  return fetch(`${sim.baseUrl}/campaigns`, {
    headers: { Authorization: sessionId, 'api-key': apiKey },
  });
}

/** The first upstream error code in a response body, if it has one. */
export async function upstreamErrorCode(
  response: Response,
): Promise<number | undefined> {
  const body = (await response.json()) as {
    error?: Array<{ errors?: Array<{ code?: number }> }>;
  };
  return body.error?.[0]?.errors?.[0]?.code;
}

/** The four `RateLimit-*` headers as numbers (NaN when absent). */
export function quotaHeaders(response: Response): {
  limitDaily: number;
  availableDaily: number;
  limitMonthly: number;
  availableMonthly: number;
} {
  const read = (name: string): number =>
    Number(response.headers.get(name) ?? Number.NaN);
  return {
    limitDaily: read('RateLimit-Limit-Daily'),
    availableDaily: read('RateLimit-Available-Daily'),
    limitMonthly: read('RateLimit-Limit-Monthly'),
    availableMonthly: read('RateLimit-Available-Monthly'),
  };
}

/** Sends a JSON request to a simulator control endpoint. */
export function admin(
  sim: UpstreamSimulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${sim.adminUrl}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}
