import { ManualClock } from '../../functions/shared/clock';
import type { UpstreamSimulator } from '../../local/simulator';
import { SimErrorCode } from '../../local/simulator';
import {
  login,
  loginOk,
  quotaHeaders,
  readCampaigns,
  startSimulator,
  TEST_ACCOUNT,
  upstreamErrorCode,
} from '../helpers/simulator';

describe('Upstream simulator: request quotas', () => {
  let sim: UpstreamSimulator;
  let clock: ManualClock;

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 2, 31, 23, 0));
  });

  afterEach(async () => {
    await sim.stop();
  });

  it('reports the default limits and takes one per request from both', async () => {
    // Prepare
    sim = await startSimulator({ clock });

    // Act
    const first = await login(sim);
    const sessionId = (
      (await first.json()) as { result: { sessionId: string } }
    ).result.sessionId;
    const second = await readCampaigns(sim, sessionId);

    // Assess
    expect(quotaHeaders(first)).toEqual({
      limitDaily: 1000,
      availableDaily: 999,
      limitMonthly: 30_000,
      availableMonthly: 29_999,
    });
    expect(quotaHeaders(second)).toMatchObject({
      availableDaily: 998,
      availableMonthly: 29_998,
    });
  });

  it('charges failed requests too, and says so in their headers', async () => {
    // Prepare
    sim = await startSimulator({ clock });

    // Act
    const response = await login(sim, { password: 'wrong' });

    // Assess
    expect(response.status).toBe(500);
    expect(quotaHeaders(response).availableDaily).toBe(999);
  });

  it.each([
    { name: 'daily', account: { dailyQuota: 2 } },
    { name: 'monthly', account: { monthlyQuota: 2 } },
  ])(
    'answers 200005 once the $name quota reaches zero',
    async ({ account }) => {
      // Prepare
      sim = await startSimulator({ clock, account });
      const sessionId = await loginOk(sim);
      await readCampaigns(sim, sessionId);

      // Act
      const read = await readCampaigns(sim, sessionId);
      const relogin = await login(sim);

      // Assess
      for (const response of [read, relogin]) {
        expect(response.status).toBe(500);
        expect(await upstreamErrorCode(response)).toBe(
          SimErrorCode.QUOTA_EXHAUSTED,
        );
      }
      const headers = quotaHeaders(relogin);
      expect(Math.min(headers.availableDaily, headers.availableMonthly)).toBe(
        0,
      );
      expect(sim.stats(TEST_ACCOUNT.username)).toMatchObject({
        logins: 1,
        reads: 1,
      });
    },
  );

  it('restores the daily quota at UTC midnight, not the monthly one', async () => {
    // Prepare
    sim = await startSimulator({ clock, account: { dailyQuota: 1 } });
    await loginOk(sim);
    const exhausted = await login(sim);

    // Act
    clock.set(Date.UTC(2026, 3, 1, 0, 0));
    const nextDay = await login(sim);

    // Assess
    expect(await upstreamErrorCode(exhausted)).toBe(
      SimErrorCode.QUOTA_EXHAUSTED,
    );
    expect(nextDay.status).toBe(200);
    expect(quotaHeaders(nextDay).availableDaily).toBe(0);
  });

  it('restores the monthly quota on the first of the month (UTC)', async () => {
    // Prepare
    clock.set(Date.UTC(2026, 2, 15, 12));
    sim = await startSimulator({ clock, account: { monthlyQuota: 1 } });
    await loginOk(sim);
    clock.set(Date.UTC(2026, 2, 31, 23, 59));
    const lateInMonth = await login(sim);

    // Act
    clock.set(Date.UTC(2026, 3, 1, 0, 0));
    const newMonth = await login(sim);

    // Assess
    expect(await upstreamErrorCode(lateInMonth)).toBe(
      SimErrorCode.QUOTA_EXHAUSTED,
    );
    expect(newMonth.status).toBe(200);
    expect(quotaHeaders(newMonth)).toMatchObject({
      limitMonthly: 1,
      availableMonthly: 0,
    });
  });
});
