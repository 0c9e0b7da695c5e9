import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { PoolItem } from '../../functions/pool/model';
import { localAwsClientConfig } from '../../local/aws-local';
import { type TestTable, testDynamoDbEndpoint } from './dynamodb';
import { type SeededRandom, seededRandom } from './seeded-random';

/** Chances (0 to 1) per request attempt of each DynamoDB fault. */
export interface DynamoDbFaultRates {
  /** `ProvisionedThroughputExceededException` before the request is sent. */
  readonly throttle: number;
  /**
   * `ConditionalCheckFailedException` carrying the item as it is, before a
   * reserve or lease write is sent: what a lost race looks like.
   */
  readonly conditionalStorm: number;
  /**
   * The write reaches DynamoDB and is applied, then the answer times out;
   * the SDK's own retry sends the same conditional write again.
   */
  readonly timeoutAfterWrite: number;
}

export const NO_DYNAMODB_FAULTS: DynamoDbFaultRates = {
  throttle: 0,
  conditionalStorm: 0,
  timeoutAfterWrite: 0,
};

export type DynamoDbFaultKind = keyof DynamoDbFaultRates;

interface RequestInput {
  readonly Key?: Record<string, AttributeValue>;
  readonly Item?: Record<string, AttributeValue>;
  readonly UpdateExpression?: string;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
}

/** Slot ids a pool gained and lost, from the writes DynamoDB applied. */
interface PoolLedger {
  readonly added: Set<string>;
  readonly freed: Map<string, number>;
}

/**
 * Injects DynamoDB faults through SDK middleware on real clients aimed at
 * DynamoDB Local, and watches every write the engine applied (including
 * the ones whose answer it then "lost"), so tests can assert on the pool
 * item's every state rather than only its last:
 *
 * - each applied write's `ALL_NEW` image has `live` equal to its number of
 *   slots and at most the cap;
 * - each slot id is freed at most once, and only after it was added.
 *
 * @example
 * ```ts
 * const faults = new DynamoDbFaults({ random, rates, table, peek });
 * faults.attach(client);
 * // ... run a schedule ...
 * expect(faults.violations).toEqual([]);
 * ```
 */
export class DynamoDbFaults {
  public readonly injected: Record<DynamoDbFaultKind, number> = {
    throttle: 0,
    conditionalStorm: 0,
    timeoutAfterWrite: 0,
  };
  /** Broken promises seen in applied writes; must stay empty. */
  public readonly violations: string[] = [];
  /** Applied writes observed. */
  public writes = 0;
  /** Request attempts sent or refused, retries included. */
  public attempts = 0;
  /** Answers lost after an applied write, by the store step it was. */
  public readonly lostByWrite: Record<string, number> = {};
  /** `reserve` writes in flight (SDK retries included). */
  public reservesInFlight = 0;
  /** While true, every request attempt fails as if DynamoDB were down. */
  public outage = false;
  public outageAttempts = 0;
  public rates: DynamoDbFaultRates;
  /** Called on every attempt with the store step (or `read`) it is. */
  public onAttempt: (step: string) => void = () => undefined;
  readonly #ledgers = new Map<string, PoolLedger>();
  readonly #random: SeededRandom;
  readonly #tableName: string;
  readonly #peek: DynamoDBClient;
  readonly #capOf: (pool: string) => number;

  public constructor(options: {
    random: SeededRandom;
    rates: DynamoDbFaultRates;
    tableName: string;
    /** A client without faults, to read the item a storm reports. */
    peek: DynamoDBClient;
    capOf: (pool: string) => number;
  }) {
    this.#random = options.random;
    this.rates = options.rates;
    this.#tableName = options.tableName;
    this.#peek = options.peek;
    this.#capOf = options.capOf;
  }

  /** Adds the fault and observer middleware to a client's stack. */
  public attach(client: DynamoDBClient): void {
    const stack = client.middlewareStack;

    // Outside the SDK's retry: one count per call, whatever its attempts.
    stack.add(
      (next) => async (args) => {
        const reserve = isReserve(args.input as RequestInput);
        if (reserve) this.reservesInFlight += 1;
        try {
          return await next(args);
        } finally {
          if (reserve) this.reservesInFlight -= 1;
        }
      },
      { step: 'initialize', priority: 'high', name: 'reliabilityInFlight' },
    );

    // Inside the SDK's retry (which sits at high priority in this step):
    // each attempt draws its own fault, and the SDK sees and retries it.
    stack.add(
      (next) => async (args) => {
        const input = args.input as RequestInput;
        this.attempts += 1;
        this.onAttempt(
          storeWriteOf(input) ?? (input.UpdateExpression ? 'other' : 'read'),
        );
        if (this.outage) {
          this.outageAttempts += 1;
          throw Object.assign(new Error('connect ECONNREFUSED'), {
            name: 'Error',
            code: 'ECONNREFUSED',
            $metadata: {},
          });
        }
        if (this.#random.chance(this.rates.throttle)) {
          this.injected.throttle += 1;
          throw new ProvisionedThroughputExceededException({
            $metadata: {},
            message: 'injected: throughput exceeded',
          });
        }
        if (
          isContended(input) &&
          this.#random.chance(this.rates.conditionalStorm)
        ) {
          this.injected.conditionalStorm += 1;
          const current = await this.#current(input);
          throw new ConditionalCheckFailedException({
            $metadata: {},
            message: 'injected: the conditional request failed',
            ...(current ? { Item: current } : {}),
          });
        }
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'reliabilityFaults' },
    );

    // Closest to the wire: a response here means DynamoDB applied it.
    stack.add(
      (next) => async (args) => {
        const input = args.input as RequestInput;
        const result = await next(args);
        const isWrite =
          input.UpdateExpression !== undefined || input.Item !== undefined;
        if (!isWrite) return result;
        this.#observe(input, result.output as { Attributes?: unknown });
        if (this.#random.chance(this.rates.timeoutAfterWrite)) {
          this.injected.timeoutAfterWrite += 1;
          const step = storeWriteOf(input) ?? 'other';
          this.lostByWrite[step] = (this.lostByWrite[step] ?? 0) + 1;
          throw Object.assign(new Error('injected: socket timed out'), {
            name: 'TimeoutError',
            code: 'ETIMEDOUT',
            $metadata: {},
          });
        }
        return result;
      },
      { step: 'deserialize', priority: 'high', name: 'reliabilityObserver' },
    );
  }

  /**
   * Checks the pool as stored against what the applied writes added and
   * freed; returns the broken promises found (none, if all is well).
   */
  public async audit(pool: string): Promise<string[]> {
    const problems: string[] = [];
    const raw = await this.#current({ Key: { pool: { S: pool } } });
    const item = raw ? (unmarshall(raw) as PoolItem) : undefined;
    const ledger = this.#ledger(pool);
    const slots = Object.keys(item?.sessions ?? {});
    const held = [...ledger.added].filter((id) => !ledger.freed.has(id));
    if ((item?.live ?? 0) !== slots.length) {
      problems.push(`${pool}: live ${item?.live} but ${slots.length} slots`);
    }
    if (
      slots.length !== held.length ||
      slots.some((id) => !held.includes(id))
    ) {
      problems.push(
        `${pool}: slots ${slots.sort().join(',')} but the ledger holds ${held
          .sort()
          .join(',')}`,
      );
    }
    return problems;
  }

  /** Slots freed, over all pools, by the writes DynamoDB applied. */
  public get frees(): number {
    let total = 0;
    for (const ledger of this.#ledgers.values()) {
      for (const count of ledger.freed.values()) total += count;
    }
    return total;
  }

  #observe(input: RequestInput, output: { Attributes?: unknown }): void {
    this.writes += 1;
    const pool = poolOf(input);
    if (pool === undefined) return;
    const ledger = this.#ledger(pool);
    const names = input.ExpressionAttributeNames ?? {};
    const update = input.UpdateExpression ?? '';

    const added = isReserve(input) ? names['#new'] : undefined;
    const freed = [
      ...(/#live = #live - :one/.test(update) ? [names['#slot']] : []),
      ...(/REMOVE[^=]*#s\.#dead/.test(update) ? [names['#dead']] : []),
    ];
    for (const slot of freed) {
      if (slot === undefined) {
        this.violations.push(`${pool}: a free that names no slot`);
        continue;
      }
      const times = (ledger.freed.get(slot) ?? 0) + 1;
      ledger.freed.set(slot, times);
      if (times > 1) this.violations.push(`${pool}: slot ${slot} freed twice`);
      if (!ledger.added.has(slot)) {
        this.violations.push(`${pool}: slot ${slot} freed, never added`);
      }
    }
    if (added !== undefined) ledger.added.add(added);

    const image = imageOf(output.Attributes);
    if (image) {
      const count = Object.keys(image.sessions ?? {}).length;
      if (image.live !== count) {
        this.violations.push(
          `${pool}: a write left live ${image.live} with ${count} slots`,
        );
      }
      if (image.live > this.#capOf(pool)) {
        this.violations.push(
          `${pool}: a write left live ${image.live}, over the cap`,
        );
      }
    }
  }

  #ledger(pool: string): PoolLedger {
    let ledger = this.#ledgers.get(pool);
    if (!ledger) {
      ledger = { added: new Set(), freed: new Map() };
      this.#ledgers.set(pool, ledger);
    }
    return ledger;
  }

  async #current(
    input: RequestInput,
  ): Promise<Record<string, AttributeValue> | undefined> {
    const pool = poolOf(input);
    if (pool === undefined) return undefined;
    const output = await this.#peek.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: { pool: { S: pool } },
        ConsistentRead: true,
      }),
    );
    return output.Item;
  }
}

/**
 * Writes where many containers race for the same thing: reserving a login
 * and leasing an idle session. A failed condition there, with the item as
 * it stands, is what losing a race looks like; elsewhere a condition that
 * fails while the item still satisfies it cannot happen.
 */
const isContended = (input: RequestInput): boolean =>
  isReserve(input) ||
  input.UpdateExpression?.includes('#s.#slot.#lease = :lease') === true;

const isReserve = (input: RequestInput): boolean =>
  input.UpdateExpression?.includes('#s.#new = :slot') === true;

const poolOf = (input: RequestInput): string | undefined =>
  input.Key?.pool?.S ?? input.Item?.pool?.S;

/** An `ALL_NEW` image, marshalled or not depending on middleware order. */
const imageOf = (attributes: unknown): PoolItem | undefined => {
  if (!attributes || typeof attributes !== 'object') return undefined;
  const live = (attributes as { live?: unknown }).live;
  if (typeof live === 'number') return attributes as PoolItem;
  return unmarshall(attributes as Record<string, AttributeValue>) as PoolItem;
};

/** The broker's store writes, told apart by their expressions. */
export const STORE_WRITES = {
  create: (i: RequestInput) => i.Item !== undefined,
  reserve: (i: RequestInput) => isReserve(i),
  finishLogin: (i: RequestInput) =>
    i.UpdateExpression?.startsWith('SET #s.#slot = :session') === true,
  abandonLogin: (i: RequestInput) =>
    i.UpdateExpression?.startsWith('REMOVE #s.#slot SET #live') === true &&
    i.ConditionExpression?.includes(':login') === true,
  quarantineLogin: (i: RequestInput) =>
    i.UpdateExpression === 'SET #s.#slot = :slot',
  leaseIdle: (i: RequestInput) =>
    i.UpdateExpression?.startsWith('SET #s.#slot.#lease = :lease') === true,
  renew: (i: RequestInput) =>
    i.UpdateExpression === 'SET #s.#slot.#lease.#exp = :exp',
  checkInRelease: (i: RequestInput) =>
    i.UpdateExpression?.startsWith('REMOVE #s.#slot.#lease SET') === true,
  checkInDrop: (i: RequestInput) =>
    i.UpdateExpression?.startsWith('REMOVE #s.#slot SET #live') === true &&
    i.ConditionExpression?.includes(':leaseId') === true,
  checkInQuarantine: (i: RequestInput) =>
    i.UpdateExpression?.startsWith('SET #s.#slot = :quarantined') === true,
  sweepDrop: (i: RequestInput) =>
    i.UpdateExpression?.startsWith('REMOVE #s.#slot SET #live') === true &&
    i.ConditionExpression?.includes('#freeAt') === true,
  reclaimLease: (i: RequestInput) =>
    i.UpdateExpression === 'REMOVE #s.#slot.#lease',
  claimSweep: (i: RequestInput) => i.UpdateExpression === 'SET #sweep = :claim',
  releaseSweep: (i: RequestInput) => i.UpdateExpression === 'REMOVE #sweep',
  closeBreaker: (i: RequestInput) => i.UpdateExpression === 'REMOVE #breaker',
} as const;

export type StoreWrite = keyof typeof STORE_WRITES;

/** The store write an input is, if it is one. */
export const storeWriteOf = (input: unknown): StoreWrite | undefined =>
  (Object.keys(STORE_WRITES) as StoreWrite[]).find((name) =>
    STORE_WRITES[name](input as RequestInput),
  );

/**
 * Lets the next `write` reach DynamoDB and be applied, runs `meanwhile`
 * (another container acting, time passing), then loses the answer with a
 * timeout, so the SDK's own retry sends the same conditional write again.
 *
 * @returns a count of answers lost so far
 */
export const loseAnswerAfterWrite = (
  client: DynamoDBClient,
  write: StoreWrite,
  options: { times?: number; meanwhile?: () => Promise<void> } = {},
): { lost: number } => {
  const state = { lost: 0 };
  const times = options.times ?? 1;
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      if (
        state.lost < times &&
        STORE_WRITES[write](args.input as RequestInput)
      ) {
        state.lost += 1;
        await options.meanwhile?.();
        throw Object.assign(new Error('injected: socket timed out'), {
          name: 'TimeoutError',
          code: 'ETIMEDOUT',
          $metadata: {},
        });
      }
      return result;
    },
    // Inside the SDK's retry, outside the deserializer and any observer.
    { step: 'finalizeRequest', priority: 'low', name: `lose-${write}-answer` },
  );
  return state;
};

/**
 * The slot ledger, without faults, on a test table's own client: every
 * write the broker makes through it is checked as DynamoDB applies it.
 * Call `close` when done.
 */
export const watchTestTable = (
  table: TestTable,
  cap: number,
): { faults: DynamoDbFaults; close(): void } => {
  const peek = new DynamoDBClient(localAwsClientConfig(testDynamoDbEndpoint()));
  const faults = new DynamoDbFaults({
    random: seededRandom(1),
    rates: NO_DYNAMODB_FAULTS,
    tableName: table.tableName,
    peek,
    capOf: () => cap,
  });
  faults.attach(table.client);
  return { faults, close: () => peek.destroy() };
};
