import type { Logger } from '@aws-lambda-powertools/logger';
import { BrokerMetric } from '../../infra/metrics';
import type { Credentials } from '../credentials/source';
import type { Clock } from '../shared/clock';
import { describeError } from '../shared/describe-error';
import { type MetricsRecorder, noMetrics } from '../shared/metrics';
import { LoginRejectedError, LoginUnavailableError } from '../upstream/errors';
import type { Login } from '../upstream/login-client';
import type { BrokerTimings, CheckOutRequest, PoolSettings } from './broker';
import { BreakerOpenError, LoginFailedError } from './errors';
import { newLeaseId, newReservation, newSlotId } from './ids';
import type { Lease, LoginSlot, PoolItem, SessionSlot } from './model';
import type { CheckOutStep } from './planner';
import type { PoolStore } from './store';

export interface SessionMinterDependencies {
  readonly store: PoolStore;
  readonly clock: Clock;
  readonly login: Login;
  readonly logger: Logger;
  readonly timings: BrokerTimings;
  readonly metrics?: MetricsRecorder;
  /** Keeps the broker's copy of the pool fresh from a write's answer. */
  readonly remember: (item: PoolItem | undefined) => PoolItem | undefined;
  readonly load: (pool: PoolSettings) => Promise<PoolItem>;
}

/**
 * The outcome of one mint: `minted` when a session was made, `error` when
 * the login failed (its slot already settled by the failure rules), and
 * neither when the reservation lost a race and the caller should plan again.
 */
export interface MintAttempt {
  readonly view: PoolItem;
  readonly minted?: { readonly session: SessionSlot; readonly lease?: Lease };
  readonly error?: unknown;
}

/**
 * Turns a reservation into an upstream session: reserve the slot, log in,
 * then finish, quarantine or free the slot by what the login's outcome
 * says about the upstream's count.
 */
export class SessionMinter {
  readonly #deps: SessionMinterDependencies;

  public constructor(deps: SessionMinterDependencies) {
    this.#deps = deps;
  }

  /**
   * Reserves a slot, logs in and hands the new session to the caller of
   * `request` (or, without one, leaves it idle for the next caller).
   * Returns no error when the reservation lost a race (plan again), or the
   * login error after the slot was settled by the failure rules.
   */
  public async mint(
    pool: PoolSettings,
    step: Extract<CheckOutStep, { kind: 'reserve' }>,
    credentials: Credentials,
    request: CheckOutRequest | undefined,
    now: number,
  ): Promise<MintAttempt> {
    const { store, clock, timings, logger } = this.#deps;
    const slotId = newSlotId();
    const reservation = newReservation();
    const loginDeadline = now + timings.loginTimeoutMs;
    const slot: LoginSlot = {
      state: 'login',
      reservation,
      reservedAt: now,
      loginDeadline,
      freeAt: loginDeadline + timings.sessionLifetimeMs + timings.clockSkewMs,
      secretVersion: credentials.versionId,
    };

    let reserved: Awaited<ReturnType<PoolStore['reserve']>>;
    try {
      reserved = await store.reserve(pool.name, {
        slotId,
        slot,
        cap: pool.cap,
        ...(step.replacing === undefined ? {} : { replacing: step.replacing }),
        ...(step.probe
          ? {
              probe: {
                slotId,
                secretVersion: credentials.versionId,
                until: loginDeadline,
              },
            }
          : {}),
        now,
      });
    } catch (error) {
      // The login was never sent, so the slot may be freed whether or not
      // the failed write was applied.
      await store
        .abandonLogin(pool.name, slotId, reservation)
        .catch(() => undefined);
      throw error;
    }
    const reservedView =
      this.#deps.remember(reserved.item) ?? (await this.#deps.load(pool));
    if (!reserved.ok && !hasReservation(reservedView, slotId, reservation)) {
      return { view: reservedView };
    }

    let token: string;
    try {
      token = await this.#deps.login(credentials, {
        timeoutMs: timings.loginTimeoutMs,
      });
    } catch (error) {
      return {
        view: await this.#settleFailedLogin(pool, slot, slotId, error),
        error: this.#loginError(error),
      };
    }

    const finishedAt = clock.now();
    const usableUntil = now + timings.sessionLifetimeMs - timings.clockSkewMs;
    const lease: Lease | undefined = request && {
      id: newLeaseId(slotId),
      principal: request.principal,
      ...(request.holder === undefined ? {} : { holder: request.holder }),
      grantedAt: finishedAt,
      expiresAt: Math.min(finishedAt + request.leaseMs, usableUntil),
    };
    const session: SessionSlot = {
      state: 'ready',
      token,
      secretVersion: credentials.versionId,
      reservedAt: now,
      mintedAt: finishedAt,
      usableUntil,
      freeAt: finishedAt + timings.sessionLifetimeMs + timings.clockSkewMs,
      generation: lease ? 1 : 0,
      ...(lease ? { lease, lastLeasedAt: finishedAt } : {}),
    };
    const finished = await store.finishLogin(
      pool.name,
      slotId,
      reservation,
      session,
    );
    const view =
      this.#deps.remember(finished.item) ?? (await this.#deps.load(pool));
    const current = view.sessions[slotId];
    if (!finished.ok && current?.state !== 'ready') {
      // Only a drop after `freeAt` removes a reservation, which needs the
      // login to have outlived a whole session lifetime.
      logger.error('reservation vanished before the login finished', {
        pool: pool.name,
        slot: slotId,
      });
      return { view, error: new LoginFailedError(1, undefined) };
    }
    logger.info('session minted', {
      pool: pool.name,
      slot: slotId,
      login_ms: finishedAt - now,
    });
    // A finish the SDK retried may land after the new lease ran out and the
    // session was leased again: then the session is minted, but not ours.
    const ours =
      lease !== undefined &&
      (finished.ok ||
        (current?.state === 'ready' && current.lease?.id === lease.id));
    return { view, minted: { session, ...(ours ? { lease } : {}) } };
  }

  /** Applies the design's failure rules to a login that threw. */
  async #settleFailedLogin(
    pool: PoolSettings,
    slot: LoginSlot,
    slotId: string,
    error: unknown,
  ): Promise<PoolItem> {
    const { store, clock, logger } = this.#deps;
    const fields = {
      pool: pool.name,
      slot: slotId,
      error: describeError(error),
    };
    let result: Awaited<ReturnType<PoolStore['abandonLogin']>>;
    const metrics = this.#deps.metrics ?? noMetrics;
    metrics.record(
      pool.name,
      error instanceof LoginRejectedError
        ? BrokerMetric.LoginRejected
        : BrokerMetric.LoginFailed,
      1,
    );
    if (error instanceof LoginRejectedError) {
      metrics.record(pool.name, BrokerMetric.BreakerOpen, 1);
      logger.error('login rejected: breaker opened', fields);
      result = await store.abandonLogin(pool.name, slotId, slot.reservation, {
        secretVersion: slot.secretVersion,
        openedAt: clock.now(),
        reason: error.code,
        ...(error.upstreamCode === undefined
          ? {}
          : { upstreamCode: error.upstreamCode }),
      });
    } else if (error instanceof LoginUnavailableError) {
      logger.warn('login failed: slot freed', fields);
      result = await store.abandonLogin(pool.name, slotId, slot.reservation);
    } else {
      // Sent, then lost: the upstream may hold a session, so keep counting
      // it until it would have expired. A crash here leaves the same state,
      // since a login slot past its deadline is treated as quarantined.
      logger.warn('login outcome unknown: slot quarantined', fields);
      result = await store.quarantineLogin(
        pool.name,
        slotId,
        slot.reservation,
        {
          state: 'quarantined',
          reason: 'login-outcome-unknown',
          reservedAt: slot.reservedAt,
          freeAt: slot.freeAt,
        },
      );
    }
    return this.#deps.remember(result.item) ?? (await this.#deps.load(pool));
  }

  #loginError(error: unknown): unknown {
    if (error instanceof LoginRejectedError) {
      return new BreakerOpenError(error.upstreamCode);
    }
    return error;
  }
}

const hasReservation = (
  item: PoolItem,
  slotId: string,
  reservation: string,
): boolean => {
  const slot = item.sessions[slotId];
  return slot?.state === 'login' && slot.reservation === reservation;
};
