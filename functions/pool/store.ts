import type {
  Breaker,
  Lease,
  LoginSlot,
  PoolItem,
  Probe,
  QuarantinedSlot,
  QuotaSeen,
  SessionSlot,
  SweepClaim,
} from './model';

/**
 * Outcome of one conditional write. On failure, `item` is the pool as the
 * write found it (or undefined when the pool does not exist), so the caller
 * can decide its next step without another read.
 */
export type WriteResult =
  | { readonly ok: true; readonly item: PoolItem }
  | {
      readonly ok: false;
      readonly item: PoolItem | undefined;
      /**
       * The SDK sent this write more than once. An earlier attempt may have
       * been applied, its answer lost, and the condition then failed on
       * the write's own effect: only then may a failure be read as done.
       */
      readonly retried: boolean;
    };

export interface LeaseMatch {
  readonly leaseId: string;
  readonly generation: number;
  readonly principal: string;
}

/** What a check-in does to the session it returns. */
export type ReturnAction =
  | { readonly kind: 'release' }
  | { readonly kind: 'drop' }
  | { readonly kind: 'quarantine'; readonly slot: QuarantinedSlot };

/**
 * Every step of the pool's life, each one atomic. Implementations must
 * check each step's condition inside the write, never from an earlier read.
 */
export interface PoolStore {
  read(pool: string): Promise<PoolItem | undefined>;

  /** Writes an empty pool unless one exists; returns the stored pool. */
  create(item: PoolItem): Promise<PoolItem>;

  /**
   * Leases an idle session: no lease running, current version, enough
   * lifetime left. Increments the slot's generation in the same write.
   */
  leaseIdle(
    pool: string,
    slotId: string,
    input: {
      readonly lease: Lease;
      readonly secretVersion: string;
      readonly now: number;
    },
  ): Promise<WriteResult>;

  /**
   * Counts a new slot for a login: below the cap (or replacing a slot that
   * is surely dead), breaker closed for this version, and, while the
   * version is unproven, no other probe login in flight.
   */
  reserve(
    pool: string,
    input: {
      readonly slotId: string;
      readonly slot: LoginSlot;
      readonly cap: number;
      readonly replacing?: string;
      readonly probe?: Probe;
      readonly now: number;
    },
  ): Promise<WriteResult>;

  /** Replaces this caller's reservation with the live session. */
  finishLogin(
    pool: string,
    slotId: string,
    reservation: string,
    session: SessionSlot,
  ): Promise<WriteResult>;

  /** Frees this caller's reservation: the login surely made no session. */
  abandonLogin(
    pool: string,
    slotId: string,
    reservation: string,
    breaker?: Breaker,
  ): Promise<WriteResult>;

  /** Keeps the slot counted: the login may have made a session. */
  quarantineLogin(
    pool: string,
    slotId: string,
    reservation: string,
    slot: QuarantinedSlot,
  ): Promise<WriteResult>;

  renew(
    pool: string,
    slotId: string,
    match: LeaseMatch,
    input: { readonly now: number; readonly expiresAt: number },
  ): Promise<WriteResult>;

  /** Returns a lease; records the quota figures the holder saw, if any. */
  checkIn(
    pool: string,
    slotId: string,
    match: LeaseMatch,
    action: ReturnAction,
    quota?: QuotaSeen,
  ): Promise<WriteResult>;

  /** Clears a lease that has expired, so status shows the session idle. */
  reclaimLease(
    pool: string,
    slotId: string,
    leaseId: string,
    now: number,
  ): Promise<WriteResult>;

  /** Removes a breaker opened for a secret version that is no longer current. */
  closeBreaker(pool: string, staleVersion: string): Promise<WriteResult>;

  /** Takes the pool's sweep for a while; fails while another sweep holds it. */
  claimSweep(
    pool: string,
    claim: SweepClaim,
    now: number,
  ): Promise<WriteResult>;

  releaseSweep(pool: string, owner: string): Promise<WriteResult>;

  /** Frees a slot whose upstream session is surely dead. */
  drop(pool: string, slotId: string, now: number): Promise<WriteResult>;
}
