import { QuotaExhaustedError } from '../../functions/pool/errors';
import {
  type SweepSettings,
  sweepPool,
} from '../../functions/pool/maintenance';
import {
  LoginOutcomeUnknownError,
  LoginRejectedError,
} from '../../functions/upstream/errors';
import {
  createTestBroker,
  PRINCIPAL,
  sweepDependencies,
  type TestBroker,
} from '../helpers/broker';

const HOUR = 3_600_000;
const request = { principal: PRINCIPAL, leaseMs: 60_000, waitMs: 0 };
const settings: SweepSettings = {
  refreshAheadMs: 15 * 60_000,
  demandWindowMs: 15 * 60_000,
  refreshMinSessions: 0,
  refreshMaxSessions: 10,
  claimMs: 60_000,
};

describe('Function: sweepPool', () => {
  let t: TestBroker;
  const sweep = (overrides: Partial<SweepSettings> = {}) =>
    sweepPool(sweepDependencies(t), { ...settings, ...overrides }, 'default');
  const checkIn = (lease: { leaseId: string; generation: number }) =>
    t.broker.checkIn('default', lease.leaseId, {
      principal: PRINCIPAL,
      generation: lease.generation,
      outcome: 'ok',
    });

  beforeEach(async () => {
    t = await createTestBroker({ cap: 3 });
  });

  afterEach(() => t.table.drop());

  it('frees the slot of a session whose lifetime has passed', async () => {
    // Prepare
    await checkIn(await t.broker.checkOut('default', request));
    t.clock.advance(3 * HOUR + 60_000);

    // Act
    const summary = await sweep();

    // Assess
    expect(summary).toMatchObject({ dropped: 1, live: 0, skipped: false });
  });

  it('keeps a session until its lifetime and skew have passed', async () => {
    // Prepare
    await checkIn(await t.broker.checkOut('default', request));
    t.clock.advance(3 * HOUR);

    // Act & Assess
    expect(await sweep()).toMatchObject({ dropped: 0, live: 1 });
  });

  it('releases a quarantined login only when its session would have expired', async () => {
    // Prepare
    t.fake.next = () =>
      Promise.reject(new LoginOutcomeUnknownError('timed out'));
    await expect(t.broker.checkOut('default', request)).rejects.toThrow();
    t.fake.next = undefined;

    // Act
    t.clock.advance(3 * HOUR);
    const early = await sweep();
    t.clock.advance(2 * 60_000 + 3_000);
    const late = await sweep();

    // Assess
    expect(early).toMatchObject({ dropped: 0, live: 1 });
    expect(late).toMatchObject({ dropped: 1, live: 0 });
  });

  it('clears leases whose holders died', async () => {
    // Prepare
    await t.broker.checkOut('default', request);
    t.clock.advance(61_000);

    // Act
    const summary = await sweep();

    // Assess
    expect(summary.reclaimed).toBe(1);
    expect(await t.broker.status('default')).toMatchObject({
      leased: 0,
      idle: 1,
    });
  });

  it('logs in a successor for a busy session near the end of its life', async () => {
    // Prepare: used 10 minutes ago, 14 minutes of usable life left.
    const lease = await t.broker.checkOut('default', request);
    await checkIn(lease);
    t.clock.advance(3 * HOUR - 15 * 60_000);
    const used = await t.broker.checkOut('default', request);
    await checkIn(used);

    // Act
    const summary = await sweep();

    // Assess
    expect(summary.minted).toBe(1);
    expect(t.fake.calls).toBe(2);
    expect(await t.broker.status('default')).toMatchObject({
      live: 2,
      idle: 2,
    });
  });

  it('logs in nothing ahead when the pool has been idle', async () => {
    // Prepare
    await checkIn(await t.broker.checkOut('default', request));
    t.clock.advance(3 * HOUR - 10 * 60_000);

    // Act & Assess
    expect(await sweep()).toMatchObject({ minted: 0 });
    expect(t.fake.calls).toBe(1);
  });

  it('keeps the floor of sessions while busy, and never passes the cap', async () => {
    // Prepare
    await checkIn(await t.broker.checkOut('default', request));

    // Act
    const summary = await sweep({ refreshMinSessions: 5 });

    // Assess: the floor asks for 5, the cap of 3 allows 2 more.
    expect(summary).toMatchObject({ minted: 2, live: 3 });
  });

  it('drains sessions of an old secret version and closes its breaker', async () => {
    // Prepare: one v1 session, then v1 is rejected and the breaker opens.
    await checkIn(
      await t.broker.checkOut('default', { ...request, leaseMs: 1_000 }),
    );
    t.fake.next = () => Promise.reject(new LoginRejectedError(200001, 500));
    const held = await t.broker.checkOut('default', request);
    await expect(t.broker.checkOut('default', request)).rejects.toMatchObject({
      code: 'BREAKER_OPEN',
    });
    await checkIn(held);
    t.fake.next = undefined;
    t.credentials.set({ ...(await t.credentials.get()), versionId: 'v2' });

    // Act
    const summary = await sweep();
    const fresh = await t.broker.checkOut('default', request);

    // Assess
    expect(summary).toMatchObject({
      breaker: 'closed',
      breakerClosed: true,
      draining: 1,
    });
    expect(fresh.headers.Authorization).toBe('token-2');
    expect(await t.broker.status('default')).toMatchObject({
      draining: 1,
      leased: 1,
    });
  });

  it('stands aside while another sweep holds the pool', async () => {
    // Prepare
    await checkIn(await t.broker.checkOut('default', request));
    t.clock.advance(4 * HOUR);
    await t.store.claimSweep(
      'default',
      { owner: 'other', until: t.clock.now() + 60_000 },
      t.clock.now(),
    );

    // Act
    const summary = await sweep();

    // Assess
    expect(summary).toMatchObject({ skipped: true, dropped: 0, live: 1 });
  });

  it('frees each slot once when sweeps race', async () => {
    // Prepare
    const leases = [];
    for (let i = 0; i < 3; i += 1)
      leases.push(await t.broker.checkOut('default', request));
    await Promise.all(leases.map(checkIn));
    t.clock.advance(4 * HOUR);

    // Act
    const summaries = await Promise.all([sweep(), sweep(), sweep()]);

    // Assess
    expect(summaries.reduce((sum, s) => sum + s.dropped, 0)).toBe(3);
    const item = await t.store.read('default');
    expect(item?.live).toBe(0);
    expect(Object.keys(item?.sessions ?? {})).toHaveLength(0);
  });
});

describe('Quota', () => {
  let t: TestBroker;

  beforeEach(async () => {
    t = await createTestBroker({ cap: 2 });
    t.clock.set(Date.UTC(2026, 11, 3, 22, 0));
  });

  afterEach(() => t.table.drop());

  it('refuses check-outs until the daily reset once a check-in saw none left', async () => {
    // Prepare
    const lease = await t.broker.checkOut('default', request);
    await t.broker.checkIn('default', lease.leaseId, {
      principal: PRINCIPAL,
      generation: lease.generation,
      outcome: 'ok',
      quota: { availableDaily: 0, availableMonthly: 120, limitDaily: 1000 },
    });

    // Act
    const refused = t.broker.checkOut('default', request);

    // Assess: 2 hours to UTC midnight.
    await expect(refused).rejects.toBeInstanceOf(QuotaExhaustedError);
    await refused.catch((error: QuotaExhaustedError) => {
      expect(error.retryAfterSeconds).toBe(2 * 3600);
      expect(error.status).toBe(429);
    });
    t.clock.set(Date.UTC(2026, 11, 4, 0, 0, 1));
    await expect(t.broker.checkOut('default', request)).resolves.toMatchObject({
      generation: 2,
    });
  });

  it('waits for the first of the month when the monthly quota is used up', async () => {
    // Prepare
    const lease = await t.broker.checkOut('default', request);
    await t.broker.checkIn('default', lease.leaseId, {
      principal: PRINCIPAL,
      generation: lease.generation,
      outcome: 'ok',
      quota: { availableDaily: 10, availableMonthly: 0 },
    });

    // Act & Assess
    await expect(t.broker.checkOut('default', request)).rejects.toMatchObject({
      retryAfterSeconds: (Date.UTC(2027, 0, 1) - t.clock.now()) / 1000,
    });
  });
});

describe('Method: mintIdle', () => {
  let t: TestBroker;

  beforeEach(async () => {
    t = await createTestBroker({ cap: 1 });
  });

  afterEach(() => t.table.drop());

  it('logs in with staged credentials, counted against the cap, serving once promoted', async () => {
    // Prepare
    const current = await t.credentials.get();
    const staged = { ...current, password: 'next', versionId: 'v2' };

    // Act
    const minted = await t.broker.mintIdle('default', staged);
    const full = await t.broker.mintIdle('default', staged);
    t.credentials.set(staged);
    const lease = await t.broker.checkOut('default', request);

    // Assess
    expect([minted, full]).toEqual(['minted', 'no-room']);
    expect(t.fake.calls).toBe(1);
    expect(lease.headers.Authorization).toBe('token-1');
  });
});
