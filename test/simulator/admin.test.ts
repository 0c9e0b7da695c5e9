import type { UpstreamSimulator } from '../../local/simulator';
import {
  admin,
  login,
  loginOk,
  readCampaigns,
  startSimulator,
  TEST_ACCOUNT,
  upstreamErrorCode,
} from '../helpers/simulator';

describe('Upstream simulator: admin endpoints', () => {
  let sim: UpstreamSimulator;
  const user = TEST_ACCOUNT.username;

  beforeEach(async () => {
    sim = await startSimulator();
  });

  afterEach(async () => {
    await sim.stop();
  });

  it('creates an account with PUT and shows no secret in the answer', async () => {
    // Act
    const response = await admin(sim, 'PUT', '/accounts/new-user', {
      password: 'new-password',
      apiKey: 'new-api-key',
      maxSessions: 2,
    });
    const text = await response.text();
    const loggedIn = await login(sim, {
      username: 'new-user',
      password: 'new-password',
      apiKey: 'new-api-key',
    });

    // Assess
    expect(response.status).toBe(201);
    expect(JSON.parse(text)).toMatchObject({
      username: 'new-user',
      maxSessions: 2,
    });
    expect(text).not.toContain('new-password');
    expect(text).not.toContain('new-api-key');
    expect(loggedIn.status).toBe(200);
  });

  it('changes an existing account with PUT, such as its password and faults', async () => {
    // Act
    const response = await admin(sim, 'PUT', `/accounts/${user}`, {
      password: 'rotated',
      faults: { loginFailureRate: 1 },
    });
    const failed = await login(sim, { password: 'rotated' });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      faults: { loginFailureRate: 1, hangAfterCount: 0 },
    });
    expect(failed.status).toBe(503);
  });

  it('reports the counters at /stats', async () => {
    // Prepare
    await loginOk(sim);
    await (await login(sim, { password: 'wrong' })).text();

    // Act
    const response = await admin(sim, 'GET', `/accounts/${user}/stats`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      live: 1,
      peakLive: 1,
      logins: 1,
      loginAttempts: 2,
      rejectedLogins: 1,
      capRefusals: 0,
      injectedFailures: 0,
      hungLogins: 0,
      reads: 0,
    });
  });

  it('ends every live session with /expire-sessions', async () => {
    // Prepare
    const sessionId = await loginOk(sim);
    await loginOk(sim);

    // Act
    const response = await admin(
      sim,
      'POST',
      `/accounts/${user}/expire-sessions`,
    );
    const read = await readCampaigns(sim, sessionId);

    // Assess
    expect(await response.json()).toEqual({ expired: 2 });
    expect(await upstreamErrorCode(read)).toBe(200003);
    expect(sim.stats(user).live).toBe(0);
  });

  it('zeroes the counters with /reset-stats, keeping live sessions', async () => {
    // Prepare
    await loginOk(sim);
    await loginOk(sim);

    // Act
    const response = await admin(sim, 'POST', `/accounts/${user}/reset-stats`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      live: 2,
      peakLive: 2,
      logins: 0,
      loginAttempts: 0,
    });
  });

  it('decodes URL-encoded usernames in the path', async () => {
    // Prepare
    sim.addAccount({ username: 'a b/c', password: 'pw', apiKey: 'key-abc' });

    // Act
    const response = await admin(sim, 'GET', '/accounts/a%20b%2Fc/stats');

    // Assess
    expect(response.status).toBe(200);
    await response.text();
  });

  it.each([
    {
      name: 'a new account without a password',
      path: '/accounts/half',
      body: { apiKey: 'k' },
      status: 400,
    },
    {
      name: 'an unknown field',
      path: `/accounts/${TEST_ACCOUNT.username}`,
      body: { maxSesions: 3 },
      status: 400,
    },
    {
      name: 'a failure rate above 1',
      path: `/accounts/${TEST_ACCOUNT.username}`,
      body: { faults: { loginFailureRate: 2 } },
      status: 400,
    },
    {
      name: 'a zero cap',
      path: `/accounts/${TEST_ACCOUNT.username}`,
      body: { maxSessions: 0 },
      status: 400,
    },
    {
      name: "another account's api-key",
      path: '/accounts/copycat',
      body: { password: 'pw', apiKey: TEST_ACCOUNT.apiKey },
      status: 400,
    },
    {
      name: 'a body that is not an object',
      path: `/accounts/${TEST_ACCOUNT.username}`,
      body: 'just text',
      status: 400,
    },
  ])(
    'refuses a PUT with $name with $status',
    async ({ path, body, status }) => {
      // Act
      const response = await admin(sim, 'PUT', path, body);
      const text = await response.text();

      // Assess
      expect(response.status).toBe(status);
      expect(JSON.parse(text)).toEqual({
        error: { code: 'INVALID_CONFIG', message: expect.any(String) },
      });
      expect(text).not.toContain(TEST_ACCOUNT.apiKey);
    },
  );

  it('refuses a PUT whose body is not JSON with 400', async () => {
    // Act
    const response = await fetch(`${sim.adminUrl}/accounts/${user}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: '{"password":',
    });

    // Assess
    expect(response.status).toBe(400);
    await response.text();
  });

  it.each([
    { method: 'GET', path: '/accounts/nobody/stats', status: 404 },
    { method: 'POST', path: '/accounts/nobody/expire-sessions', status: 404 },
    {
      method: 'DELETE',
      path: `/accounts/${TEST_ACCOUNT.username}`,
      status: 405,
    },
    {
      method: 'GET',
      path: `/accounts/${TEST_ACCOUNT.username}/reset-stats`,
      status: 405,
    },
    { method: 'GET', path: '/accounts/%E0%A4%A/stats', status: 400 },
    { method: 'GET', path: '/accounts', status: 404 },
  ])('answers $method $path with $status', async ({ method, path, status }) => {
    // Act
    const response = await admin(sim, method, path);

    // Assess
    expect(response.status).toBe(status);
    await response.text();
  });
});
