import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ManualClock } from '../../functions/shared/clock';
import { LoginUnavailableError } from '../../functions/upstream/errors';
import {
  createTestBroker,
  PRINCIPAL,
  TEST_CREDENTIALS,
  type TestBroker,
} from '../helpers/broker';
import {
  CountingUpstream,
  NO_UPSTREAM_FAULTS,
} from '../helpers/counting-upstream';
import {
  type DynamoDbFaults,
  watchTestTable,
} from '../helpers/dynamodb-faults';
import { seededRandom } from '../helpers/seeded-random';

/*
 * The suite's figures say "0 violations"; these tests show that each
 * check behind them does fire when its promise is broken on purpose.
 */

const account = {
  username: TEST_CREDENTIALS.username,
  password: TEST_CREDENTIALS.password,
  apiKey: TEST_CREDENTIALS.apiKey,
};
const credentials = { ...TEST_CREDENTIALS, versionId: 'v1' };

describe('Class: CountingUpstream', () => {
  it('counts a login sent while the cap is live as over the cap, even one that then fails', async () => {
    // Prepare: two live sessions on a cap of two; every login now fails.
    const upstream = new CountingUpstream({
      clock: new ManualClock(),
      cap: 2,
      lifetimeMs: 60_000,
      random: seededRandom(1),
      account,
    });
    await upstream.login(credentials, { timeoutMs: 1_000 });
    await upstream.login(credentials, { timeoutMs: 1_000 });
    upstream.faults = { ...NO_UPSTREAM_FAULTS, fail: 1 };

    // Act
    const third = upstream.login(credentials, { timeoutMs: 1_000 });

    // Assess
    await expect(third).rejects.toBeInstanceOf(LoginUnavailableError);
    expect(upstream.counters.overCap).toBe(1);
  });

  it('counts nothing over the cap once a session has expired', async () => {
    // Prepare
    const clock = new ManualClock();
    const upstream = new CountingUpstream({
      clock,
      cap: 1,
      lifetimeMs: 60_000,
      random: seededRandom(1),
      account,
    });
    await upstream.login(credentials, { timeoutMs: 1_000 });
    clock.advance(60_000);

    // Act
    await upstream.login(credentials, { timeoutMs: 1_000 });

    // Assess
    expect(upstream.counters.overCap).toBe(0);
  });
});

describe('Class: DynamoDbFaults (the slot ledger)', () => {
  let t: TestBroker;
  let faults: DynamoDbFaults;
  let close: () => void;

  beforeEach(async () => {
    t = await createTestBroker({ cap: 2 });
    ({ faults, close } = watchTestTable(t.table, 2));
  });

  afterEach(async () => {
    close();
    await t.table.drop();
  });

  it('reports a slot freed twice and a count that no longer matches the slots', async () => {
    // Prepare: one session, seen by the ledger when it was reserved.
    const lease = await t.broker.checkOut('default', {
      principal: PRINCIPAL,
      leaseMs: 60_000,
      waitMs: 0,
    });
    const slot = lease.leaseId.split('.')[0] as string;
    const unconditionalFree = () =>
      t.table.client.send(
        new UpdateItemCommand({
          TableName: t.table.tableName,
          Key: { pool: { S: 'default' } },
          UpdateExpression: 'REMOVE #s.#slot SET #live = #live - :one',
          ExpressionAttributeNames: {
            '#s': 'sessions',
            '#slot': slot,
            '#live': 'live',
          },
          ExpressionAttributeValues: { ':one': { N: '1' } },
          ReturnValues: 'ALL_NEW',
        }),
      );

    // Act: a broken broker frees the same slot twice, with no condition.
    await unconditionalFree();
    await unconditionalFree();

    // Assess
    expect(faults.violations).toEqual(
      expect.arrayContaining([
        `default: slot ${slot} freed twice`,
        'default: a write left live -1 with 0 slots',
      ]),
    );
    expect(await faults.audit('default')).toEqual([
      'default: live -1 but 0 slots',
    ]);
  });

  it('finds nothing wrong with the broker doing its job', async () => {
    // Act
    const lease = await t.broker.checkOut('default', {
      principal: PRINCIPAL,
      leaseMs: 60_000,
      waitMs: 0,
    });
    await t.broker.checkIn('default', lease.leaseId, {
      principal: PRINCIPAL,
      generation: lease.generation,
      outcome: 'rejected',
      upstreamCode: 200003,
    });

    // Assess
    expect(faults.violations).toEqual([]);
    expect(await faults.audit('default')).toEqual([]);
    expect(faults.frees).toBe(1);
  });
});
