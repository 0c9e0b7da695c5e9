import type { UpstreamSimulator } from '../../local/simulator';
import {
  login,
  loginOk,
  readCampaigns,
  startSimulator,
  TEST_ACCOUNT,
} from '../helpers/simulator';

describe('Upstream simulator: fault injection', () => {
  let sim: UpstreamSimulator;

  afterEach(async () => {
    await sim.stop();
  });

  it('answers a delayed login late but successfully', async () => {
    // Prepare
    sim = await startSimulator({ account: { faults: { loginDelayMs: 300 } } });
    const started = Date.now();

    // Act
    const response = await login(sim);

    // Assess
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('answers 503 without creating a session when the failure rate is 1', async () => {
    // Prepare
    sim = await startSimulator({
      account: { faults: { loginFailureRate: 1 } },
    });

    // Act
    const responses = await Promise.all([login(sim), login(sim), login(sim)]);

    // Assess
    for (const response of responses) {
      expect(response.status).toBe(503);
      expect(await response.text()).not.toContain('sessionId');
    }
    expect(sim.stats(TEST_ACCOUNT.username)).toMatchObject({
      live: 0,
      logins: 0,
      loginAttempts: 3,
      injectedFailures: 3,
    });
  });

  it('fails the same logins in every run with the same seed', async () => {
    // Prepare
    const options = {
      seed: 42,
      account: { maxSessions: 100, faults: { loginFailureRate: 0.5 } },
    };
    const statusesOf20Logins = async (): Promise<number[]> => {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i += 1) {
        const response = await login(sim);
        await response.text();
        statuses.push(response.status);
      }
      return statuses;
    };

    // Act
    sim = await startSimulator(options);
    const first = await statusesOf20Logins();
    await sim.stop();
    sim = await startSimulator(options);
    const second = await statusesOf20Logins();

    // Assess
    expect(second).toEqual(first);
    expect(first).toContain(200);
    expect(first).toContain(503);
  });

  it('creates and counts the session of a hung login, while the client times out', async () => {
    // Prepare
    sim = await startSimulator({
      account: { faults: { hangAfterCount: 1, hangMs: 10_000 } },
    });

    // Act
    const hung = login(sim, { signal: AbortSignal.timeout(300) });

    // Assess
    await expect(hung).rejects.toThrow();
    expect(sim.stats(TEST_ACCOUNT.username)).toMatchObject({
      live: 1,
      logins: 1,
      hungLogins: 1,
    });
  });

  it('answers promptly again once the hung logins are used up', async () => {
    // Prepare
    sim = await startSimulator({
      account: { faults: { hangAfterCount: 2, hangMs: 10_000 } },
    });
    const timeouts = [1, 2].map(() =>
      login(sim, { signal: AbortSignal.timeout(200) }).catch(() => 'timed out'),
    );

    // Act
    const results = await Promise.all(timeouts);
    const sessionId = await loginOk(sim);

    // Assess
    expect(results).toEqual(['timed out', 'timed out']);
    expect((await readCampaigns(sim, sessionId)).status).toBe(200);
    expect(sim.stats(TEST_ACCOUNT.username)).toMatchObject({
      live: 3,
      hungLogins: 2,
    });
  });

  it('delivers a hung login once its hang ends, if the client still waits', async () => {
    // Prepare
    sim = await startSimulator({
      account: { faults: { hangAfterCount: 1, hangMs: 200 } },
    });

    // Act
    const response = await login(sim);

    // Assess
    expect(response.status).toBe(200);
    expect(sim.stats(TEST_ACCOUNT.username).hungLogins).toBe(1);
  });
});
