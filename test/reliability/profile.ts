import type { UpstreamFaultRates } from '../helpers/counting-upstream';
import type { DynamoDbFaultRates } from '../helpers/dynamodb-faults';
import type { SeededRandom } from '../helpers/seeded-random';

/** Which faults one schedule injects, and how often: drawn from its seed. */
export interface FaultProfile {
  /** The pool's cap: mostly the upstream's 10, sometimes a small account. */
  readonly cap: number;
  readonly upstream: UpstreamFaultRates;
  readonly dynamodb: DynamoDbFaultRates;
  /** Chance that a Secrets Manager read is throttled. */
  readonly secretThrottle: number;
  /** Secrets Manager is down before any container has read the secret. */
  readonly secretOutageAtStart: boolean;
  /** Secrets Manager goes down for a while once containers have a copy. */
  readonly secretOutageMidway: boolean;
  /** DynamoDB is unreachable for a while. */
  readonly dynamodbOutage: boolean;
  /** The password changes upstream; the secret follows a little later. */
  readonly passwordChange: boolean;
  /** The api-key changes upstream; the secret follows a little later. */
  readonly apiKeyChange: boolean;
  /** Sessions made outside the broker, for a while: refusals at the cap. */
  readonly foreignSessions: number;
  /** Chance per tick that the clock jumps ahead (leases, sessions expire). */
  readonly jumpRate: number;
  /** Broker containers, each with its own stale copy of the pool. */
  readonly containers: number;
  /** A rotation sweep races the callers. */
  readonly sweeper: boolean;
}

const maybe = (random: SeededRandom, p: number, low: number, high: number) =>
  random.chance(p) ? low + random.next() * (high - low) : 0;

/**
 * Draws a profile. Each fault is on in about a third of the schedules, at
 * a rate of its own, so that over a hundred seeds every kind is hit many
 * times, alone and together with the others.
 */
export const drawProfile = (random: SeededRandom): FaultProfile => ({
  cap: random.pick([10, 10, 10, 10, 5, 2, 1]),
  upstream: {
    slow: maybe(random, 0.4, 0.05, 0.4),
    fail: maybe(random, 0.35, 0.05, 0.4),
    unknown: maybe(random, 0.35, 0.05, 0.3),
    crash: maybe(random, 0.25, 0.02, 0.15),
    kill: maybe(random, 0.35, 0.05, 0.3),
    otherError: maybe(random, 0.3, 0.02, 0.15),
  },
  dynamodb: {
    throttle: maybe(random, 0.35, 0.02, 0.15),
    conditionalStorm: maybe(random, 0.35, 0.05, 0.3),
    timeoutAfterWrite: maybe(random, 0.4, 0.03, 0.2),
  },
  secretThrottle: maybe(random, 0.3, 0.1, 0.6),
  secretOutageAtStart: random.chance(0.12),
  secretOutageMidway: random.chance(0.2),
  dynamodbOutage: random.chance(0.12),
  passwordChange: random.chance(0.15),
  apiKeyChange: random.chance(0.12),
  foreignSessions: random.chance(0.1) ? random.int(1, 3) : 0,
  jumpRate: maybe(random, 0.8, 0.1, 0.4),
  containers: random.int(1, 4),
  sweeper: random.chance(0.6),
});
