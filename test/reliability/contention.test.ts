import type { Broker } from '../../functions/pool/broker';
import {
  anotherContainer,
  createTestBroker,
  OTHER_PRINCIPAL,
  PRINCIPAL,
  type TestBroker,
} from '../helpers/broker';
import { STORE_WRITES } from '../helpers/dynamodb-faults';

const POOL = 'default';
/** How long each lost race takes, on the broker's clock. */
const RACE_MS = 100;
const RACES = 30;

describe('Check-out under contention', () => {
  let t: TestBroker;
  let rival: Broker;
  let closeRival: () => void;

  beforeEach(async () => {
    t = await createTestBroker({ cap: 1 });
    ({ broker: rival, close: closeRival } = anotherContainer(t, 1));
    // One idle session that a busy rival takes and returns again and again.
    const first = await t.broker.checkOut(POOL, {
      principal: PRINCIPAL,
      leaseMs: 60_000,
      waitMs: 0,
    });
    await t.broker.checkIn(POOL, first.leaseId, {
      principal: PRINCIPAL,
      generation: first.generation,
      outcome: 'ok',
    });
  });

  afterEach(async () => {
    closeRival();
    await t.table.drop();
  });

  it('stops trying once its wait is over, however many races it keeps losing', async () => {
    // Prepare: just before each of this caller's lease writes, the rival
    // leases the session, so the write finds it taken; just after, the
    // rival returns it, so the caller sees it idle again and races again.
    let attempts = 0;
    t.table.client.middlewareStack.add(
      (next) => async (args) => {
        if (!STORE_WRITES.leaseIdle(args.input as never)) return next(args);
        attempts += 1;
        if (attempts > RACES) return next(args);
        const taken = await rival.checkOut(POOL, {
          principal: OTHER_PRINCIPAL,
          leaseMs: 60_000,
          waitMs: 0,
        });
        try {
          return await next(args);
        } finally {
          await rival.checkIn(POOL, taken.leaseId, {
            principal: OTHER_PRINCIPAL,
            generation: taken.generation,
            outcome: 'ok',
          });
          t.clock.advance(RACE_MS);
        }
      },
      { step: 'finalizeRequest', priority: 'low', name: 'rival-wins' },
    );
    const started = t.clock.now();

    // Act: a caller that asked to wait one second at most.
    const answer = await t.broker
      .checkOut(POOL, {
        principal: PRINCIPAL,
        leaseMs: 60_000,
        waitMs: 1_000,
      })
      .catch((error: unknown) => error);

    // Assess: answered with 429 soon after its wait (a few immediate
    // retries are allowed), not after every race the rival chose to run.
    expect(answer).toMatchObject({ code: 'POOL_EXHAUSTED' });
    expect(t.clock.now() - started).toBeLessThanOrEqual(1_000 + 5 * RACE_MS);
    expect(attempts).toBeLessThan(RACES / 2);
  }, 30_000);

  it('gives up at its wait when every lease it wins is over before the write answers', async () => {
    // Prepare: each lease write takes longer, on the clock, than the
    // one-second lease it grants (slow writes, SDK retries).
    let attempts = 0;
    t.table.client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        if (STORE_WRITES.leaseIdle(args.input as never)) {
          attempts += 1;
          if (attempts <= RACES) t.clock.advance(1_500);
        }
        return result;
      },
      { step: 'finalizeRequest', priority: 'low', name: 'slow-writes' },
    );
    const started = t.clock.now();

    // Act
    const answer = await t.broker
      .checkOut(POOL, { principal: PRINCIPAL, leaseMs: 1_000, waitMs: 1_000 })
      .catch((error: unknown) => error);

    // Assess: a few writes past the wait at most, then 429.
    expect(answer).toMatchObject({ code: 'POOL_EXHAUSTED' });
    expect(t.clock.now() - started).toBeLessThanOrEqual(1_000 + 5 * 1_500);
    expect(attempts).toBeLessThan(RACES / 2);
  }, 30_000);
});
