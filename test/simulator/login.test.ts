import type { UpstreamSimulator } from '../../local/simulator';
import { SimErrorCode } from '../../local/simulator';
import {
  login,
  startSimulator,
  TEST_ACCOUNT,
  upstreamErrorCode,
} from '../helpers/simulator';

describe('Upstream simulator: login', () => {
  let sim: UpstreamSimulator;

  beforeEach(async () => {
    sim = await startSimulator();
  });

  afterEach(async () => {
    await sim.stop();
  });

  it('listens on loopback under the /sas base path', () => {
    // Assess
    expect(sim.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sas$/);
    expect(sim.port).toBeGreaterThan(0);
  });

  it('answers 200 with an unguessable session id at result.sessionId', async () => {
    // Act
    const response = await login(sim);
    const body = (await response.json()) as {
      result: { sessionId: string };
      error: unknown[];
    };

    // Assess
    expect(response.status).toBe(200);
    expect(body.error).toEqual([]);
    expect(body.result.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sim.stats(TEST_ACCOUNT.username)).toMatchObject({
      live: 1,
      logins: 1,
      loginAttempts: 1,
    });
  });

  it('hands out a different session id on every login', async () => {
    // Act
    const bodies = await Promise.all(
      [1, 2, 3].map(async () => (await login(sim)).json()),
    );

    // Assess
    const ids = bodies.map(
      (body) => (body as { result: { sessionId: string } }).result.sessionId,
    );
    expect(new Set(ids).size).toBe(3);
  });

  it.each([
    {
      name: 'a wrong password',
      overrides: { password: 'wrong' },
      code: SimErrorCode.INVALID_CREDENTIALS,
    },
    {
      name: 'an unknown username',
      overrides: { username: 'nobody' },
      code: SimErrorCode.INVALID_CREDENTIALS,
    },
    {
      name: 'an unknown api-key',
      overrides: { apiKey: 'not-a-key' },
      code: SimErrorCode.INVALID_API_KEY,
    },
  ])(
    'refuses $name with HTTP 500 and code $code, creating no session',
    async ({ overrides, code }) => {
      // Act
      const response = await login(sim, overrides);

      // Assess
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({
        error: [
          {
            type: 'APIErrorCollection',
            errors: [{ code, innerMessage: expect.any(String) }],
          },
        ],
        result: [],
      });
      expect(sim.stats(TEST_ACCOUNT.username)).toMatchObject({
        live: 0,
        logins: 0,
        rejectedLogins: 1,
      });
    },
  );

  it("refuses another account's api-key with code 200002", async () => {
    // Prepare
    sim.addAccount({ username: 'other', password: 'pw', apiKey: 'key-other' });

    // Act
    const response = await login(sim, { apiKey: 'key-other' });

    // Assess
    expect(response.status).toBe(500);
    expect(await upstreamErrorCode(response)).toBe(
      SimErrorCode.INVALID_API_KEY,
    );
    expect(sim.stats(TEST_ACCOUNT.username).rejectedLogins).toBe(1);
  });

  it('accepts the new password, and refuses the old one, after a change', async () => {
    // Prepare
    sim.updateAccount(TEST_ACCOUNT.username, { password: 'rotated' });

    // Act
    const old = await login(sim);
    const rotated = await login(sim, { password: 'rotated' });

    // Assess
    expect(await upstreamErrorCode(old)).toBe(SimErrorCode.INVALID_CREDENTIALS);
    expect(rotated.status).toBe(200);
  });

  it('never echoes the password or api-key in an error body', async () => {
    // Act
    const response = await login(sim, { password: 'hunter2-secret' });
    const text = await response.text();

    // Assess
    expect(text).not.toContain('hunter2-secret');
    expect(text).not.toContain(TEST_ACCOUNT.apiKey);
  });
});
