import { startTestStack, type TestStack } from '../helpers/stack';

describe('Lease API over HTTP: a holder that never checks in', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ cap: 1 });
  });

  afterAll(() => stack.close());

  it('loses its lease at expiry and the session goes to the next caller', async () => {
    // Prepare: the first holder takes the only session and vanishes.
    const dead = await stack.call('POST', '/v1/pools/default/leases', {
      holder: 'crashed-lambda',
      leaseSeconds: 2,
    });
    expect(dead.status).toBe(201);
    const started = Date.now();

    // Act
    const next = await stack.call('POST', '/v1/pools/default/leases', {
      holder: 'next-lambda',
      waitSeconds: 10,
    });

    // Assess
    expect(next.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(next.body.headers).toEqual(dead.body.headers);
    expect(next.body.generation).toBe(2);
    expect(stack.simulator.stats(stack.username).logins).toBe(1);

    const late = await stack.call(
      'DELETE',
      `/v1/pools/default/leases/${dead.body.leaseId}`,
      { generation: dead.body.generation, outcome: 'ok' },
    );
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('LEASE_LOST');
  });
});
