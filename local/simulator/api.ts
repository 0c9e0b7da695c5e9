import type { IncomingMessage, ServerResponse } from 'node:http';
import type { QuotaSnapshot } from './account';
import { errorBody, SimErrorCode, statusFor } from './codes';
import {
  BodyTooLargeError,
  isJsonRequest,
  parseJson,
  readBody,
  sendJson,
  sendMethodNotAllowed,
  setQuotaHeaders,
  singleHeader,
} from './http';
import type { Outcome, SimulatorState } from './state';

/** Path prefix of the upstream API, as on the real service. */
export const API_BASE_PATH = '/sas';

/** What the upstream routes need from the server that hosts them. */
export interface ApiContext {
  state: SimulatorState;
  /** Runs `send` after `delayMs`, or never if the client leaves first. */
  respondLater(res: ServerResponse, delayMs: number, send: () => void): void;
}

const CAMPAIGNS = [
  { id: 1, name: 'Spring launch' },
  { id: 2, name: 'Summer sale' },
  { id: 3, name: 'Back to school' },
];

function sendError(
  res: ServerResponse,
  code: SimErrorCode,
  quota: QuotaSnapshot | undefined,
  options: { status?: number; detail?: string } = {},
): void {
  setQuotaHeaders(res, quota);
  sendJson(
    res,
    options.status ?? statusFor(code),
    errorBody(code, options.detail),
  );
}

function sendOutcome<T>(
  res: ServerResponse,
  outcome: Outcome<T>,
  onOk: (value: T) => void,
): void {
  setQuotaHeaders(res, outcome.quota);
  if (outcome.kind === 'ok') {
    onOk(outcome.value);
    return;
  }
  if (outcome.kind === 'error') {
    sendError(res, outcome.code, outcome.quota);
    return;
  }
  if (res.destroyed) return;
  // A gateway in front of the service answers outages, and it speaks plain
  // text, so clients cannot mistake this for an upstream error body.
  res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('Service Unavailable');
}

function parseCredentials(
  body: unknown,
): { username: string; password: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { username, password } = body as Record<string, unknown>;
  if (typeof username !== 'string' || typeof password !== 'string') {
    return undefined;
  }
  return { username, password };
}

async function handleLogin(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ApiContext,
): Promise<void> {
  const apiKey = singleHeader(req, 'api-key');
  const invalid = SimErrorCode.INVALID_REQUEST;

  let text: string;
  try {
    text = await readBody(req);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    sendError(res, invalid, ctx.state.quotaFor(apiKey), {
      status: 413,
      detail: error.message,
    });
    return;
  }
  if (!isJsonRequest(req)) {
    sendError(res, invalid, ctx.state.quotaFor(apiKey), {
      detail: 'Content-Type must be application/json.',
    });
    return;
  }
  const credentials = parseCredentials(parseJson(text));
  if (!credentials) {
    sendError(res, invalid, ctx.state.quotaFor(apiKey), {
      detail: 'Body must be a JSON object with string username and password.',
    });
    return;
  }

  const outcome = ctx.state.login({ apiKey, ...credentials });
  sendOutcome(res, outcome, ({ sessionId, delayMs }) => {
    ctx.respondLater(res, delayMs, () => {
      sendJson(res, 200, { result: { sessionId }, error: [] });
    });
  });
}

function handleCampaigns(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ApiContext,
): void {
  // The upstream takes the raw session id: a `Bearer` prefix makes it a
  // token no session has, which is how the real service would see it.
  const outcome = ctx.state.read(
    singleHeader(req, 'api-key'),
    singleHeader(req, 'authorization'),
  );
  sendOutcome(res, outcome, () => {
    sendJson(res, 200, { result: CAMPAIGNS, error: [] });
  });
  req.resume();
}

/**
 * Serves one request under {@link API_BASE_PATH}.
 * @param path - the request path with the base path removed.
 */
export async function handleApi(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  ctx: ApiContext,
): Promise<void> {
  const routes: Record<string, { method: string; run: () => unknown }> = {
    '/login/login': { method: 'POST', run: () => handleLogin(req, res, ctx) },
    '/campaigns': { method: 'GET', run: () => handleCampaigns(req, res, ctx) },
  };
  const route = routes[path];
  const invalid = SimErrorCode.INVALID_REQUEST;
  if (!route) {
    req.resume();
    sendJson(res, 404, errorBody(invalid, 'Unknown path.'));
    return;
  }
  if (req.method !== route.method) {
    req.resume();
    sendMethodNotAllowed(
      res,
      route.method,
      errorBody(invalid, `Use ${route.method}.`),
    );
    return;
  }
  await route.run();
}
