import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Broker, GrantedLease } from '../../functions/pool/broker';
import { sleep } from '../../functions/shared/clock';
import { BrokerError } from '../../functions/shared/errors';
import { type SeededRandom, seededRandom } from '../helpers/seeded-random';
import {
  faultCounts,
  jumpAhead,
  operate,
  type Stage,
  sweepAlongside,
  warmUp,
} from './background';
import { drawProfile, type FaultProfile } from './profile';
import { Tally } from './tally';
import { buildWorld, type World } from './world';

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
  /** Logins that reached the upstream while `cap` sessions were live. */
  readonly upstreamLoginsOverCap: number;
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
  /** As told at the grant, then as the last renew answered. */
  expiresAt: number;
  released: boolean;
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
    faults: faultCounts(world, run.events),
    refusals: run.refusals.counts,
    maxOverrunMs: run.maxOverrunMs,
    upstreamLoginsOverCap: world.upstream.counters.overCap,
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
    await warmUp(this.world, this.random);
    const stage: Stage = {
      world: this.world,
      random: this.random,
      profile: this.profile,
      events: this.events,
      running: () => this.#running,
      typed: (error, where) => this.#typed(error, where),
    };
    const background = [jumpAhead(stage)];
    if (this.profile.sweeper) background.push(sweepAlongside(stage));
    const operator = operate(stage);
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

  /** Checks the upstream's count and the pool item against the ledger. */
  public async audit(): Promise<void> {
    const { upstream, faults, pool } = this.world;
    const c = upstream.counters;
    if (c.overCap > 0) {
      this.violations.push(`${c.overCap} logins reached a full upstream`);
    }
    this.violations.push(...faults.violations, ...(await faults.audit(pool)));
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
        // The API's shortest lease is a second; jumps of the clock end them.
        behaviour === 'late' || behaviour === 'abandon'
          ? random.int(1_000, 2_000)
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
      if (process.env.BROKER_RELIABILITY_DEBUG && steps.length > 12) {
        process.stderr.write(
          `slow check-out, ${tookMs} ms past its wait: ${steps.join(' ')}\n`,
        );
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
      // Holds on until a jump of the clock ends the lease, or gives up.
      const until = Date.now() + random.int(100, 400);
      while (world.clock.now() < lease.expiresAt && Date.now() < until) {
        await sleep(10);
      }
      if (world.clock.now() >= lease.expiresAt) this.events.add('late');
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
    const steps: string[] = [];
    try {
      const returned = await world.callers.run(
        { die: () => undefined, steps },
        () =>
          broker.checkIn(world.pool, lease.leaseId, { ...match, ...outcome }),
      );
      firstReturned = true;
      // A drop the SDK sent twice that finds the session gone cannot tell
      // its own applied first attempt from another holder's drop.
      const ambiguousDrop =
        returned.result === 'dropped' &&
        steps.filter((step) => step === 'checkInDrop').length > 1;
      if (
        regranted &&
        returned.result !== 'already-returned' &&
        !ambiguousDrop
      ) {
        this.violations.push(
          `check-in of ${lease.leaseId} (gen ${lease.generation}, ${outcome.outcome}) was accepted after the lease was granted again: ${returned.result}`,
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
      // A renew sets the expiry afresh: it may shorten the lease too.
      holding.expiresAt = renewed.expiresAt;
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
        const found = `slot ${slot} granted to caller ${caller} (gen ${lease.generation}, expires in ${lease.expiresAt - now} ms) while caller ${other.caller} held gen ${other.generation} for ${other.expiresAt - now} ms more (${other.behaviour}, answered ${now - other.receivedAt} ms ago, told ${other.toldExpiresAt - other.receivedAt} ms, renewed ${other.renewed}; session usable for ${lease.sessionExpiresAt - now} ms)`;
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
}
