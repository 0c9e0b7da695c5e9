import { Logger } from '@aws-lambda-powertools/logger';
import { sweepPool } from '../../functions/pool/maintenance';
import { emptyPool } from '../../functions/pool/model';
import { sleep } from '../../functions/shared/clock';
import { NO_UPSTREAM_FAULTS } from '../helpers/counting-upstream';
import { NO_DYNAMODB_FAULTS } from '../helpers/dynamodb-faults';
import type { SeededRandom } from '../helpers/seeded-random';
import type { FaultProfile } from './profile';
import type { Tally } from './tally';
import { WORLD_TIMINGS, type World } from './world';

/** What the actors around a schedule's callers share with it. */
export interface Stage {
  readonly world: World;
  readonly random: SeededRandom;
  readonly profile: FaultProfile;
  /** Counts what the actors did, for the report. */
  readonly events: Tally;
  /** False once every caller is done. */
  running(): boolean;
  /** Records an error, or a violation if it is not a typed one. */
  typed(error: unknown, where: string): void;
}

/**
 * Most schedules start in a steady state: warm containers, a pool item
 * with some idle sessions. The rest start cold, where every container's
 * first read and write of the item race, and fifty callers race to log
 * in the first sessions.
 */
export const warmUp = async (
  world: World,
  random: SeededRandom,
): Promise<void> => {
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
};

/** Moves the clock ahead now and then, never while a reserve is in flight. */
export const jumpAhead = async (stage: Stage): Promise<void> => {
  const { world, random, profile } = stage;
  while (stage.running()) {
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
    stage.events.add('jump');
  }
};

/** Credential changes and outages, as operators and AWS cause them. */
export const operate = async (stage: Stage): Promise<void> => {
  const { world, random, profile } = stage;
  const at = async (ms: number) => {
    await sleep(ms);
    if (!stage.running()) throw new Error('schedule over');
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
        stage.events.add(event);
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
};

/** The rotation function, racing the callers; it may die mid-sweep. */
export const sweepAlongside = async (stage: Stage): Promise<void> => {
  const { world, random } = stage;
  const logger = new Logger({ serviceName: 'sweep', logLevel: 'SILENT' });
  while (stage.running()) {
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
          stage.typed(error, 'sweep');
          return 'done' as const;
        },
      ),
      died,
    ]);
    if (ended === 'died') stage.events.add('sweepDied');
  }
};

/** Faults injected in one schedule, by kind, as the report names them. */
export const faultCounts = (
  world: World,
  events: Tally,
): Record<string, number> => {
  const { upstream, faults, secretCounters } = world;
  const c = upstream.counters;
  const e = events.counts;
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
};
