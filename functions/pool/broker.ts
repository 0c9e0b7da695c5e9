import type { Logger } from '@aws-lambda-powertools/logger';
import { BrokerMetric } from '../../infra/metrics';
import type { Credentials, CredentialsSource } from '../credentials/source';
import { type Clock, sleep } from '../shared/clock';
import { type MetricsRecorder, noMetrics } from '../shared/metrics';
import type { Login } from '../upstream/login-client';
import {
  BreakerOpenError,
  LoginFailedError,
  PoolExhaustedError,
  PoolNotFoundError,
  QuotaExhaustedError,
} from './errors';
import { newLeaseId } from './ids';
import { LeaseOperations } from './lease-operations';
import {
  countSlots,
  emptyPool,
  isBreakerOpen,
  type Lease,
  type PoolCounts,
  type PoolItem,
  type QuotaSeen,
  type SessionSlot,
} from './model';
import { nextChangeAt, planCheckOut, planReserve } from './planner';
import { quotaResetAt } from './quota';
import { SessionMinter } from './session-minter';
import type { PoolStore } from './store';

/** One set of upstream credentials and the cap that goes with it. */
export interface PoolSettings {
  readonly name: string;
  readonly cap: number;
  readonly credentials: CredentialsSource;
}

/** Timings shared by every pool, resolved once by the configuration. */
export interface BrokerTimings {
  readonly sessionLifetimeMs: number;
  /** Margin for clocks that disagree with the upstream's. */
  readonly clockSkewMs: number;
  readonly loginTimeoutMs: number;
  readonly leaseMaxMs: number;
}

export interface BrokerDependencies {
  readonly store: PoolStore;
  readonly clock: Clock;
  readonly login: Login;
  readonly logger: Logger;
  readonly pools: readonly PoolSettings[];
  readonly timings: BrokerTimings;
  /** Injectable for tests; spreads racing callers over idle sessions. */
  readonly random?: () => number;
  /** IANA zone the upstream's quota days run in. @default 'UTC' */
  readonly quotaTimeZone?: string;
  /** @default no metrics */
  readonly metrics?: MetricsRecorder;
}

export interface CheckOutRequest {
  readonly principal: string;
  readonly holder?: string;
  readonly leaseMs: number;
  /** How long to wait for a session before answering 429. */
  readonly waitMs: number;
}

/** What a caller needs to call the upstream with a leased session. */
export interface GrantedLease {
  readonly pool: string;
  readonly leaseId: string;
  readonly generation: number;
  readonly expiresAt: number;
  readonly sessionExpiresAt: number;
  readonly baseUrl: string;
  readonly headers: {
    readonly Authorization: string;
    readonly 'api-key': string;
  };
}

export interface PoolStatus extends PoolCounts {
  readonly pool: string;
  readonly cap: number;
  /** The upstream's quota figures, as the latest check-in reported them. */
  readonly quota?: QuotaSeen;
  readonly breaker:
    | { readonly state: 'closed' }
    | {
        readonly state: 'open';
        readonly openedAt: number;
        readonly upstreamCode?: number;
      };
}

const FIRST_BACKOFF_MS = 25;
const MAX_BACKOFF_MS = 400;
/** Immediate retries allowed past the deadline, for stale-copy misses. */
const FREE_RETRIES = 3;

/**
 * Leases upstream sessions without ever letting more than `cap` of them
 * live. Holds a last-seen copy of each pool so that the common check-out is
 * one conditional write; every write returns the pool as it now is (or as
 * it was when the write's condition failed), which keeps the copy fresh.
 */
export class Broker {
  readonly #deps: BrokerDependencies;
  readonly #pools: ReadonlyMap<string, PoolSettings>;
  readonly #views = new Map<string, PoolItem>();
  readonly #leases: LeaseOperations;
  readonly #minter: SessionMinter;

  public constructor(deps: BrokerDependencies) {
    this.#deps = deps;
    this.#pools = new Map(deps.pools.map((pool) => [pool.name, pool]));
    this.#minter = new SessionMinter({
      store: deps.store,
      clock: deps.clock,
      login: deps.login,
      logger: deps.logger,
      timings: deps.timings,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      remember: (item) => this.#remember(item),
      load: (pool) => this.#load(pool),
    });
    this.#leases = new LeaseOperations({
      store: deps.store,
      clock: deps.clock,
      leaseMaxMs: deps.timings.leaseMaxMs,
      view: (pool, fresh) =>
        fresh ? this.#load(this.#pool(pool)) : this.#view(this.#pool(pool)),
      remember: (item) => this.#remember(item),
    });
  }

  /** Pool names this broker serves. */
  public get poolNames(): readonly string[] {
    return [...this.#pools.keys()];
  }

  public async checkOut(
    poolName: string,
    request: CheckOutRequest,
  ): Promise<GrantedLease> {
    const pool = this.#pool(poolName);
    const started = this.#deps.clock.now();
    const waited = { ms: 0 };
    const metrics = this.#deps.metrics ?? noMetrics;
    try {
      const lease = await this.#checkOut(pool, request, waited);
      const view = this.#views.get(pool.name);
      metrics.record(pool.name, BrokerMetric.CheckOutGranted, 1);
      metrics.record(
        pool.name,
        BrokerMetric.CheckOutLatency,
        this.#deps.clock.now() - started,
      );
      metrics.record(pool.name, BrokerMetric.WaitTime, waited.ms);
      if (view) this.#recordGauges(pool.name, view);
      return lease;
    } catch (error) {
      if (
        error instanceof PoolExhaustedError ||
        error instanceof QuotaExhaustedError
      ) {
        metrics.record(pool.name, BrokerMetric.CheckOutExhausted, 1);
      }
      throw error;
    }
  }

  /** Live, leased and breaker gauges for the dashboard, from a pool copy. */
  #recordGauges(pool: string, item: PoolItem): void {
    const metrics = this.#deps.metrics ?? noMetrics;
    const counts = countSlots(
      item,
      this.#deps.clock.now(),
      item.verifiedVersion ?? '',
    );
    metrics.record(pool, BrokerMetric.LiveSessions, counts.live);
    metrics.record(pool, BrokerMetric.LeasedSessions, counts.leased);
  }

  async #checkOut(
    pool: PoolSettings,
    request: CheckOutRequest,
    waited: { ms: number },
  ): Promise<GrantedLease> {
    const { clock } = this.#deps;
    const deadline = clock.now() + request.waitMs;
    let view = await this.#view(pool);
    let backoffMs = FIRST_BACKOFF_MS;
    let lastLoginError: unknown;

    for (let attempt = 0; ; attempt += 1) {
      // Lost races retry at once, without a wait step: stop them at the
      // deadline too, or a caller could outlive its wait (and API Gateway).
      // The first retries are spared: a stale copy's miss is answered with
      // the pool as it is, and even a caller that will not wait gets to
      // use that.
      if (attempt >= FREE_RETRIES && clock.now() >= deadline) {
        const now = clock.now();
        throw this.#exhausted(
          nextChangeAt(view, now) ?? now + 1000,
          lastLoginError,
        );
      }
      const credentials = await pool.credentials.get();
      const now = clock.now();
      this.#assertQuota(view, now);
      const step = planCheckOut(view, {
        now,
        cap: pool.cap,
        secretVersion: credentials.versionId,
        leaseMs: request.leaseMs,
        random: this.#deps.random ?? Math.random,
      });

      if (step.kind === 'lease') {
        const lease = this.#newLease(step.slotId, request, now);
        const result = await this.#deps.store.leaseIdle(
          pool.name,
          step.slotId,
          { lease, secretVersion: credentials.versionId, now },
        );
        view = this.#remember(result.item) ?? (await this.#load(pool));
        // The write's own image says which generation it made; an image
        // that does not hold this lease (a retried write that lost) grants
        // nothing.
        const generation = heldGeneration(view, step.slotId, lease.id);
        if (generation !== undefined && this.#stillRunning(lease)) {
          await this.#giveBackIfOverQuota(
            pool,
            view,
            step.slotId,
            lease,
            generation,
          );
          return this.#granted(
            pool,
            step.slot,
            lease,
            generation,
            credentials,
            false,
          );
        }
        continue;
      }

      if (step.kind === 'reserve') {
        const attempt = await this.#minter.mint(
          pool,
          step,
          credentials,
          request,
          now,
        );
        view = attempt.view;
        if (attempt.minted?.lease && this.#stillRunning(attempt.minted.lease)) {
          const { session, lease } = attempt.minted;
          return this.#granted(
            pool,
            session,
            lease,
            session.generation,
            credentials,
            true,
          );
        }
        if (attempt.minted) continue;
        if (attempt.error instanceof BreakerOpenError) throw attempt.error;
        if (attempt.error === undefined) continue;
        lastLoginError = attempt.error;
      }

      if (step.kind === 'breaker-open') {
        throw new BreakerOpenError(view.breaker?.upstreamCode);
      }

      const retryAt = step.kind === 'wait' ? step.retryAt : now + backoffMs;
      const remaining = deadline - clock.now();
      if (remaining <= 0) throw this.#exhausted(retryAt, lastLoginError);
      const jittered =
        backoffMs / 2 + (this.#deps.random ?? Math.random)() * (backoffMs / 2);
      const pauseMs = Math.min(jittered, remaining, Math.max(retryAt - now, 1));
      await sleep(pauseMs);
      waited.ms += pauseMs;
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      view = await this.#load(pool);
    }
  }

  /** Extends a lease, never past its session's usable lifetime. */
  public renew: LeaseOperations['renew'] = (pool, leaseId, request) => {
    this.#pool(pool);
    return this.#leases.renew(pool, leaseId, request);
  };

  /** Returns a lease; drops or quarantines the session when it was rejected. */
  public checkIn: LeaseOperations['checkIn'] = (pool, leaseId, request) => {
    this.#pool(pool);
    return this.#leases.checkIn(pool, leaseId, request);
  };

  /**
   * Logs in one session and leaves it idle, if the cap, the breaker and
   * any probe login allow. For the sweep's refresh ahead of demand, and,
   * with `staged` credentials, for testing a secret version before it is
   * current: that login counts against the cap like any other, and its
   * session serves callers once the version is promoted.
   */
  public async mintIdle(
    poolName: string,
    staged?: Credentials,
  ): Promise<'minted' | 'no-room' | 'failed'> {
    const pool = this.#pool(poolName);
    const credentials = staged ?? (await pool.credentials.get());
    const view = await this.#load(pool);
    const now = this.#deps.clock.now();
    const step = planReserve(view, {
      now,
      cap: pool.cap,
      secretVersion: credentials.versionId,
    });
    if (!step) return 'no-room';
    const attempt = await this.#minter.mint(
      pool,
      step,
      credentials,
      undefined,
      now,
    );
    if (attempt.minted) return 'minted';
    return attempt.error === undefined ? 'no-room' : 'failed';
  }

  public async status(poolName: string): Promise<PoolStatus> {
    const pool = this.#pool(poolName);
    const item = await this.#load(pool);
    const version = await this.#currentVersion(pool, item);
    const now = this.#deps.clock.now();
    const breaker = item.breaker;
    return {
      pool: pool.name,
      cap: pool.cap,
      ...countSlots(item, now, version),
      ...(item.quota ? { quota: item.quota } : {}),
      breaker:
        breaker && isBreakerOpen(item, version)
          ? {
              state: 'open',
              openedAt: breaker.openedAt,
              ...(breaker.upstreamCode === undefined
                ? {}
                : { upstreamCode: breaker.upstreamCode }),
            }
          : { state: 'closed' },
    };
  }

  #newLease(slotId: string, request: CheckOutRequest, now: number): Lease {
    return {
      id: newLeaseId(slotId),
      principal: request.principal,
      ...(request.holder === undefined ? {} : { holder: request.holder }),
      grantedAt: now,
      expiresAt: now + request.leaseMs,
    };
  }

  #granted(
    pool: PoolSettings,
    session: SessionSlot,
    lease: Lease,
    generation: number,
    credentials: Credentials,
    minted: boolean,
  ): GrantedLease {
    this.#deps.logger.info('lease granted', {
      pool: pool.name,
      lease_id: lease.id,
      generation,
      minted,
    });
    return {
      pool: pool.name,
      leaseId: lease.id,
      generation,
      expiresAt: lease.expiresAt,
      sessionExpiresAt: session.usableUntil,
      baseUrl: credentials.baseUrl,
      headers: { Authorization: session.token, 'api-key': credentials.apiKey },
    };
  }

  /**
   * A write the SDK retried for longer than the lease lasts hands back a
   * lease that is already over, and may be granted to someone else at
   * once: never answer one of those, plan again instead.
   */
  #stillRunning(lease: Lease): boolean {
    return lease.expiresAt > this.#deps.clock.now();
  }

  /** Refuses check-outs while the upstream's quota is known to be used up. */
  #assertQuota(view: PoolItem, now: number): void {
    const resetAt = quotaResetAt(
      view.quota,
      now,
      this.#deps.quotaTimeZone ?? 'UTC',
    );
    if (resetAt !== undefined) {
      throw new QuotaExhaustedError(
        Math.max(1, Math.ceil((resetAt - now) / 1000)),
      );
    }
  }

  /**
   * The quota check above used this container's copy; the write returned
   * the pool as it is. If that says the quota ran out meanwhile, hand the
   * lease straight back rather than send a caller to certain refusal.
   */
  async #giveBackIfOverQuota(
    pool: PoolSettings,
    view: PoolItem,
    slotId: string,
    lease: Lease,
    generation: number,
  ): Promise<void> {
    try {
      this.#assertQuota(view, this.#deps.clock.now());
    } catch (error) {
      const returned = await this.#deps.store.checkIn(
        pool.name,
        slotId,
        {
          leaseId: lease.id,
          generation,
          principal: lease.principal,
        },
        { kind: 'release' },
      );
      this.#remember(returned.item);
      throw error;
    }
  }

  #exhausted(retryAt: number, lastLoginError: unknown): Error {
    const seconds = Math.max(
      1,
      Math.ceil((retryAt - this.#deps.clock.now()) / 1000),
    );
    if (lastLoginError !== undefined)
      return new LoginFailedError(seconds, lastLoginError);
    return new PoolExhaustedError(seconds);
  }

  async #currentVersion(pool: PoolSettings, item: PoolItem): Promise<string> {
    try {
      return (await pool.credentials.get()).versionId;
    } catch {
      return item.verifiedVersion ?? '';
    }
  }

  #pool(name: string): PoolSettings {
    const pool = this.#pools.get(name);
    if (!pool) throw new PoolNotFoundError();
    return pool;
  }

  async #view(pool: PoolSettings): Promise<PoolItem> {
    return this.#views.get(pool.name) ?? (await this.#load(pool));
  }

  async #load(pool: PoolSettings): Promise<PoolItem> {
    const item =
      (await this.#deps.store.read(pool.name)) ??
      (await this.#deps.store.create(
        emptyPool(pool.name, this.#deps.clock.now()),
      ));
    this.#views.set(pool.name, item);
    return item;
  }

  #remember(item: PoolItem | undefined): PoolItem | undefined {
    if (item) this.#views.set(item.pool, item);
    return item;
  }
}

/** The slot's generation while it holds this lease, else undefined. */
const heldGeneration = (
  item: PoolItem,
  slotId: string,
  leaseId: string,
): number | undefined => {
  const slot = item.sessions[slotId];
  return slot?.state === 'ready' && slot.lease?.id === leaseId
    ? slot.generation
    : undefined;
};
