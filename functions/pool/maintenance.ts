import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../shared/clock';
import { describeError } from '../shared/describe-error';
import type { Broker } from './broker';
import { isBreakerOpen, isDroppable, type PoolItem, slotStatus } from './model';
import type { PoolStore } from './store';

export interface SweepSettings {
  /** Sessions with less usable life than this get a successor. */
  readonly refreshAheadMs: number;
  /** Sessions leased within this window are recent demand. */
  readonly demandWindowMs: number;
  /** Fewest ready sessions to keep while the pool is in use. */
  readonly refreshMinSessions: number;
  /** Most ready sessions to keep ahead of demand. */
  readonly refreshMaxSessions: number;
  /** How long one sweep holds the pool before another may take over. */
  readonly claimMs: number;
}

export interface SweepDependencies {
  readonly store: PoolStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A broker whose credentials are read afresh, not from a cache. */
  readonly broker: Broker;
  /** The pool's current secret version, read afresh for this sweep. */
  readonly secretVersion: (pool: string) => Promise<string>;
}

export interface SweepSummary {
  readonly pool: string;
  /** Set when another sweep held the pool, so this one did nothing. */
  readonly skipped: boolean;
  /** Slots freed because their upstream session is surely dead. */
  readonly dropped: number;
  /** Expired leases cleared from idle sessions. */
  readonly reclaimed: number;
  /** Sessions logged in ahead of demand. */
  readonly minted: number;
  /** Sessions of an older secret version, leased no more. */
  readonly draining: number;
  readonly breaker: 'open' | 'closed';
  /** True when this sweep closed a breaker left by an older version. */
  readonly breakerClosed: boolean;
  readonly live: number;
  readonly leased: number;
}

/**
 * One scheduled pass over a pool: drop what is surely dead, clear expired
 * leases, close a breaker the secret has moved past, and log in successors
 * for sessions near the end of their life while the pool is in use.
 *
 * Every change is its own conditional write, so a sweep racing check-outs,
 * or another sweep, frees each slot once and never passes the cap. A claim
 * on the pool item keeps two sweeps from both logging in successors.
 */
export const sweepPool = async (
  deps: SweepDependencies,
  settings: SweepSettings,
  pool: string,
): Promise<SweepSummary> => {
  const { store, clock } = deps;
  const version = await deps.secretVersion(pool);
  const owner = randomUUID();
  const claim = await store.claimSweep(
    pool,
    { owner, until: clock.now() + settings.claimMs },
    clock.now(),
  );
  if (!claim.ok) {
    return summarise(pool, claim.item, clock.now(), version, { skipped: true });
  }

  try {
    let item = claim.item;
    const counts = {
      dropped: 0,
      reclaimed: 0,
      minted: 0,
      breakerClosed: false,
    };

    for (const [slotId, slot] of Object.entries(item.sessions)) {
      const now = clock.now();
      if (isDroppable(slot, now)) {
        const result = await store.drop(pool, slotId, now);
        item = result.item ?? item;
        if (result.ok) counts.dropped += 1;
      } else if (
        slot.state === 'ready' &&
        slot.lease &&
        slot.lease.expiresAt <= now
      ) {
        const result = await store.reclaimLease(
          pool,
          slotId,
          slot.lease.id,
          now,
        );
        item = result.item ?? item;
        if (result.ok) counts.reclaimed += 1;
      }
    }

    if (item.breaker && item.breaker.secretVersion !== version) {
      const result = await store.closeBreaker(pool, item.breaker.secretVersion);
      item = result.item ?? item;
      counts.breakerClosed = result.ok;
    }

    const wanted = successorsWanted(item, clock.now(), version, settings);
    for (let i = 0; i < wanted; i += 1) {
      const minted = await deps.broker
        .mintIdle(pool)
        .catch((error: unknown) => {
          deps.logger.warn('refresh login failed', {
            pool,
            error: describeError(error),
          });
          return 'failed' as const;
        });
      if (minted !== 'minted') break;
      counts.minted += 1;
    }

    const latest = (await store.read(pool)) ?? item;
    return summarise(pool, latest, clock.now(), version, {
      skipped: false,
      ...counts,
    });
  } finally {
    await store.releaseSweep(pool, owner).catch(() => undefined);
  }
};

/**
 * How many sessions to log in ahead of demand: enough that the sessions
 * with a long life left cover what the pool used recently, within the
 * floor and ceiling. Zero when nothing was leased within the window.
 */
export const successorsWanted = (
  item: PoolItem,
  now: number,
  version: string,
  settings: SweepSettings,
): number => {
  let fresh = 0;
  let recentlyUsed = 0;
  for (const slot of Object.values(item.sessions)) {
    const status = slotStatus(slot, now, version);
    if (status === 'logging-in') fresh += 1;
    if (slot.state !== 'ready') continue;
    if (
      slot.secretVersion === version &&
      slot.usableUntil > now + settings.refreshAheadMs
    ) {
      fresh += 1;
    }
    const leasedRecently =
      status === 'leased' ||
      (slot.lastLeasedAt !== undefined &&
        slot.lastLeasedAt >= now - settings.demandWindowMs);
    if (leasedRecently) recentlyUsed += 1;
  }
  if (recentlyUsed === 0) return 0;
  const target = Math.min(
    settings.refreshMaxSessions,
    Math.max(settings.refreshMinSessions, recentlyUsed),
  );
  return Math.max(0, target - fresh);
};

const summarise = (
  pool: string,
  item: PoolItem | undefined,
  now: number,
  version: string,
  counts: Partial<SweepSummary> & { skipped: boolean },
): SweepSummary => {
  let draining = 0;
  let leased = 0;
  for (const slot of Object.values(item?.sessions ?? {})) {
    const status = slotStatus(slot, now, version);
    if (status === 'draining') draining += 1;
    if (status === 'leased') leased += 1;
  }
  return {
    pool,
    dropped: 0,
    reclaimed: 0,
    minted: 0,
    breakerClosed: false,
    ...counts,
    draining,
    leased,
    breaker: item && isBreakerOpen(item, version) ? 'open' : 'closed',
    live: item?.live ?? 0,
  };
};
