import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  LoginOutcomeUnknownError,
  LoginRejectedError,
  LoginUnavailableError,
} from '../../functions/upstream/errors';
import { login } from '../../functions/upstream/login-client';

type Reply = (response: ServerResponse, body: unknown) => void;

describe('Function: login', () => {
  let server: Server;
  let baseUrl: string;
  let reply: Reply;
  let seen: { headers: Record<string, unknown>; body: unknown; url?: string }[];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => {
        text += chunk;
      });
      request.on('end', () => {
        const body = JSON.parse(text) as unknown;
        seen.push({
          headers: request.headers,
          body,
          ...(request.url ? { url: request.url } : {}),
        });
        reply(response, body);
      });
    });
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sas`;
  });

  beforeEach(() => {
    seen = [];
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const credentials = () => ({
    username: 'user',
    password: 'pw-7c1d',
    apiKey: 'key-0b9e',
    baseUrl,
  });
  const send =
    (status: number, body: unknown): Reply =>
    (response) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(typeof body === 'string' ? body : JSON.stringify(body));
    };

  it('posts the documented request and returns result.sessionId', async () => {
    // Prepare
    reply = send(200, { result: { sessionId: 'session-abc' } });

    // Act
    const token = await login(credentials(), { timeoutMs: 1_000 });

    // Assess
    expect(token).toBe('session-abc');
    expect(seen[0]?.url).toBe('/sas/login/login');
    expect(seen[0]?.headers['api-key']).toBe('key-0b9e');
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    expect(seen[0]?.body).toEqual({ username: 'user', password: 'pw-7c1d' });
  });

  it.each<[string, Reply, new (...args: never[]) => Error]>([
    [
      'an APIErrorCollection answer',
      send(500, {
        error: [
          {
            type: 'APIErrorCollection',
            errors: [{ code: 200001, innerMessage: 'bad' }],
          },
        ],
        result: [],
      }),
      LoginRejectedError,
    ],
    ['HTTP 503', send(503, 'down'), LoginUnavailableError],
    ['HTTP 429', send(429, 'slow down'), LoginUnavailableError],
    ['HTTP 502 from a proxy', send(502, '<html>'), LoginOutcomeUnknownError],
    ['HTTP 504 from a proxy', send(504, ''), LoginOutcomeUnknownError],
    [
      'success without a session id',
      send(200, { result: {} }),
      LoginOutcomeUnknownError,
    ],
    ['an answer that never comes', () => undefined, LoginOutcomeUnknownError],
    [
      'a connection cut mid-answer',
      (response) => response.destroy(),
      LoginOutcomeUnknownError,
    ],
  ])('classifies %s', async (_title, handler, type) => {
    // Prepare
    reply = handler;

    // Act
    const attempt = login(credentials(), { timeoutMs: 200 });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(type);
    await attempt.catch((error: Error) => {
      expect(error.message).not.toContain('pw-7c1d');
      expect(error.message).not.toContain('key-0b9e');
    });
  });

  it('keeps the upstream code of a rejection', async () => {
    // Prepare
    reply = send(500, {
      error: [{ type: 'APIErrorCollection', errors: [{ code: 200002 }] }],
    });

    // Act & Assess
    await expect(
      login(credentials(), { timeoutMs: 1_000 }),
    ).rejects.toMatchObject({
      upstreamCode: 200002,
      code: 'UPSTREAM_LOGIN_REJECTED',
    });
  });

  it('treats a refused connection as a login that was never sent', async () => {
    // Prepare: a port nothing listens on.
    const closed = createServer();
    await new Promise<void>((resolve) =>
      closed.listen(0, '127.0.0.1', resolve),
    );
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    // Act & Assess
    await expect(
      login(
        { ...credentials(), baseUrl: `http://127.0.0.1:${port}/sas` },
        { timeoutMs: 1_000 },
      ),
    ).rejects.toBeInstanceOf(LoginUnavailableError);
  });
});
