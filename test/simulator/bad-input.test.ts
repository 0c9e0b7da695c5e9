import type { UpstreamSimulator } from '../../local/simulator';
import { SimErrorCode } from '../../local/simulator';
import {
  login,
  readCampaigns,
  startSimulator,
  TEST_ACCOUNT,
  upstreamErrorCode,
} from '../helpers/simulator';

describe('Upstream simulator: bad input', () => {
  let sim: UpstreamSimulator;

  beforeEach(async () => {
    sim = await startSimulator();
  });

  afterEach(async () => {
    await sim.stop();
  });

  const jsonHeaders = {
    'Content-Type': 'application/json',
    'api-key': TEST_ACCOUNT.apiKey,
  };

  it.each([
    { name: 'a body that is not JSON', headers: jsonHeaders, body: '{"user' },
    { name: 'a JSON array', headers: jsonHeaders, body: '[]' },
    {
      name: 'a password that is not a string',
      headers: jsonHeaders,
      body: JSON.stringify({ username: TEST_ACCOUNT.username, password: 1 }),
    },
    {
      name: 'no Content-Type',
      headers: { 'api-key': TEST_ACCOUNT.apiKey },
      body: JSON.stringify(TEST_ACCOUNT),
    },
    {
      name: 'a body over 64 KiB',
      headers: jsonHeaders,
      body: JSON.stringify({ username: 'x'.repeat(70_000), password: 'p' }),
    },
  ])(
    'answers a login with $name by a 4xx error body',
    async ({ headers, body }) => {
      // Act
      const response = await fetch(`${sim.baseUrl}/login/login`, {
        method: 'POST',
        headers,
        body,
      });

      // Assess
      expect([400, 413]).toContain(response.status);
      expect(await upstreamErrorCode(response)).toBe(
        SimErrorCode.INVALID_REQUEST,
      );
      expect(sim.stats(TEST_ACCOUNT.username).logins).toBe(0);
    },
  );

  it('answers a login without an api-key header with code 200002', async () => {
    // Act
    const response = await fetch(`${sim.baseUrl}/login/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(TEST_ACCOUNT),
    });

    // Assess
    expect(response.status).toBe(500);
    expect(await upstreamErrorCode(response)).toBe(
      SimErrorCode.INVALID_API_KEY,
    );
    expect(response.headers.get('RateLimit-Available-Daily')).toBeNull();
  });

  it.each([
    { method: 'GET', path: '/login/login', allow: 'POST' },
    { method: 'DELETE', path: '/campaigns', allow: 'GET' },
  ])(
    'answers $method $path with 405 and Allow: $allow',
    async ({ method, path, allow }) => {
      // Act
      const response = await fetch(`${sim.baseUrl}${path}`, { method });

      // Assess
      expect(response.status).toBe(405);
      expect(response.headers.get('Allow')).toBe(allow);
      await response.text();
    },
  );

  it.each(['/sas/unknown', '/elsewhere', '/__sim/unknown'])(
    'answers the unknown path %s with 404',
    async (path) => {
      // Act
      const response = await fetch(`http://127.0.0.1:${sim.port}${path}`);

      // Assess
      expect(response.status).toBe(404);
      await response.text();
    },
  );

  it('takes a Bearer-prefixed session id as no session (200003)', async () => {
    // Prepare
    const body = (await (await login(sim)).json()) as {
      result: { sessionId: string };
    };

    // Act
    const response = await readCampaigns(
      sim,
      `Bearer ${body.result.sessionId}`,
    );

    // Assess
    expect(await upstreamErrorCode(response)).toBe(
      SimErrorCode.SESSION_NOT_VALID,
    );
  });

  it('keeps serving after a burst of malformed requests', async () => {
    // Act
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const response = await fetch(`${sim.baseUrl}/login/login`, {
          method: 'POST',
          headers: jsonHeaders,
          body: '{'.repeat(i),
        });
        await response.text();
      }),
    );
    const response = await login(sim);

    // Assess
    expect(response.status).toBe(200);
  });
});
