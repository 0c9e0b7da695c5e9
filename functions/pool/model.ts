/**
 * The pool as stored: one DynamoDB item per pool holding the count of live
 * upstream sessions and every slot that the count covers. Because the count
 * and the slots share one item, each step is a single conditional write and
 * the count cannot drift from the slots.
 *
 * All times are epoch milliseconds from the broker's {@link Clock}.
 */

/**
 * A caller's right to use one session until `expiresAt`. Its generation is
 * the slot's: the grant's own write increments it, so a container's stale
 * copy never has to guess it.
 */
export interface Lease {
  readonly id: string;
  /** IAM principal that checked the lease out; only it may renew or return. */
  readonly principal: string;
  /** Free-text label from the caller, for status and logs only. */
  readonly holder?: string;
  readonly grantedAt: number;
  readonly expiresAt: number;
}

interface SlotBase {
  /** When the login for this slot was reserved (request not yet sent). */
  readonly reservedAt: number;
  /**
   * When the upstream session is surely dead, clock skew included. Until
   * then the slot counts against the cap, whatever else happened.
   */
  readonly freeAt: number;
}

/** A login in flight. Past `loginDeadline` its outcome is unknown. */
export interface LoginSlot extends SlotBase {
  readonly state: 'login';
  readonly reservation: string;
  readonly loginDeadline: number;
  readonly secretVersion: string;
}

/** A live upstream session, leasable while `usableUntil` allows. */
export interface SessionSlot extends SlotBase {
  readonly state: 'ready';
  readonly token: string;
  readonly secretVersion: string;
  readonly mintedAt: number;
  /** Latest instant a lease on this session may last to. */
  readonly usableUntil: number;
  /**
   * Counts grants on this slot: the generation of its latest lease, which
   * a renew or check-in must name. Incremented by the granting write.
   */
  readonly generation: number;
  readonly lease?: Lease;
  /** When a lease was last granted on it: recent demand, for the sweep. */
  readonly lastLeasedAt?: number;
  /** Lease id of the last check-in, so a repeated check-in is a no-op. */
  readonly lastCheckedIn?: string;
}

/**
 * A slot that may hold an upstream session nobody can use: a login whose
 * outcome is unknown, or a session the upstream rejected for a reason other
 * than timing out. It is held until `freeAt` and never leased.
 */
export interface QuarantinedSlot extends SlotBase {
  readonly state: 'quarantined';
  readonly reason: 'login-outcome-unknown' | 'session-rejected';
  readonly upstreamCode?: number;
  /** Lease whose check-in quarantined it, so a repeat is a no-op. */
  readonly lastCheckedIn?: string;
}

export type Slot = LoginSlot | SessionSlot | QuarantinedSlot;

/** Open while logins with `secretVersion` were rejected by the upstream. */
export interface Breaker {
  readonly secretVersion: string;
  readonly openedAt: number;
  readonly reason: string;
  readonly upstreamCode?: number;
}

/**
 * While no login with the current secret version has succeeded, only one
 * login may be in flight: a wrong password then costs one failed login, not
 * one per waiting caller, which could lock the account.
 */
export interface Probe {
  readonly slotId: string;
  readonly secretVersion: string;
  readonly until: number;
}

/** The upstream's `RateLimit-*` figures, as a check-in last reported them. */
export interface QuotaSeen {
  readonly limitDaily?: number;
  readonly availableDaily?: number;
  readonly limitMonthly?: number;
  readonly availableMonthly?: number;
  readonly seenAt: number;
}

/** A sweep in progress: a second one at the same time stands aside. */
export interface SweepClaim {
  readonly owner: string;
  readonly until: number;
}

export interface PoolItem {
  readonly pool: string;
  /** Number of entries in `sessions`: kept in the same write as they are. */
  readonly live: number;
  readonly sessions: Readonly<Record<string, Slot>>;
  readonly breaker?: Breaker;
  readonly probe?: Probe;
  /** Secret version of the latest successful login. */
  readonly verifiedVersion?: string;
  readonly quota?: QuotaSeen;
  readonly sweep?: SweepClaim;
  readonly createdAt: number;
}

export type SlotStatus =
  | 'logging-in'
  | 'leased'
  | 'idle'
  | 'draining'
  | 'expired'
  | 'quarantined';

/** What a slot is doing at `now`, as seen by a caller on `currentVersion`. */
export const slotStatus = (
  slot: Slot,
  now: number,
  currentVersion: string,
): SlotStatus => {
  switch (slot.state) {
    case 'login':
      return now < slot.loginDeadline ? 'logging-in' : 'quarantined';
    case 'quarantined':
      return 'quarantined';
    case 'ready':
      if (slot.usableUntil <= now) return 'expired';
      if (slot.lease && slot.lease.expiresAt > now) return 'leased';
      if (slot.secretVersion !== currentVersion) return 'draining';
      return 'idle';
  }
};

/** True when the upstream session behind the slot is surely gone. */
export const isDroppable = (slot: Slot, now: number): boolean =>
  slot.freeAt <= now;

/** True when logins with `version` are blocked by a rejected login. */
export const isBreakerOpen = (item: PoolItem, version: string): boolean =>
  item.breaker?.secretVersion === version;

export interface PoolCounts {
  readonly live: number;
  readonly leased: number;
  readonly idle: number;
  readonly loggingIn: number;
  readonly draining: number;
  readonly expired: number;
  readonly quarantined: number;
}

export const countSlots = (
  item: PoolItem,
  now: number,
  currentVersion: string,
): PoolCounts => {
  const counts = {
    live: item.live,
    leased: 0,
    idle: 0,
    loggingIn: 0,
    draining: 0,
    expired: 0,
    quarantined: 0,
  };
  const keys: Record<SlotStatus, keyof typeof counts> = {
    'logging-in': 'loggingIn',
    leased: 'leased',
    idle: 'idle',
    draining: 'draining',
    expired: 'expired',
    quarantined: 'quarantined',
  };
  for (const slot of Object.values(item.sessions)) {
    counts[keys[slotStatus(slot, now, currentVersion)]] += 1;
  }
  return counts;
};

/** An empty pool, as first written. */
export const emptyPool = (pool: string, now: number): PoolItem => ({
  pool,
  live: 0,
  sessions: {},
  createdAt: now,
});
