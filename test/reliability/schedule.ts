import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Broker, GrantedLease } from '../../functions/pool/broker';
import { sweepPool } from '../../functions/pool/maintenance';
import { emptyPool } from '../../functions/pool/model';
import { sleep } from '../../functions/shared/clock';
import { BrokerError } from '../../functions/shared/errors';
import { NO_UPSTREAM_FAULTS } from '../helpers/counting-upstream';
import { NO_DYNAMODB_FAULTS } from '../helpers/dynamodb-faults';
import { type SeededRandom, seededRandom } from '../helpers/seeded-random';
import { drawProfile, type FaultProfile } from './profile';
import { buildWorld, WORLD_TIMINGS, type World } from './world';

/** What one seeded schedule did and found. */
export interface ScheduleResult {
  readonly seed: number;
  readonly cap: number;
  readonly callers: number;
  readonly checkOuts: number;
  readonly durationMs: number;
  /** Check-out outcomes: `lease`, `died`, or the error's code. */
  readonly outcomes: Record<string, number>;
  /** Faults injected, by kind. */
  readonly faults: Record<string, number>;
  /** Refusals the schedule provoked on purpose and saw, by kind. */
  readonly refusals: Record<string, number>;
  /** Longest a check-out took past the wait it asked for, in real ms. */
  readonly maxOverrunMs: number;
  readonly upstreamPeakLive: number;
  readonly upstreamLogins: number;
  /** DynamoDB request attempts, SDK retries included. */
  readonly dynamodbRequests: number;
  /** Answers lost after an applied write, by store step. */
  readonly lostAnswersByStep: Record<string, number>;
  /** DynamoDB request attempts by store step. */
  readonly requestsByStep: Record<string, number>;
  /** Broken promises; an empty list is a pass. */
  readonly violations: string[];
}

const PRINCIPALS = [
  'arn:aws:iam::111111111111:role/report-builder',
  'arn:aws:iam::111111111111:role/campaign-sync',
  'arn:aws:iam::111111111111:role/billing-export',
];
const INTRUDER = 'arn:aws:iam::222222222222:role/intruder';

/** Error codes a broker call may end in; anything else is a violation. */
const TYPED_CODES = new Set([
  'POOL_EXHAUSTED',
  'QUOTA_EXHAUSTED',
  'BREAKER_OPEN',
  'UPSTREAM_LOGIN_FAILED',
  'STORE_UNAVAILABLE',
  'SECRET_UNAVAILABLE',
  'LEASE_LOST',
  'LEASE_EXPIRED',
  'LEASE_NOT_FOUND',
  'NOT_LEASE_HOLDER',
]);

type Behaviour =
  | 'ok'
  | 'renew'
  | 'abandon'
  | 'late'
  | 'repeat'
  | 'intruder'
  | 'guess';

const BEHAVIOURS: readonly Behaviour[] = [
  ...Array<Behaviour>(10).fill('ok'),
  'renew',
  'renew',
  'abandon',
  'late',
  'late',
  'repeat',
  'repeat',
  'intruder',
  'guess',
];

interface Holding {
  readonly caller: number;
  readonly leaseId: string;
  readonly generation: number;
  readonly behaviour: Behaviour;
  readonly receivedAt: number;
  readonly toldExpiresAt: number;
  renewed: number;
  expiresAt: number;
  released: boolean;
}

/** Tallies keyed by name, printed and summed into the report. */
class Tally {
  public readonly counts: Record<string, number> = {};

  public add(key: string, by = 1): void {
    if (by === 0) return;
    this.counts[key] = (this.counts[key] ?? 0) + by;
  }
}

const codeOf = (error: unknown): string | undefined =>
  error instanceof BrokerError && TYPED_CODES.has(error.code)
    ? error.code
    : undefined;

const slotOf = (leaseId: string): string => leaseId.split('.')[0] ?? '';

/**
 * Runs one schedule: `callers` concurrent callers, each checking out a few
 * times and doing one of several things with its lease, against brokers
 * under the faults the seed draws. Then checks every promise.
 */
export const runSchedule = async (options: {
  seed: number;
  callers: number;
  tableName: string;
  endpoint: string;
  peek: DynamoDBClient;
  /** Check-outs per caller are drawn from 1 to this. @default 1 */
  maxRounds?: number;
}): Promise<ScheduleResult> => {
  const started = Date.now();
  const random = seededRandom(options.seed);
  const profile = drawProfile(random);
  const world = buildWorld({
    random,
    profile,
    pool: `pool-${options.seed}-${Date.now().toString(36)}`,
    cap: profile.cap,
    tableName: options.tableName,
    endpoint: options.endpoint,
    peek: options.peek,
  });
  const run = new ScheduleRun(world, random, profile);
  run.maxRounds = options.maxRounds ?? 1;
  try {
    await run.execute(options.callers);
    await run.audit();
  } finally {
    world.close();
  }
  return {
    seed: options.seed,
    cap: profile.cap,
    callers: options.callers,
    checkOuts: run.checkOuts,
    durationMs: Date.now() - started,
    outcomes: run.outcomes.counts,
    faults: run.faultCounts(),
    refusals: run.refusals.counts,
    maxOverrunMs: run.maxOverrunMs,
    upstreamPeakLive: world.upstream.counters.peakLive,
    upstreamLogins: world.upstream.counters.logins,
    dynamodbRequests: world.faults.attempts,
    lostAnswersByStep: { ...world.faults.lostByWrite },
    requestsByStep: { ...world.requestsByStep },
    violations: run.violations,
  };
};

class ScheduleRun {
  public readonly outcomes = new Tally();
  public readonly refusals = new Tally();
  public readonly events = new Tally();
  public readonly violations: string[] = [];
  public checkOuts = 0;
  public maxRounds = 1;
  /** Longest a check-out took past the wait it asked for, in real ms. */
  public maxOverrunMs = 0;
  readonly #holdings = new Map<string, Holding[]>();
  #running = true;

  public constructor(
    private readonly world: World,
    private readonly random: SeededRandom,
    private readonly profile: FaultProfile,
  ) {}

  public async execute(callers: number): Promise<void> {
    await this.#warmUp();
    const background = [this.#jumps()];
    if (this.profile.sweeper) background.push(this.#sweeps());
    const operator = this.#operator();
    try {
      await Promise.all(
        Array.from({ length: callers }, (_, caller) => this.#caller(caller)),
      );
    } finally {
      this.#running = false;
    }
    await Promise.all(background);
    // Changes the operator has yet to make would come after the callers;
    // they only matter while callers run.
    await Promise.race([operator, sleep(0)]);
  }

  /**
   * Most schedules start in a steady state: warm containers, a pool item
   * with some idle sessions. The rest start cold, where every container's
   * first read and write of the item race, and fifty callers race to log
   * in the first sessions.
   */
  async #warmUp(): Promise<void> {
    const { world, random } = this;
    if (random.chance(0.25)) return;
    await world.sweeper.store
      .create(emptyPool(world.pool, world.clock.now()))
      .catch(() => undefined);
    // Setup, not the test: no faults until the callers start.
    const { faults } = world.upstream;
    const rates = world.faults.rates;
    world.upstream.faults = NO_UPSTREAM_FAULTS;
    world.faults.rates = NO_DYNAMODB_FAULTS;
    const sessions = random.int(0, world.cap);
    for (let i = 0; i < sessions; i += 1) {
      const minted = await world.callers.run(
        { die: () => undefined, sweep: true },
        () => world.sweeper.broker.mintIdle(world.pool).catch(() => 'failed'),
      );
      if (minted !== 'minted') break;
    }
    await Promise.all(
      world.brokers.map((broker) =>
        broker.status(world.pool).catch(() => undefined),
      ),
    );
    world.upstream.faults = faults;
    world.faults.rates = rates;
  }

  /** Checks the upstream's count and the pool item against the ledger. */
  public async audit(): Promise<void> {
    const { upstream, faults, pool, cap } = this.world;
    const c = upstream.counters;
    if (c.overCap > 0) {
      this.violations.push(`${c.overCap} logins reached a full upstream`);
    }
    if (c.peakLive > cap) {
      this.violations.push(`upstream peak live ${c.peakLive} > cap ${cap}`);
    }
    this.violations.push(...faults.violations, ...(await faults.audit(pool)));
  }

  public faultCounts(): Record<string, number> {
    const { upstream, faults, secretCounters } = this.world;
    const c = upstream.counters;
    const e = this.events.counts;
    const counts: Record<string, number> = {
      'upstream: slow login': c.slow,
      'upstream: login failed (503)': c.failed,
      'upstream: session made, answer lost': c.unknown,
      'upstream: session timed out (200003)': c.killed,
      'upstream: call failed, other reason': c.otherErrors,
      'upstream: login rejected (wrong password or api-key)': c.rejected,
      'upstream: login refused at the cap (foreign sessions)': c.capRefusals,
      'upstream: password changed': e.passwordChange ?? 0,
      'upstream: api-key changed': e.apiKeyChange ?? 0,
      'dynamodb: throttled': faults.injected.throttle,
      'dynamodb: conditional check failed (storm)':
        faults.injected.conditionalStorm,
      'dynamodb: timeout after the write was applied':
        faults.injected.timeoutAfterWrite,
      'dynamodb: outage (attempts refused)': faults.outageAttempts,
      'secrets manager: throttled': secretCounters.throttled,
      'secrets manager: read during an outage': secretCounters.failedWhileDown,
      'process: died between reserve and login answer': c.crashed,
      'process: holder never checked in': e.abandon ?? 0,
      'process: check-in after the lease expired': e.late ?? 0,
      'process: sweep died mid-run': e.sweepDied ?? 0,
      'clock: jumped ahead': e.jump ?? 0,
    };
    return Object.fromEntries(
      Object.entries(counts).filter(([, value]) => value > 0),
    );
  }

  async #caller(caller: number): Promise<void> {
    const { random } = this;
    const broker = this.world.brokers[
      caller % this.world.brokers.length
    ] as Broker;
    const principal = PRINCIPALS[caller % PRINCIPALS.length] as string;
    const rounds = random.int(1, this.maxRounds);
    await sleep(random.int(0, 150));
    for (let round = 0; round < rounds; round += 1) {
      const behaviour = random.pick(BEHAVIOURS);
      const leaseMs =
        behaviour === 'late' || behaviour === 'abandon'
          ? random.int(20, 80)
          : random.int(2_000, 10_000);
      this.checkOuts += 1;
      const waitMs = random.chance(0.4) ? 0 : random.int(30, 250);
      const asked = Date.now();
      const result = await this.#checkOut(broker, {
        principal,
        holder: `caller-${caller}`,
        leaseMs,
        waitMs,
      });
      this.maxOverrunMs = Math.max(
        this.maxOverrunMs,
        Date.now() - asked - waitMs,
      );
      if (result === 'died') {
        this.outcomes.add('died');
        return;
      }
      if (!('lease' in result)) {
        this.#typed(result.error, 'check-out');
        continue;
      }
      this.outcomes.add('lease');
      await this.#hold(broker, caller, principal, result.lease, behaviour);
      if (behaviour === 'abandon') return;
    }
  }

  async #checkOut(
    broker: Broker,
    request: Parameters<Broker['checkOut']>[1],
  ): Promise<'died' | { lease: GrantedLease } | { error: unknown }> {
    let die: () => void = () => undefined;
    const died = new Promise<'died'>((resolve) => {
      die = () => resolve('died');
    });
    const steps: string[] = [];
    const started = Date.now();
    const finish = <T>(value: T): T => {
      const tookMs = Date.now() - started - request.waitMs;
      if (
        process.env.BROKER_RELIABILITY_DEBUG &&
        steps.length > Number(process.env.BROKER_DEBUG_STEPS ?? 12)
      ) {
        process.stdout.write(`overrun ${tookMs} ms: ${steps.join(' ')}\n`);
      }
      return value;
    };
    return this.world.callers.run({ die, steps }, () =>
      Promise.race([
        broker.checkOut(this.world.pool, request).then(
          (lease) => finish({ lease }),
          (error: unknown) => finish({ error }),
        ),
        died,
      ]),
    );
  }

  async #hold(
    broker: Broker,
    caller: number,
    principal: string,
    lease: GrantedLease,
    behaviour: Behaviour,
  ): Promise<void> {
    const { world, random } = this;
    const holding = this.#granted(caller, lease, behaviour);
    const match = { principal, generation: lease.generation };

    if (behaviour === 'abandon') {
      this.events.add('abandon');
      return;
    }
    if (behaviour === 'late') {
      this.events.add('late');
      await sleep(lease.expiresAt - world.clock.now() + random.int(30, 120));
    }
    if (behaviour === 'renew') {
      await this.#renew(broker, lease, holding, match);
    }
    if (behaviour === 'intruder') {
      await this.#intrude(broker, lease, holding);
    }
    if (behaviour === 'guess') {
      await this.#guess(broker, lease, match);
    }

    const call = await world.upstream.call(
      lease.headers.Authorization,
      lease.headers['api-key'],
    );
    await sleep(random.int(0, 10));
    const regranted = this.#regranted(lease);
    holding.released = true;
    let firstReturned = false;
    const outcome = call.ok
      ? ({ outcome: 'ok' } as const)
      : ({
          outcome: 'rejected',
          ...(call.code === undefined ? {} : { upstreamCode: call.code }),
        } as const);
    try {
      const returned = await broker.checkIn(world.pool, lease.leaseId, {
        ...match,
        ...outcome,
      });
      firstReturned = true;
      if (regranted && returned.result !== 'already-returned') {
        this.violations.push(
          `check-in of ${lease.leaseId} (gen ${lease.generation}) was accepted after the lease was granted again`,
        );
      }
    } catch (error) {
      this.#typed(error, 'check-in');
      if (regranted && codeOf(error) === 'LEASE_LOST') {
        this.refusals.add('late check-in after a re-grant: 409 LEASE_LOST');
      }
    }

    if (behaviour === 'repeat' && firstReturned) {
      try {
        const again = await broker.checkIn(world.pool, lease.leaseId, {
          ...match,
          ...outcome,
        });
        if (again.result !== 'already-returned') {
          this.violations.push(
            `a repeated check-in of ${lease.leaseId} answered ${again.result}`,
          );
        } else {
          this.refusals.add('repeated check-in: already-returned');
        }
      } catch (error) {
        this.#typed(error, 'repeated check-in');
      }
    }
  }

  async #renew(
    broker: Broker,
    lease: GrantedLease,
    holding: Holding,
    match: { principal: string; generation: number },
  ): Promise<void> {
    try {
      const renewed = await broker.renew(this.world.pool, lease.leaseId, {
        ...match,
        leaseMs: this.random.int(1_000, 60_000),
      });
      if (renewed.expiresAt > lease.sessionExpiresAt) {
        this.violations.push(
          `renew of ${lease.leaseId} ran past the session's life`,
        );
      }
      holding.expiresAt = Math.max(holding.expiresAt, renewed.expiresAt);
      holding.renewed += 1;
    } catch (error) {
      this.#typed(error, 'renew');
    }
  }

  /** Another principal tries to renew and return a lease it never held. */
  async #intrude(
    broker: Broker,
    lease: GrantedLease,
    holding: Holding,
  ): Promise<void> {
    const { pool, clock } = this.world;
    const attempts = [
      () =>
        broker.checkIn(pool, lease.leaseId, {
          principal: INTRUDER,
          generation: lease.generation,
          outcome: 'ok',
        }),
      () =>
        broker.renew(pool, lease.leaseId, {
          principal: INTRUDER,
          generation: lease.generation,
          leaseMs: 60_000,
        }),
    ];
    for (const attempt of attempts) {
      const current = holding.expiresAt > clock.now();
      try {
        await attempt();
        this.violations.push(`an intruder used ${lease.leaseId}`);
      } catch (error) {
        this.#typed(error, 'intruder');
        if (codeOf(error) === 'NOT_LEASE_HOLDER') {
          this.refusals.add('other principal: 403 NOT_LEASE_HOLDER');
        } else if (current && codeOf(error) !== 'STORE_UNAVAILABLE') {
          this.violations.push(
            `an intruder on a current lease got ${codeOf(error)}, not 403`,
          );
        }
      }
    }
  }

  /** The holder's own principal with a guessed lease id for its slot. */
  async #guess(
    broker: Broker,
    lease: GrantedLease,
    match: { principal: string; generation: number },
  ): Promise<void> {
    const guessed = `${slotOf(lease.leaseId)}.${this.random.hex(32)}`;
    try {
      await broker.checkIn(this.world.pool, guessed, {
        ...match,
        outcome: 'ok',
      });
      this.violations.push(`a guessed lease id ${guessed} was accepted`);
    } catch (error) {
      this.#typed(error, 'guessed id');
      if (codeOf(error) === 'LEASE_LOST') {
        this.refusals.add('guessed lease id: 409 LEASE_LOST');
      }
    }
  }

  /** Records a grant; two callers must never hold one session at once. */
  #granted(caller: number, lease: GrantedLease, behaviour: Behaviour): Holding {
    const now = this.world.clock.now();
    const slot = slotOf(lease.leaseId);
    const holdings = this.#holdings.get(slot) ?? [];
    for (const other of holdings) {
      if (!other.released && other.expiresAt > now) {
        const found = `slot ${slot} granted to caller ${caller} (gen ${lease.generation}, expires in ${lease.expiresAt - now} ms) while caller ${other.caller} held gen ${other.generation} for ${other.expiresAt - now} ms more (${other.behaviour}, answered ${now - other.receivedAt} ms ago, told ${other.toldExpiresAt - other.receivedAt} ms, renewed ${other.renewed})`;
        this.violations.push(found);
      }
    }
    if (lease.expiresAt > lease.sessionExpiresAt) {
      this.violations.push(`lease ${lease.leaseId} outlives its session`);
    }
    const holding: Holding = {
      caller,
      leaseId: lease.leaseId,
      generation: lease.generation,
      behaviour,
      receivedAt: now,
      toldExpiresAt: lease.expiresAt,
      renewed: 0,
      expiresAt: lease.expiresAt,
      released: false,
    };
    holdings.push(holding);
    this.#holdings.set(slot, holdings);
    return holding;
  }

  #regranted(lease: GrantedLease): boolean {
    return (this.#holdings.get(slotOf(lease.leaseId)) ?? []).some(
      (other) => other.generation > lease.generation,
    );
  }

  #typed(error: unknown, where: string): void {
    const code = codeOf(error);
    if (code === undefined) {
      const name = error instanceof Error ? error.name : typeof error;
      this.violations.push(`${where} ended in an untyped ${name}`);
      this.outcomes.add(`untyped (${where})`);
      return;
    }
    if (where === 'check-out') this.outcomes.add(code);
  }

  /** Moves the clock ahead now and then, never while a reserve is in flight. */
  async #jumps(): Promise<void> {
    const { world, random, profile } = this;
    while (this.#running) {
      await sleep(random.int(15, 60));
      if (!random.chance(profile.jumpRate)) continue;
      // A reserve's deadlines come from the clock read just before it; a
      // jump inside that window would model a container frozen for longer
      // than the skew margin, which a Lambda invocation never is.
      if (world.faults.reservesInFlight > 0) continue;
      const ending = random.chance(0.25);
      world.clock.jump(
        ending
          ? WORLD_TIMINGS.sessionLifetimeMs + random.int(6_000, 10_000)
          : random.int(100, 4_000),
      );
      this.events.add('jump');
    }
  }

  /** Credential changes and outages, as operators and AWS cause them. */
  async #operator(): Promise<void> {
    const { world, random, profile } = this;
    const at = async (ms: number) => {
      await sleep(ms);
      if (!this.#running) throw new Error('schedule over');
    };
    const steps: Promise<void>[] = [];
    if (profile.secretOutageAtStart) {
      steps.push(
        at(random.int(50, 250)).then(() => {
          world.secret.down = false;
        }),
      );
    }
    if (profile.secretOutageMidway) {
      const start = random.int(100, 400);
      const length = random.int(50, 300);
      steps.push(
        at(start).then(async () => {
          world.secret.down = true;
          await at(length);
          world.secret.down = false;
        }),
      );
    }
    if (profile.dynamodbOutage) {
      const start = random.int(100, 500);
      const length = random.int(30, 200);
      steps.push(
        at(start).then(async () => {
          world.faults.outage = true;
          await at(length);
          world.faults.outage = false;
        }),
      );
    }
    const change = (field: 'password' | 'apiKey', event: string) => {
      const start = random.int(50, 500);
      const lag = random.int(20, 300);
      steps.push(
        at(start).then(async () => {
          const value = `${field}-${random.hex(12)}`;
          world.upstream.account = {
            ...world.upstream.account,
            [field]: value,
          };
          this.events.add(event);
          await at(lag);
          world.secret[field] = value;
          world.secret.version += 1;
        }),
      );
    };
    if (profile.foreignSessions > 0) {
      world.upstream.foreign = profile.foreignSessions;
      steps.push(
        at(random.int(100, 600)).then(() => {
          world.upstream.foreign = 0;
        }),
      );
    }
    if (profile.passwordChange) change('password', 'passwordChange');
    if (profile.apiKeyChange) change('apiKey', 'apiKeyChange');
    await Promise.all(steps).catch(() => undefined);
  }

  /** The rotation function, racing the callers; it may die mid-sweep. */
  async #sweeps(): Promise<void> {
    const { world, random } = this;
    const logger = new Logger({ serviceName: 'sweep', logLevel: 'SILENT' });
    while (this.#running) {
      await sleep(random.int(100, 300));
      let die: () => void = () => undefined;
      const died = new Promise<'died'>((resolve) => {
        die = () => resolve('died');
      });
      const sweep = world.callers.run({ die, sweep: true }, () =>
        sweepPool(
          {
            store: world.sweeper.store,
            clock: world.clock,
            logger,
            broker: world.sweeper.broker,
            secretVersion: async () => `v${world.secret.version}`,
          },
          {
            refreshAheadMs: 20_000,
            demandWindowMs: 30_000,
            refreshMinSessions: 0,
            refreshMaxSessions: world.cap,
            claimMs: 2_000,
          },
          world.pool,
        ),
      );
      const ended = await Promise.race([
        sweep.then(
          () => 'done' as const,
          (error: unknown) => {
            this.#typed(error, 'sweep');
            return 'done' as const;
          },
        ),
        died,
      ]);
      if (ended === 'died') this.events.add('sweepDied');
    }
  }
}
