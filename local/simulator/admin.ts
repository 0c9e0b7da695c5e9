import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  BodyTooLargeError,
  isJsonRequest,
  parseJson,
  readBody,
  sendJson,
  sendMethodNotAllowed,
} from './http';
import {
  parseAccountConfig,
  parseAccountPatch,
  parseUsername,
  SimAccountExistsError,
  SimConfigError,
  SimUnknownAccountError,
} from './schema';
import type { SimulatorState } from './state';

/** Path prefix of the simulator's own control endpoints. */
export const ADMIN_BASE_PATH = '/__sim';

type Action = (body: () => Promise<unknown>) => Promise<[number, unknown]>;

function adminError(code: string, message: string): unknown {
  return { error: { code, message } };
}

/** Maps control errors to answers; anything else is a simulator bug. */
function sendFailure(res: ServerResponse, error: unknown): void {
  if (error instanceof SimUnknownAccountError) {
    sendJson(res, 404, adminError('NOT_FOUND', error.message));
  } else if (error instanceof SimAccountExistsError) {
    sendJson(res, 409, adminError('CONFLICT', error.message));
  } else if (error instanceof SimConfigError) {
    sendJson(res, 400, adminError('INVALID_CONFIG', error.message));
  } else if (error instanceof BodyTooLargeError) {
    sendJson(res, 413, adminError('PAYLOAD_TOO_LARGE', error.message));
  } else {
    throw error;
  }
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (!isJsonRequest(req)) {
    throw new SimConfigError('Content-Type must be application/json');
  }
  const body = parseJson(text);
  if (body === undefined) throw new SimConfigError('Body is not valid JSON');
  return body;
}

function putAccount(state: SimulatorState, username: string): Action {
  return async (body) => {
    const patch = parseAccountPatch(await body());
    if (state.has(username)) {
      return [200, state.updateAccount(username, patch)];
    }
    return [201, state.addAccount(parseAccountConfig({ ...patch, username }))];
  };
}

function actionsFor(
  state: SimulatorState,
  username: string,
): Record<string, Record<string, Action>> {
  return {
    '': {
      PUT: putAccount(state, username),
      GET: async () => [200, state.view(username)],
    },
    '/stats': { GET: async () => [200, state.stats(username)] },
    '/expire-sessions': {
      POST: async () => [200, { expired: state.expireAllSessions(username) }],
    },
    '/reset-stats': {
      POST: async () => {
        state.resetStats(username);
        return [200, state.stats(username)];
      },
    },
  };
}

function splitAccountPath(
  path: string,
): { username: string; rest: string } | undefined {
  const match = /^\/accounts\/([^/]+)(\/[^/]+)?$/.exec(path);
  const encoded = match?.[1];
  if (!encoded) return undefined;
  let username: string;
  try {
    username = decodeURIComponent(encoded);
  } catch {
    throw new SimConfigError('Username in the path is not valid URL encoding');
  }
  return { username: parseUsername(username), rest: match?.[2] ?? '' };
}

/**
 * Serves one request under {@link ADMIN_BASE_PATH}. Answers carry account
 * settings and counters only, never passwords, api-keys or tokens.
 * @param path - the request path with the admin base path removed.
 */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  state: SimulatorState,
): Promise<void> {
  try {
    const target = splitAccountPath(path);
    const methods = target && actionsFor(state, target.username)[target.rest];
    if (!methods) {
      req.resume();
      sendJson(res, 404, adminError('NOT_FOUND', 'Unknown admin path'));
      return;
    }
    const action = methods[req.method ?? ''];
    if (!action) {
      req.resume();
      const allowed = Object.keys(methods).join(', ');
      sendMethodNotAllowed(
        res,
        allowed,
        adminError('METHOD_NOT_ALLOWED', `Use ${allowed}`),
      );
      return;
    }
    const [status, body] = await action(() => readJsonBody(req));
    req.resume();
    sendJson(res, status, body);
  } catch (error) {
    req.resume();
    sendFailure(res, error);
  }
}
