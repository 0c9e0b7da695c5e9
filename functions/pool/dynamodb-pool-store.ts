import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { StoreUnavailableError } from './errors';
import type { PoolItem } from './model';
import type { PoolStore, ReturnAction, WriteResult } from './store';

/**
 * The only place the cap is enforced. Each method is one `UpdateItem` whose
 * condition re-checks, inside DynamoDB, every fact the step depends on. Slot
 * ids and lease ids only ever reach an expression as attribute names or
 * values, never as expression text, so no input can address another path.
 */
export class DynamoDbPoolStore implements PoolStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #tableName: string;

  public constructor(client: DynamoDBClient, tableName: string) {
    this.#doc = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#tableName = tableName;
  }

  public async read(pool: string): Promise<PoolItem | undefined> {
    const output = await this.#call(() =>
      this.#doc.send(
        new GetCommand({
          TableName: this.#tableName,
          Key: { pool },
          ConsistentRead: true,
        }),
      ),
    );
    return output.Item as PoolItem | undefined;
  }

  public async create(item: PoolItem): Promise<PoolItem> {
    try {
      await this.#call(() =>
        this.#doc.send(
          new PutCommand({
            TableName: this.#tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#pool)',
            ExpressionAttributeNames: { '#pool': 'pool' },
          }),
        ),
      );
      return item;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.read(item.pool);
      if (!existing) throw new StoreUnavailableError({ cause: error });
      return existing;
    }
  }

  public leaseIdle: PoolStore['leaseIdle'] = (pool, slotId, input) =>
    // Two callers may pick the same idle session from the same stale view;
    // the running-lease check lets exactly one of them have it, and the
    // generation moves on inside the write, so a copy that missed earlier
    // grants and returns still gets an idle session at the first try. The
    // expiry and lifetime checks use the caller's clock value, never a read.
    this.#update(pool, {
      update:
        'SET #s.#slot.#lease = :lease, #s.#slot.#gen = #s.#slot.#gen + :one, #s.#slot.#lastLeased = :now',
      condition: [
        '#s.#slot.#state = :ready',
        '#s.#slot.#ver = :ver',
        '#s.#slot.#usable >= :leaseEnd',
        '(attribute_not_exists(#s.#slot.#lease) OR #s.#slot.#lease.#exp <= :now)',
      ].join(' AND '),
      names: {
        '#slot': slotId,
        '#lease': 'lease',
        '#gen': 'generation',
        '#state': 'state',
        '#ver': 'secretVersion',
        '#usable': 'usableUntil',
        '#exp': 'expiresAt',
        '#lastLeased': 'lastLeasedAt',
      },
      values: {
        ':lease': input.lease,
        ':one': 1,
        ':ready': 'ready',
        ':ver': input.secretVersion,
        ':leaseEnd': input.lease.expiresAt,
        ':now': input.now,
      },
    });

  public reserve: PoolStore['reserve'] = (pool, input) => {
    const names: Record<string, string> = {
      '#new': input.slotId,
      '#live': 'live',
      '#breaker': 'breaker',
      '#ver': 'secretVersion',
    };
    const values: Record<string, unknown> = {
      ':slot': input.slot,
      ':ver': input.slot.secretVersion,
    };
    const set = ['#s.#new = :slot'];
    const remove: string[] = [];
    const condition = [
      'attribute_not_exists(#s.#new)',
      '(attribute_not_exists(#breaker) OR #breaker.#ver <> :ver)',
    ];

    if (input.replacing === undefined) {
      // Two callers that both saw 9 of 10 slots race here: the count is in
      // the condition, so the second write fails instead of making 11.
      set.push('#live = #live + :one');
      condition.push('#live < :cap');
      values[':one'] = 1;
    } else {
      // The count stays put: one slot whose session is surely dead is
      // swapped for the new one. If another caller dropped or swapped it
      // first, the slot is gone and this write fails.
      names['#dead'] = input.replacing;
      names['#freeAt'] = 'freeAt';
      remove.push('#s.#dead');
      condition.push('#s.#dead.#freeAt <= :now', '#live <= :cap');
      values[':now'] = input.now;
    }
    values[':cap'] = input.cap;

    if (input.probe) {
      // Until a login with this secret version has worked, one login at a
      // time: a wrong password must fail once, not once per waiting caller.
      names['#probe'] = 'probe';
      names['#until'] = 'until';
      set.push('#probe = :probe');
      condition.push(
        '(attribute_not_exists(#probe) OR #probe.#until <= :now OR #probe.#ver <> :ver)',
      );
      values[':probe'] = input.probe;
      values[':now'] = input.now;
    } else {
      names['#verified'] = 'verifiedVersion';
      condition.push('#verified = :ver');
    }

    const update = `SET ${set.join(', ')}${
      remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''
    }`;
    return this.#update(pool, {
      update,
      condition: condition.join(' AND '),
      names,
      values,
    });
  };

  public finishLogin: PoolStore['finishLogin'] = (
    pool,
    slotId,
    reservation,
    session,
  ) =>
    this.#update(pool, {
      update: 'SET #s.#slot = :session, #verified = :ver',
      condition: '#s.#slot.#state = :login AND #s.#slot.#res = :res',
      names: {
        '#slot': slotId,
        '#state': 'state',
        '#res': 'reservation',
        '#verified': 'verifiedVersion',
      },
      values: {
        ':session': session,
        ':ver': session.secretVersion,
        ':login': 'login',
        ':res': reservation,
      },
    });

  public abandonLogin: PoolStore['abandonLogin'] = (
    pool,
    slotId,
    reservation,
    breaker,
  ) =>
    this.#update(pool, {
      update: `REMOVE #s.#slot SET #live = #live - :one${
        breaker ? ', #breaker = :breaker' : ''
      }`,
      condition: '#s.#slot.#state = :login AND #s.#slot.#res = :res',
      names: {
        '#slot': slotId,
        '#state': 'state',
        '#res': 'reservation',
        '#live': 'live',
        ...(breaker ? { '#breaker': 'breaker' } : {}),
      },
      values: {
        ':one': 1,
        ':login': 'login',
        ':res': reservation,
        ...(breaker ? { ':breaker': breaker } : {}),
      },
    });

  public quarantineLogin: PoolStore['quarantineLogin'] = (
    pool,
    slotId,
    reservation,
    slot,
  ) =>
    this.#update(pool, {
      update: 'SET #s.#slot = :slot',
      condition: '#s.#slot.#state = :login AND #s.#slot.#res = :res',
      names: { '#slot': slotId, '#state': 'state', '#res': 'reservation' },
      values: { ':slot': slot, ':login': 'login', ':res': reservation },
    });

  public renew: PoolStore['renew'] = (pool, slotId, match, input) =>
    this.#update(pool, {
      update: 'SET #s.#slot.#lease.#exp = :exp',
      condition: [
        ...leaseMatchCondition,
        '#s.#slot.#lease.#exp > :now',
        '#s.#slot.#usable >= :exp',
      ].join(' AND '),
      names: {
        ...leaseMatchNames(slotId),
        '#exp': 'expiresAt',
        '#usable': 'usableUntil',
      },
      values: {
        ...leaseMatchValues(match),
        ':exp': input.expiresAt,
        ':now': input.now,
      },
    });

  public checkIn: PoolStore['checkIn'] = (
    pool,
    slotId,
    match,
    action,
    quota,
  ) => {
    const returned = returnUpdate(action, match.leaseId);
    // The lease id and generation in the condition make a check-in that
    // lost a race with a re-grant fail instead of freeing the new lease.
    return this.#update(pool, {
      update: quota ? `${returned.update}, #quota = :quota` : returned.update,
      condition: leaseMatchCondition.join(' AND '),
      names: {
        ...leaseMatchNames(slotId),
        ...returned.names,
        ...(quota ? { '#quota': 'quota' } : {}),
      },
      values: {
        ...leaseMatchValues(match),
        ...returned.values,
        ...(quota ? { ':quota': quota } : {}),
      },
    });
  };

  public reclaimLease: PoolStore['reclaimLease'] = (
    pool,
    slotId,
    leaseId,
    now,
  ) =>
    // A renew that lands first keeps the lease: the expiry is re-checked.
    this.#update(pool, {
      update: 'REMOVE #s.#slot.#lease',
      condition:
        '#s.#slot.#lease.#leaseId = :leaseId AND #s.#slot.#lease.#exp <= :now',
      names: {
        '#slot': slotId,
        '#lease': 'lease',
        '#leaseId': 'id',
        '#exp': 'expiresAt',
      },
      values: { ':leaseId': leaseId, ':now': now },
    });

  public closeBreaker: PoolStore['closeBreaker'] = (pool, staleVersion) =>
    this.#update(pool, {
      update: 'REMOVE #breaker',
      condition: '#breaker.#ver = :ver',
      names: { '#breaker': 'breaker', '#ver': 'secretVersion' },
      values: { ':ver': staleVersion },
      sessions: false,
    });

  public claimSweep: PoolStore['claimSweep'] = (pool, claim, now) =>
    this.#update(pool, {
      update: 'SET #sweep = :claim',
      condition: '(attribute_not_exists(#sweep) OR #sweep.#until <= :now)',
      names: { '#sweep': 'sweep', '#until': 'until' },
      values: { ':claim': claim, ':now': now },
      sessions: false,
    });

  public releaseSweep: PoolStore['releaseSweep'] = (pool, owner) =>
    this.#update(pool, {
      update: 'REMOVE #sweep',
      condition: '#sweep.#owner = :owner',
      names: { '#sweep': 'sweep', '#owner': 'owner' },
      values: { ':owner': owner },
      sessions: false,
    });

  public drop: PoolStore['drop'] = (pool, slotId, now) =>
    // A slot is freed once: the second of two racing drops finds it gone.
    this.#update(pool, {
      update: 'REMOVE #s.#slot SET #live = #live - :one',
      condition: '#s.#slot.#freeAt <= :now',
      names: { '#slot': slotId, '#freeAt': 'freeAt', '#live': 'live' },
      values: { ':one': 1, ':now': now },
    });

  async #update(
    pool: string,
    expression: {
      update: string;
      condition: string;
      names: Record<string, string>;
      values: Record<string, unknown>;
      /** False for writes that never touch `sessions`. */
      sessions?: boolean;
    },
  ): Promise<WriteResult> {
    try {
      const output = await this.#call(() =>
        this.#doc.send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: { pool },
            UpdateExpression: expression.update,
            ConditionExpression: `attribute_exists(#pool) AND ${expression.condition}`,
            ExpressionAttributeNames: {
              '#pool': 'pool',
              ...(expression.sessions === false ? {} : { '#s': 'sessions' }),
              ...expression.names,
            },
            ExpressionAttributeValues: expression.values,
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return { ok: true, item: output.Attributes as PoolItem };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const item = error.Item
          ? (unmarshall(error.Item) as PoolItem)
          : undefined;
        return {
          ok: false,
          item,
          retried: (error.$metadata.attempts ?? 1) > 1,
        };
      }
      throw error;
    }
  }

  async #call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      throw new StoreUnavailableError({ cause: error });
    }
  }
}

const leaseMatchCondition = [
  '#s.#slot.#state = :ready',
  '#s.#slot.#lease.#leaseId = :leaseId',
  '#s.#slot.#gen = :gen',
  '#s.#slot.#lease.#principal = :principal',
];

const leaseMatchNames = (slotId: string): Record<string, string> => ({
  '#slot': slotId,
  '#state': 'state',
  '#lease': 'lease',
  '#leaseId': 'id',
  '#gen': 'generation',
  '#principal': 'principal',
});

const leaseMatchValues = (match: {
  leaseId: string;
  generation: number;
  principal: string;
}): Record<string, unknown> => ({
  ':ready': 'ready',
  ':leaseId': match.leaseId,
  ':gen': match.generation,
  ':principal': match.principal,
});

const returnUpdate = (
  action: ReturnAction,
  leaseId: string,
): {
  update: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
} => {
  switch (action.kind) {
    case 'release':
      return {
        update: 'REMOVE #s.#slot.#lease SET #s.#slot.#last = :last',
        names: { '#last': 'lastCheckedIn' },
        values: { ':last': leaseId },
      };
    case 'drop':
      // Only for a session the upstream said has timed out: it is surely
      // dead, so its slot is free at once.
      return {
        update: 'REMOVE #s.#slot SET #live = #live - :one',
        names: { '#live': 'live' },
        values: { ':one': 1 },
      };
    case 'quarantine':
      return {
        update: 'SET #s.#slot = :quarantined',
        names: {},
        values: { ':quarantined': action.slot },
      };
  }
};
