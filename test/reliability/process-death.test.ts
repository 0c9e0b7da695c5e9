import {
  type SweepSettings,
  sweepPool,
} from '../../functions/pool/maintenance';
import {
  createTestBroker,
  PRINCIPAL,
  sweepDependencies,
  TEST_TIMINGS,
  type TestBroker,
} from '../helpers/broker';
import { CountingUpstream } from '../helpers/counting-upstream';
import {
  type DynamoDbFaults,
  watchTestTable,
} from '../helpers/dynamodb-faults';
import { seededRandom } from '../helpers/seeded-random';
import type { SuiteFigures } from './render-report';
import { recordFigures } from './report';

const POOL = 'default';
const request = { principal: PRINCIPAL, leaseMs: 60_000, waitMs: 0 };
const SETTINGS: SweepSettings = {
  refreshAheadMs: 0,
  demandWindowMs: 1,
  refreshMinSessions: 0,
  refreshMaxSessions: 0,
  claimMs: 60_000,
};
/** When a login reserved now is surely dead upstream. */
const FREE_AFTER_MS =
  TEST_TIMINGS.loginTimeoutMs +
  TEST_TIMINGS.sessionLifetimeMs +
  TEST_TIMINGS.clockSkewMs;
const figures: SuiteFigures['process-death'] = {
  crashedLogins: 0,
  deadSweeps: 0,
  slotsFreed: 0,
};

describe('Process death: a container that dies mid-step', () => {
  let t: TestBroker;
  let close: () => void;
  let faults: DynamoDbFaults;
  let upstream: CountingUpstream;
  const sweep = () => sweepPool(sweepDependencies(t), SETTINGS, POOL);

  beforeEach(async () => {
    t = await createTestBroker({ cap: 1 });
    ({ faults, close } = watchTestTable(t.table, 1));
    const credentials = await t.credentials.get();
    upstream = new CountingUpstream({
      clock: t.clock,
      cap: 1,
      lifetimeMs: TEST_TIMINGS.sessionLifetimeMs,
      random: seededRandom(7),
      account: credentials,
    });
    t.fake.next = () => upstream.login(credentials, { timeoutMs: 3_000 });
  });

  afterEach(async () => {
    figures.slotsFreed += faults.frees;
    close();
    await t.table.drop();
  });

  afterAll(() => recordFigures('process-death', figures));

  it('keeps the slot of a check-out that died between reserving and finishing its login until its session is surely dead', async () => {
    // Prepare: the upstream makes the session, then the caller's process
    // dies: its login never answers and nothing settles the slot.
    upstream.faults = { ...upstream.faults, crash: 1 };
    const crashed = new Promise<void>((resolve) => {
      upstream.onCrash = () => {
        upstream.faults = { ...upstream.faults, crash: 0 };
        resolve();
      };
    });
    const dying = t.broker.checkOut(POOL, request);
    await crashed;
    figures.crashedLogins += upstream.counters.crashed;

    // Act: the clock passes the login's deadline, then nearly the session's
    // whole life; callers and sweeps keep coming.
    t.clock.advance(TEST_TIMINGS.loginTimeoutMs + 1);
    const early = await t.broker.checkOut(POOL, request).catch((e) => e);
    t.clock.advance(FREE_AFTER_MS - TEST_TIMINGS.loginTimeoutMs - 2);
    const beforeFree = await sweep();
    const stillHeld = await t.broker.checkOut(POOL, request).catch((e) => e);
    t.clock.advance(2);
    const atFree = await sweep();
    const after = await t.broker.checkOut(POOL, request);

    // Assess
    expect(upstream.counters.crashed).toBe(1);
    expect(early).toMatchObject({ code: 'POOL_EXHAUSTED' });
    expect(beforeFree).toMatchObject({ dropped: 0, live: 1 });
    expect(stillHeld).toMatchObject({ code: 'POOL_EXHAUSTED' });
    expect(atFree).toMatchObject({ dropped: 1, live: 0 });
    expect(after.generation).toBe(1);
    expect(upstream.counters.overCap).toBe(0);
    expect(upstream.counters.peakLive).toBe(1);
    expect(faults.frees).toBe(1);
    expect(faults.violations).toEqual([]);
    expect(await faults.audit(POOL)).toEqual([]);
    void dying;
  });

  it('lets the next sweep free a dead slot once, after a sweep that died holding its claim', async () => {
    // Prepare: a session past its life, and a sweep that took the claim
    // and died before doing anything.
    const lease = await t.broker.checkOut(POOL, request);
    await t.broker.checkIn(POOL, lease.leaseId, {
      principal: PRINCIPAL,
      generation: lease.generation,
      outcome: 'ok',
    });
    t.clock.advance(FREE_AFTER_MS);
    await t.store.claimSweep(
      POOL,
      { owner: 'dead-sweep', until: t.clock.now() + SETTINGS.claimMs },
      t.clock.now(),
    );
    figures.deadSweeps += 1;

    // Act
    const blocked = await sweep();
    t.clock.advance(SETTINGS.claimMs);
    const [first, second] = await Promise.all([sweep(), sweep()]);

    // Assess: one of the racing sweeps freed the slot, the other stood aside.
    expect(blocked).toMatchObject({ skipped: true, live: 1 });
    expect([first?.dropped, second?.dropped].sort()).toEqual([0, 1]);
    expect(faults.frees).toBe(1);
    expect(faults.violations).toEqual([]);
    expect(await faults.audit(POOL)).toEqual([]);
  });
});
