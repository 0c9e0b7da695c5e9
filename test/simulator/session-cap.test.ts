import type { UpstreamSimulator } from '../../local/simulator';
import { SimErrorCode } from '../../local/simulator';
import {
  login,
  loginOk,
  startSimulator,
  TEST_ACCOUNT,
  upstreamErrorCode,
} from '../helpers/simulator';

describe('Upstream simulator: live-session cap', () => {
  let sim: UpstreamSimulator;

  afterEach(async () => {
    await sim.stop();
  });

  it('refuses the login that would make an 11th live session with 200004', async () => {
    // Prepare
    sim = await startSimulator();
    for (let i = 0; i < 10; i += 1) await loginOk(sim);

    // Act
    const response = await login(sim);

    // Assess
    expect(response.status).toBe(500);
    expect(await upstreamErrorCode(response)).toBe(
      SimErrorCode.SESSION_LIMIT_REACHED,
    );
    expect(sim.stats(TEST_ACCOUNT.username)).toMatchObject({
      live: 10,
      peakLive: 10,
      logins: 10,
      loginAttempts: 11,
      capRefusals: 1,
    });
  });

  it('lets exactly the cap through when many logins race', async () => {
    // Prepare
    sim = await startSimulator();

    // Act
    const responses = await Promise.all(
      Array.from({ length: 25 }, () => login(sim)),
    );
    await Promise.all(responses.map((response) => response.text()));

    // Assess
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(sim.stats(TEST_ACCOUNT.username)).toMatchObject({
      peakLive: 10,
      capRefusals: 15,
    });
  });

  it.each([1, 3])('honours a per-account cap of %i', async (maxSessions) => {
    // Prepare
    sim = await startSimulator({ account: { maxSessions } });
    for (let i = 0; i < maxSessions; i += 1) await loginOk(sim);

    // Act
    const response = await login(sim);

    // Assess
    expect(await upstreamErrorCode(response)).toBe(
      SimErrorCode.SESSION_LIMIT_REACHED,
    );
    expect(sim.stats(TEST_ACCOUNT.username).peakLive).toBe(maxSessions);
  });

  it('keeps caps apart between accounts', async () => {
    // Prepare
    sim = await startSimulator({ account: { maxSessions: 1 } });
    sim.addAccount({
      username: 'second',
      password: 'pw',
      apiKey: 'key-second',
      maxSessions: 1,
    });
    await loginOk(sim);

    // Act
    const response = await login(sim, {
      username: 'second',
      password: 'pw',
      apiKey: 'key-second',
    });

    // Assess
    expect(response.status).toBe(200);
    expect(sim.stats('second').live).toBe(1);
    expect(sim.stats(TEST_ACCOUNT.username).live).toBe(1);
  });

  it('frees every slot when all sessions are expired by hand', async () => {
    // Prepare
    sim = await startSimulator({ account: { maxSessions: 2 } });
    await loginOk(sim);
    await loginOk(sim);

    // Act
    const expired = sim.expireAllSessions(TEST_ACCOUNT.username);
    const response = await login(sim);

    // Assess
    expect(expired).toBe(2);
    expect(response.status).toBe(200);
    expect(sim.stats(TEST_ACCOUNT.username)).toMatchObject({
      live: 1,
      peakLive: 2,
    });
  });
});
