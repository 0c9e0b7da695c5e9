import type { Broker } from '../../functions/pool/broker';
import { LeaseLostError } from '../../functions/pool/errors';
import {
  anotherContainer,
  createTestBroker,
  PRINCIPAL,
  type TestBroker,
} from '../helpers/broker';

const checkOut = { principal: PRINCIPAL, leaseMs: 60_000, waitMs: 0 };
const ok = { principal: PRINCIPAL, outcome: 'ok' } as const;

describe('Class: Broker, on a container whose copy of the pool is stale', () => {
  let t: TestBroker;
  let other: Broker;
  let closeOther: () => void;
  let requests: string[];

  beforeEach(async () => {
    t = await createTestBroker({ cap: 1 });
    ({ broker: other, close: closeOther } = anotherContainer(t, 1));
    requests = [];
    t.table.client.middlewareStack.add(
      (next, context) => async (args) => {
        requests.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'count-requests' },
    );
  });

  afterEach(async () => {
    closeOther();
    await t.table.drop();
  });

  it('leases a session another container leased and returned since, in one write', async () => {
    // Prepare: this container's copy shows generation 1 returned; another
    // container then leases and returns the session (generation 2).
    const first = await t.broker.checkOut('default', checkOut);
    await t.broker.checkIn('default', first.leaseId, {
      ...ok,
      generation: first.generation,
    });
    const between = await other.checkOut('default', checkOut);
    await other.checkIn('default', between.leaseId, {
      ...ok,
      generation: between.generation,
    });
    requests.length = 0;

    // Act
    const lease = await t.broker.checkOut('default', checkOut);

    // Assess: one UpdateItem, and the generation the write itself made.
    expect(requests).toEqual(['UpdateItemCommand']);
    expect([first.generation, between.generation, lease.generation]).toEqual([
      1, 2, 3,
    ]);
    expect(t.fake.calls).toBe(1);
  });

  it('refuses the stale generation once the session was granted again', async () => {
    // Prepare
    const first = await t.broker.checkOut('default', {
      ...checkOut,
      leaseMs: 1_000,
    });
    t.clock.advance(2_000);
    const later = await other.checkOut('default', checkOut);

    // Act: the first holder, late, on its own (stale) container.
    const late = t.broker.checkIn('default', first.leaseId, {
      ...ok,
      generation: first.generation,
    });

    // Assess
    await expect(late).rejects.toBeInstanceOf(LeaseLostError);
    expect(later.generation).toBe(first.generation + 1);
    await expect(
      other.checkIn('default', later.leaseId, {
        ...ok,
        generation: later.generation,
      }),
    ).resolves.toEqual({ result: 'returned' });
  });
});
