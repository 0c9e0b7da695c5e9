import type { Clock } from '../shared/clock';
import { SESSION_TIMED_OUT_CODE } from '../upstream/errors';
import {
  LeaseExpiredError,
  LeaseLostError,
  LeaseNotFoundError,
  NotLeaseHolderError,
} from './errors';
import { slotOfLease } from './ids';
import type { PoolItem, QuotaSeen, SessionSlot, Slot } from './model';
import type { LeaseMatch, PoolStore, ReturnAction, WriteResult } from './store';

export interface RenewRequest {
  readonly principal: string;
  readonly generation: number;
  readonly leaseMs: number;
}

export interface RenewedLease {
  readonly leaseId: string;
  readonly generation: number;
  readonly expiresAt: number;
}

/** How the caller's use of the session went. */
export type CheckInOutcome =
  | { readonly outcome: 'ok' }
  | { readonly outcome: 'rejected'; readonly upstreamCode?: number };

export type CheckInRequest = CheckInOutcome & {
  readonly principal: string;
  readonly generation: number;
  /** The upstream's `RateLimit-*` figures the holder saw last. */
  readonly quota?: Omit<QuotaSeen, 'seenAt'>;
};

export interface CheckInResult {
  /**
   * `returned`: the session is idle again. `dropped`: the upstream said it
   * timed out, so its slot is free. `quarantined`: rejected for another
   * reason, so it stays counted until its lifetime ends but is never leased.
   * `already-returned`: a repeated check-in, which changes nothing.
   */
  readonly result: 'returned' | 'dropped' | 'quarantined' | 'already-returned';
}

export interface LeaseOperationsDependencies {
  readonly store: PoolStore;
  readonly clock: Clock;
  readonly leaseMaxMs: number;
  /** The pool as last seen, or read afresh when `fresh`. */
  readonly view: (pool: string, fresh: boolean) => Promise<PoolItem>;
  readonly remember: (item: PoolItem | undefined) => PoolItem | undefined;
}

/** Renew and check-in: each one conditional write on the lease it names. */
export class LeaseOperations {
  readonly #deps: LeaseOperationsDependencies;

  public constructor(deps: LeaseOperationsDependencies) {
    this.#deps = deps;
  }

  public async renew(
    pool: string,
    leaseId: string,
    request: RenewRequest,
  ): Promise<RenewedLease> {
    const { slotId, match, slot } = await this.#locate(pool, leaseId, request);
    if (slot.state !== 'ready') {
      throw new LeaseLostError('the session was withdrawn');
    }
    const now = this.#deps.clock.now();
    const expiresAt = Math.min(now + request.leaseMs, slot.usableUntil);

    const result = await this.#deps.store.renew(pool, slotId, match, {
      now,
      expiresAt,
    });
    this.#deps.remember(result.item);
    if (result.ok)
      return { leaseId, generation: request.generation, expiresAt };

    const current = result.item?.sessions[slotId];
    if (
      result.retried &&
      current?.state === 'ready' &&
      current.lease?.id === leaseId &&
      current.lease.principal === request.principal &&
      current.generation === request.generation &&
      current.lease.expiresAt === expiresAt
    ) {
      // An SDK retry of a renew that was applied the first time: as with a
      // drop, a failed write is read as done only if it was sent twice.
      return { leaseId, generation: request.generation, expiresAt };
    }
    throw this.#failure(result, slotId, match, 'renew', now);
  }

  public async checkIn(
    pool: string,
    leaseId: string,
    request: CheckInRequest,
  ): Promise<CheckInResult> {
    const { slotId, match, slot } = await this.#locate(pool, leaseId, request);
    if (slot.state !== 'ready') {
      if (slot.state === 'quarantined' && slot.lastCheckedIn === leaseId) {
        return { result: 'already-returned' };
      }
      throw new LeaseLostError('the session was withdrawn');
    }
    const action = returnAction(request, slot, leaseId);

    const quota =
      request.quota && Object.keys(request.quota).length > 0
        ? { ...request.quota, seenAt: this.#deps.clock.now() }
        : undefined;
    const result = await this.#deps.store.checkIn(
      pool,
      slotId,
      match,
      action,
      quota,
    );
    this.#deps.remember(result.item);
    if (result.ok) return { result: resultOf(action) };

    const current = result.item?.sessions[slotId];
    if (
      current &&
      current.state !== 'login' &&
      current.lastCheckedIn === leaseId
    ) {
      return { result: 'already-returned' };
    }
    if (
      !current &&
      action.kind === 'drop' &&
      slot.lease?.id === leaseId &&
      result.retried
    ) {
      // The session is gone after the SDK sent this drop more than once:
      // most likely an attempt was applied and its answer lost. The slot
      // was freed once either way. A drop sent once that finds the session
      // gone was beaten to it (a sweep, or the holder of a later lease
      // seen by another container), and is told so below.
      return { result: 'dropped' };
    }
    throw this.#failure(
      result,
      slotId,
      match,
      'check-in',
      this.#deps.clock.now(),
    );
  }

  /** The slot a lease id names, and the match its write will require. */
  async #locate(
    pool: string,
    leaseId: string,
    request: { readonly generation: number; readonly principal: string },
  ): Promise<{ slotId: string; match: LeaseMatch; slot: Slot }> {
    const slotId = slotOfLease(leaseId);
    if (!slotId) throw new LeaseNotFoundError();
    const match = {
      leaseId,
      generation: request.generation,
      principal: request.principal,
    };
    return { slotId, match, slot: await this.#slot(pool, slotId) };
  }

  /**
   * The session behind a lease. A ready session's lifetime and birth never
   * change, so a last-seen copy serves; anything else is looked up afresh.
   */
  async #slot(pool: string, slotId: string): Promise<Slot> {
    const seen = (await this.#deps.view(pool, false)).sessions[slotId];
    if (seen?.state === 'ready') return seen;
    const slot = (await this.#deps.view(pool, true)).sessions[slotId];
    if (!slot) throw new LeaseNotFoundError();
    return slot;
  }

  /** Says why a lease write failed, from the pool as the write found it. */
  #failure(
    result: WriteResult,
    slotId: string,
    match: LeaseMatch,
    operation: 'renew' | 'check-in',
    now: number,
  ): Error {
    const slot = result.item?.sessions[slotId];
    if (!slot) return new LeaseNotFoundError();
    if (slot.state !== 'ready')
      return new LeaseLostError('the session was withdrawn');
    const lease = slot.lease;
    if (!lease || lease.id !== match.leaseId) {
      return new LeaseLostError('it was returned or granted again');
    }
    if (lease.principal !== match.principal) return new NotLeaseHolderError();
    if (slot.generation !== match.generation) {
      return new LeaseLostError('the generation does not match');
    }
    if (operation === 'renew' && lease.expiresAt <= now)
      return new LeaseExpiredError();
    if (operation === 'renew' && slot.usableUntil <= now)
      return new LeaseExpiredError();
    return new LeaseLostError('it changed while this request ran');
  }
}

const returnAction = (
  request: CheckInOutcome,
  slot: SessionSlot,
  leaseId: string,
): ReturnAction => {
  if (request.outcome === 'ok') return { kind: 'release' };
  if (request.upstreamCode === SESSION_TIMED_OUT_CODE) return { kind: 'drop' };
  return {
    kind: 'quarantine',
    slot: {
      state: 'quarantined',
      reason: 'session-rejected',
      ...(request.upstreamCode === undefined
        ? {}
        : { upstreamCode: request.upstreamCode }),
      reservedAt: slot.reservedAt,
      freeAt: slot.freeAt,
      lastCheckedIn: leaseId,
    },
  };
};

const resultOf = (action: ReturnAction): CheckInResult['result'] => {
  switch (action.kind) {
    case 'release':
      return 'returned';
    case 'drop':
      return 'dropped';
    case 'quarantine':
      return 'quarantined';
  }
};
