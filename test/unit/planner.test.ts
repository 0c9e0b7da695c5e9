import type { PoolItem, SessionSlot, Slot } from '../../functions/pool/model';
import { nextChangeAt, planCheckOut } from '../../functions/pool/planner';

const NOW = 1_000_000;
const HOUR = 3_600_000;

const session = (overrides: Partial<SessionSlot> = {}): SessionSlot => ({
  state: 'ready',
  token: 't',
  secretVersion: 'v1',
  reservedAt: NOW - HOUR,
  mintedAt: NOW - HOUR,
  usableUntil: NOW + HOUR,
  freeAt: NOW + 2 * HOUR,
  generation: 1,
  ...overrides,
});

const leased = (expiresAt: number): SessionSlot =>
  session({
    lease: {
      id: 'l',
      principal: 'p',
      grantedAt: NOW,
      expiresAt,
    },
  });

const pool = (
  sessions: Record<string, Slot>,
  extra: Partial<PoolItem> = {},
): PoolItem => ({
  pool: 'default',
  live: Object.keys(sessions).length,
  sessions,
  verifiedVersion: 'v1',
  createdAt: 0,
  ...extra,
});

const context = {
  now: NOW,
  cap: 2,
  secretVersion: 'v1',
  leaseMs: 60_000,
  random: () => 0,
};

describe('Function: planCheckOut', () => {
  it.each<[string, PoolItem, ReturnType<typeof planCheckOut>['kind']]>([
    ['an idle session', pool({ a: session() }), 'lease'],
    ['a session whose lease expired', pool({ a: leased(NOW - 1) }), 'lease'],
    ['room under the cap', pool({ a: leased(NOW + 5_000) }), 'reserve'],
    [
      'a full pool',
      pool({ a: leased(NOW + 5_000), b: leased(NOW + 9_000) }),
      'wait',
    ],
    [
      'a full pool with a surely dead slot',
      pool({
        a: leased(NOW + 5_000),
        b: session({ usableUntil: NOW - 2, freeAt: NOW - 1 }),
      }),
      'reserve',
    ],
    [
      'only a session of an older secret version',
      pool({ a: session({ secretVersion: 'v0' }), b: leased(NOW + 5_000) }),
      'wait',
    ],
    [
      'only a session with too little life left',
      pool({
        a: session({ usableUntil: NOW + 30_000 }),
        b: leased(NOW + 5_000),
      }),
      'wait',
    ],
    [
      'an open breaker and nothing coming back',
      pool(
        {},
        { breaker: { secretVersion: 'v1', openedAt: NOW, reason: 'x' } },
      ),
      'breaker-open',
    ],
    [
      'an open breaker and a lease coming back',
      pool(
        { a: leased(NOW + 5_000) },
        { breaker: { secretVersion: 'v1', openedAt: NOW, reason: 'x' } },
      ),
      'wait',
    ],
    [
      'a breaker opened for an older version',
      pool(
        {},
        { breaker: { secretVersion: 'v0', openedAt: NOW, reason: 'x' } },
      ),
      'reserve',
    ],
    [
      'an unproven version with a probe login in flight',
      pool(
        {},
        {
          verifiedVersion: 'v0',
          probe: { slotId: 'p', secretVersion: 'v1', until: NOW + 1 },
        },
      ),
      'wait',
    ],
  ])('plans for %s', (_title, item, kind) => {
    expect(planCheckOut(item, context).kind).toBe(kind);
  });

  it('marks the reservation as a probe while the version is unproven', () => {
    // Act
    const step = planCheckOut(pool({}, { verifiedVersion: 'v0' }), context);

    // Assess
    expect(step).toEqual({ kind: 'reserve', probe: true });
  });

  it('spreads callers over idle sessions by the random pick', () => {
    // Prepare
    const item = pool({ a: session(), b: session() }, {});

    // Act
    const picks = [0, 0.99].map((r) =>
      planCheckOut(item, { ...context, random: () => r }),
    );

    // Assess
    expect(
      picks.map((step) => (step.kind === 'lease' ? step.slotId : '-')),
    ).toEqual(['a', 'b']);
  });
});

describe('Function: nextChangeAt', () => {
  it('is the earliest lease expiry, login deadline or slot release', () => {
    // Prepare
    const item = pool({
      a: leased(NOW + 9_000),
      b: {
        state: 'login',
        reservation: 'r',
        reservedAt: NOW,
        loginDeadline: NOW + 3_000,
        freeAt: NOW + HOUR,
        secretVersion: 'v1',
      },
      c: {
        state: 'quarantined',
        reason: 'session-rejected',
        reservedAt: 0,
        freeAt: NOW + 500,
      },
    });

    // Act & Assess
    expect(nextChangeAt(item, NOW)).toBe(NOW + 500);
  });
});
