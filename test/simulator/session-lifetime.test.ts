import { ManualClock } from '../../functions/shared/clock';
import type { UpstreamSimulator } from '../../local/simulator';
import { SIM_DEFAULTS, SimErrorCode } from '../../local/simulator';
import {
  login,
  loginOk,
  readCampaigns,
  startSimulator,
  TEST_ACCOUNT,
  upstreamErrorCode,
} from '../helpers/simulator';

describe('Upstream simulator: session lifetime', () => {
  let sim: UpstreamSimulator;
  let clock: ManualClock;

  beforeEach(() => {
    clock = new ManualClock();
  });

  afterEach(async () => {
    await sim.stop();
  });

  it('serves the campaign list to a live session', async () => {
    // Prepare
    sim = await startSimulator({ clock });
    const sessionId = await loginOk(sim);

    // Act
    const response = await readCampaigns(sim, sessionId);

    // Assess
    expect(response.status).toBe(200);
    const body = (await response.json()) as { result: unknown[] };
    expect(body.result).toEqual(
      expect.arrayContaining([
        { id: expect.any(Number), name: expect.any(String) },
      ]),
    );
    expect(sim.stats(TEST_ACCOUNT.username).reads).toBe(1);
  });

  it.each([
    {
      name: 'just before',
      elapsedMs: SIM_DEFAULTS.sessionLifetimeMs - 1,
      live: 1,
    },
    { name: 'exactly at', elapsedMs: SIM_DEFAULTS.sessionLifetimeMs, live: 0 },
  ])(
    'counts a session $name its 3-hour lifetime as live=$live',
    async ({ elapsedMs, live }) => {
      // Prepare
      sim = await startSimulator({ clock });
      await loginOk(sim);

      // Act
      clock.advance(elapsedMs);

      // Assess
      expect(sim.stats(TEST_ACCOUNT.username).live).toBe(live);
    },
  );

  it('answers 200003 to an expired session, even one in steady use', async () => {
    // Prepare
    sim = await startSimulator({ clock });
    const sessionId = await loginOk(sim);
    for (let hour = 0; hour < 2; hour += 1) {
      clock.advance(60 * 60 * 1000);
      expect((await readCampaigns(sim, sessionId)).status).toBe(200);
    }

    // Act
    clock.advance(60 * 60 * 1000);
    const response = await readCampaigns(sim, sessionId);

    // Assess
    expect(response.status).toBe(500);
    expect(await upstreamErrorCode(response)).toBe(
      SimErrorCode.SESSION_NOT_VALID,
    );
  });

  it('accepts a new login once a full account has a session expire', async () => {
    // Prepare
    sim = await startSimulator({
      clock,
      account: { maxSessions: 2, sessionLifetimeMs: 60_000 },
    });
    await loginOk(sim);
    clock.advance(30_000);
    await loginOk(sim);
    const refused = await login(sim);

    // Act
    clock.advance(30_000);
    const response = await login(sim);

    // Assess
    expect(await upstreamErrorCode(refused)).toBe(
      SimErrorCode.SESSION_LIMIT_REACHED,
    );
    expect(response.status).toBe(200);
    expect(sim.stats(TEST_ACCOUNT.username)).toMatchObject({
      live: 2,
      peakLive: 2,
    });
  });

  it('answers 200003 to a session id it never issued', async () => {
    // Prepare
    sim = await startSimulator({ clock });

    // Act
    const response = await readCampaigns(sim, 'made-up-session');

    // Assess
    expect(await upstreamErrorCode(response)).toBe(
      SimErrorCode.SESSION_NOT_VALID,
    );
  });

  it("answers 200002 to a live session sent with another account's key", async () => {
    // Prepare
    sim = await startSimulator({ clock });
    sim.addAccount({ username: 'other', password: 'pw', apiKey: 'key-other' });
    const sessionId = await loginOk(sim);

    // Act
    const response = await readCampaigns(sim, sessionId, 'key-other');

    // Assess
    expect(await upstreamErrorCode(response)).toBe(
      SimErrorCode.INVALID_API_KEY,
    );
  });

  it('answers 200003 to every session after they are expired by hand', async () => {
    // Prepare
    sim = await startSimulator({ clock });
    const sessionId = await loginOk(sim);

    // Act
    sim.expireAllSessions(TEST_ACCOUNT.username);
    const response = await readCampaigns(sim, sessionId);

    // Assess
    expect(await upstreamErrorCode(response)).toBe(
      SimErrorCode.SESSION_NOT_VALID,
    );
  });
});
