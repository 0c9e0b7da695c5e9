import {
  isBreakerOpen,
  isDroppable,
  type PoolItem,
  type SessionSlot,
  type Slot,
  slotStatus,
} from './model';

/**
 * Decides the next step of a check-out from a view of the pool. The view
 * may be stale: every step it picks is a conditional write that re-checks
 * the facts it relied on, so a wrong guess costs a retry, never the cap.
 */
export type CheckOutStep =
  | {
      readonly kind: 'lease';
      readonly slotId: string;
      readonly slot: SessionSlot;
    }
  | {
      readonly kind: 'reserve';
      readonly replacing?: string;
      readonly probe: boolean;
    }
  | { readonly kind: 'wait'; readonly retryAt: number }
  | { readonly kind: 'breaker-open' };

export interface PlanContext {
  readonly now: number;
  readonly cap: number;
  readonly secretVersion: string;
  /** Lifetime the caller's lease needs the session to still have. */
  readonly leaseMs: number;
  /** Picks among equal candidates; spreads racing callers across slots. */
  readonly random: () => number;
}

export const planCheckOut = (
  item: PoolItem,
  context: PlanContext,
): CheckOutStep => {
  const { now, secretVersion } = context;
  const entries = Object.entries(item.sessions);

  const leasable = entries.filter(
    (entry): entry is [string, SessionSlot] =>
      entry[1].state === 'ready' &&
      slotStatus(entry[1], now, secretVersion) === 'idle' &&
      entry[1].usableUntil >= now + context.leaseMs,
  );
  const chosen = leasable[Math.floor(context.random() * leasable.length)];
  if (chosen) return { kind: 'lease', slotId: chosen[0], slot: chosen[1] };

  const reserve = planReserve(item, context);
  if (reserve) return reserve;

  const breakerOpen = isBreakerOpen(item, secretVersion);
  if (breakerOpen && !entries.some(([, slot]) => mayFreeUp(slot))) {
    return { kind: 'breaker-open' };
  }
  return { kind: 'wait', retryAt: nextChangeAt(item, now) ?? now + 1000 };

  // With logins blocked, only a session of the current version coming back
  // from a lease, or a login already under way, can still serve this caller.
  function mayFreeUp(slot: Slot): boolean {
    const status = slotStatus(slot, now, secretVersion);
    if (status === 'logging-in') return true;
    return (
      status === 'leased' &&
      slot.state === 'ready' &&
      slot.secretVersion === secretVersion
    );
  }
};

/**
 * A login the pool has room for, or undefined when the cap, the breaker or
 * a probe login in flight says no.
 */
export const planReserve = (
  item: PoolItem,
  context: Pick<PlanContext, 'now' | 'cap' | 'secretVersion'>,
): Extract<CheckOutStep, { kind: 'reserve' }> | undefined => {
  const { now, secretVersion } = context;
  if (isBreakerOpen(item, secretVersion)) return undefined;
  const probing = item.verifiedVersion !== secretVersion;
  const probeBusy =
    probing &&
    item.probe !== undefined &&
    item.probe.secretVersion === secretVersion &&
    item.probe.until > now;
  if (probeBusy) return undefined;
  if (item.live < context.cap) return { kind: 'reserve', probe: probing };
  const dead = Object.entries(item.sessions).find(([, slot]) =>
    isDroppable(slot, now),
  );
  if (dead) return { kind: 'reserve', replacing: dead[0], probe: probing };
  return undefined;
};

/**
 * The earliest instant at which the pool may have a session to give: a
 * lease running out, a login finishing, or a held slot being freed.
 */
export const nextChangeAt = (
  item: PoolItem,
  now: number,
): number | undefined => {
  let earliest: number | undefined;
  const consider = (at: number): void => {
    if (at > now && (earliest === undefined || at < earliest)) earliest = at;
  };
  for (const slot of Object.values(item.sessions)) {
    if (slot.state === 'ready' && slot.lease && slot.lease.expiresAt > now) {
      consider(slot.lease.expiresAt);
    } else if (slot.state === 'login' && slot.loginDeadline > now) {
      consider(slot.loginDeadline);
    } else {
      consider(slot.freeAt);
    }
  }
  if (item.probe) consider(item.probe.until);
  return earliest;
};
