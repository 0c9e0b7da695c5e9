import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { Broker } from '../../functions/pool/broker';
import { sweepPool } from '../../functions/pool/maintenance';
import {
  LoginOutcomeUnknownError,
  LoginUnavailableError,
} from '../../functions/upstream/errors';
import {
  anotherContainer,
  createTestBroker,
  OTHER_PRINCIPAL,
  PRINCIPAL,
  sweepDependencies,
  type TestBroker,
} from '../helpers/broker';
import {
  type DynamoDbFaults,
  loseAnswerAfterWrite,
  type StoreWrite,
  watchTestTable,
} from '../helpers/dynamodb-faults';
import type { SuiteFigures } from './render-report';
import { recordFigures } from './report';

const HOUR = 3_600_000;
const POOL = 'default';
const checkOutRequest = { principal: PRINCIPAL, leaseMs: 60_000, waitMs: 0 };
const figures: SuiteFigures['store-retries'] = {
  answersLost: 0,
  cases: 0,
  throttledAttempts: 0,
};

interface Case {
  readonly write: StoreWrite;
  /** Brings the pool to the state just before the step under test. */
  readonly prepare?: (t: TestBroker) => Promise<Record<string, unknown>>;
  /** The step whose write is applied and then loses its answer. */
  readonly act: (
    t: TestBroker,
    prepared: Record<string, unknown>,
  ) => Promise<unknown>;
  /** What the caller must be told, and `live` afterwards. */
  readonly expected: { readonly answer: unknown; readonly live: number };
}

const leaseOne = async (t: TestBroker) => {
  const lease = await t.broker.checkOut(POOL, checkOutRequest);
  return { lease };
};
const leased = (prepared: Record<string, unknown>) =>
  prepared.lease as Awaited<ReturnType<Broker['checkOut']>>;
const idleOne = async (t: TestBroker) => {
  const { lease } = await leaseOne(t);
  await t.broker.checkIn(POOL, lease.leaseId, {
    principal: PRINCIPAL,
    generation: lease.generation,
    outcome: 'ok',
  });
  return {};
};
const checkIn = (
  t: TestBroker,
  prepared: Record<string, unknown>,
  outcome: Parameters<Broker['checkIn']>[2],
) => t.broker.checkIn(POOL, leased(prepared).leaseId, outcome);

const cases: Case[] = [
  {
    write: 'create',
    act: (t) => t.broker.checkOut(POOL, checkOutRequest),
    expected: { answer: expect.objectContaining({ generation: 1 }), live: 1 },
  },
  {
    write: 'reserve',
    act: (t) => t.broker.checkOut(POOL, checkOutRequest),
    expected: { answer: expect.objectContaining({ generation: 1 }), live: 1 },
  },
  {
    write: 'finishLogin',
    act: (t) => t.broker.checkOut(POOL, checkOutRequest),
    expected: { answer: expect.objectContaining({ generation: 1 }), live: 1 },
  },
  {
    write: 'leaseIdle',
    prepare: idleOne,
    act: (t) => t.broker.checkOut(POOL, checkOutRequest),
    expected: { answer: expect.objectContaining({ generation: 2 }), live: 1 },
  },
  {
    write: 'renew',
    prepare: leaseOne,
    act: (t, prepared) =>
      t.broker.renew(POOL, leased(prepared).leaseId, {
        principal: PRINCIPAL,
        generation: 1,
        leaseMs: 120_000,
      }),
    expected: { answer: expect.objectContaining({ generation: 1 }), live: 1 },
  },
  {
    write: 'checkInRelease',
    prepare: leaseOne,
    act: (t, prepared) =>
      checkIn(t, prepared, {
        principal: PRINCIPAL,
        generation: 1,
        outcome: 'ok',
      }),
    // The retry finds its own check-in done: nothing is freed twice.
    expected: { answer: { result: 'already-returned' }, live: 1 },
  },
  {
    write: 'checkInQuarantine',
    prepare: leaseOne,
    act: (t, prepared) =>
      checkIn(t, prepared, {
        principal: PRINCIPAL,
        generation: 1,
        outcome: 'rejected',
        upstreamCode: 500_123,
      }),
    expected: { answer: { result: 'already-returned' }, live: 1 },
  },
  {
    write: 'abandonLogin',
    prepare: async (t) => {
      t.fake.next = () => Promise.reject(new LoginUnavailableError('503'));
      return {};
    },
    act: (t) => t.broker.checkOut(POOL, checkOutRequest),
    expected: {
      answer: expect.objectContaining({ code: 'UPSTREAM_LOGIN_FAILED' }),
      live: 0,
    },
  },
  {
    write: 'quarantineLogin',
    prepare: async (t) => {
      t.fake.next = () =>
        Promise.reject(new LoginOutcomeUnknownError('timed out'));
      return {};
    },
    act: (t) => t.broker.checkOut(POOL, checkOutRequest),
    expected: {
      answer: expect.objectContaining({ code: 'UPSTREAM_LOGIN_FAILED' }),
      live: 1,
    },
  },
  {
    write: 'sweepDrop',
    prepare: async (t) => {
      await idleOne(t);
      t.clock.advance(3 * HOUR + 2 * 60_000);
      return {};
    },
    act: (t) =>
      sweepPool(
        sweepDependencies(t),
        {
          refreshAheadMs: 0,
          demandWindowMs: 1,
          refreshMinSessions: 0,
          refreshMaxSessions: 0,
          claimMs: 60_000,
        },
        POOL,
      ),
    expected: { answer: expect.objectContaining({ live: 0 }), live: 0 },
  },
];

afterAll(() => recordFigures('store-retries', figures));

describe('DynamoDB store: a write applied, then its answer lost', () => {
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

  it.each(cases)(
    'the SDK retry of $write counts nothing twice and tells the caller the truth',
    async ({ write, prepare, act, expected }) => {
      // Prepare
      const prepared = (await prepare?.(t)) ?? {};
      const lost = loseAnswerAfterWrite(t.table.client, write);

      // Act
      const answer = await act(t, prepared).catch((error: unknown) => error);

      // Assess
      figures.cases += 1;
      figures.answersLost += lost.lost;
      expect(lost.lost).toBe(1);
      expect(answer).toEqual(expected.answer);
      expect((await t.store.read(POOL))?.live).toBe(expected.live);
      expect(faults.violations).toEqual([]);
      expect(await faults.audit(POOL)).toEqual([]);
    },
  );

  it('answers dropped to a check-in whose drop was applied and then retried by the SDK', async () => {
    // Prepare
    const { lease } = await leaseOne(t);
    loseAnswerAfterWrite(t.table.client, 'checkInDrop');

    // Act
    const answer = await t.broker
      .checkIn(POOL, lease.leaseId, {
        principal: PRINCIPAL,
        generation: 1,
        outcome: 'rejected',
        upstreamCode: 200003,
      })
      .catch((error: unknown) => error);

    // Assess: the slot was freed once; the caller must not hear 404.
    expect((await t.store.read(POOL))?.live).toBe(0);
    expect(await faults.audit(POOL)).toEqual([]);
    expect(answer).toEqual({ result: 'dropped' });
  });

  it('never answers a lease that the SDK retry of its finished login found granted to another principal', async () => {
    // Prepare: another container, and a login whose finishing write is
    // applied while its answer is lost long enough for the new lease to
    // run out and the session to be granted to another principal.
    const { broker: second, close: closeSecond } = anotherContainer(t, 1);
    let regranted: Awaited<ReturnType<Broker['checkOut']>> | undefined;
    loseAnswerAfterWrite(t.table.client, 'finishLogin', {
      meanwhile: async () => {
        t.clock.advance(2_000);
        regranted = await second.checkOut(POOL, {
          principal: OTHER_PRINCIPAL,
          leaseMs: 60_000,
          waitMs: 0,
        });
      },
    });

    try {
      // Act
      const answer = await t.broker
        .checkOut(POOL, { ...checkOutRequest, leaseMs: 1_000 })
        .catch((error: unknown) => error);

      // Assess: one session, and it is the other principal's now.
      expect(regranted?.generation).toBe(2);
      expect(answer).not.toEqual(
        expect.objectContaining({
          headers: expect.objectContaining({ Authorization: 'token-1' }),
        }),
      );
    } finally {
      closeSecond();
    }
  });
});

describe('DynamoDB store: throttling that outlasts the SDK retry', () => {
  let t: TestBroker;

  beforeEach(async () => {
    t = await createTestBroker({ cap: 2 });
  });

  afterEach(() => t.table.drop());

  it('answers STORE_UNAVAILABLE, counts no slot and never calls the upstream', async () => {
    // Prepare: every attempt is throttled, the SDK's default retry included.
    let attempts = 0;
    t.table.client.middlewareStack.add(
      () => async () => {
        attempts += 1;
        throw new ProvisionedThroughputExceededException({
          $metadata: {},
          message: 'injected: throughput exceeded',
        });
      },
      { step: 'finalizeRequest', priority: 'low', name: 'throttle-all' },
    );

    // Act
    const answer = await t.broker
      .checkOut(POOL, checkOutRequest)
      .catch((error: unknown) => error);
    t.table.client.middlewareStack.remove('throttle-all');

    // Assess
    figures.throttledAttempts += attempts;
    expect(answer).toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503 });
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(t.fake.calls).toBe(0);
  }, 20_000);
});
