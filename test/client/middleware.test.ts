import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { BrokerClient } from '../../client/broker-client';
import { UpstreamError } from '../../client/errors';
import {
  type LeasedSessionContext,
  leasedSession,
} from '../../client/middleware';
import { startTestStack, type TestStack } from '../helpers/stack';

const lambdaContext = (): LeasedSessionContext =>
  ({
    functionName: 'consumer',
    getRemainingTimeInMillis: () => 30_000,
  }) as Context as LeasedSessionContext;

describe('Middleware: leasedSession', () => {
  let stack: TestStack;
  let client: BrokerClient;

  beforeAll(async () => {
    stack = await startTestStack({ cap: 1 });
    client = new BrokerClient({ endpoint: stack.url, pool: 'default' });
  });

  afterAll(() => stack.close());

  const status = () => client.status();

  it('puts a session on the context and checks it in on success', async () => {
    // Prepare
    const handler = middy(
      async (_event: unknown, context: LeasedSessionContext) => {
        const response = await context.session.fetch('/campaigns');
        return { status: response.status, leased: (await status()).leased };
      },
    ).use(leasedSession({ client }));

    // Act
    const result = await handler({}, lambdaContext());

    // Assess: the quota figures the upstream sent reached the pool.
    expect(result).toEqual({ status: 200, leased: 1 });
    const after = await status();
    expect(after).toMatchObject({ leased: 0, idle: 1, live: 1 });
    expect(after.quota).toMatchObject({
      limitDaily: 1_000_000,
      availableDaily: 1_000_000 - 2,
    });
  });

  it('checks the session in when the handler throws, and rethrows', async () => {
    // Prepare
    const handler = middy(async () => {
      throw new Error('report failed');
    }).use(leasedSession({ client }));

    // Act & Assess
    await expect(handler({}, lambdaContext())).rejects.toThrow('report failed');
    expect(await status()).toMatchObject({ leased: 0, idle: 1 });
  });

  it('checks in as rejected when the upstream says the session timed out', async () => {
    // Prepare
    stack.simulator.expireAllSessions(stack.username);
    const handler = middy(
      async (_event: unknown, context: LeasedSessionContext) => {
        await context.session.fetch('/campaigns');
      },
    ).use(leasedSession({ client }));

    // Act
    const attempt = handler({}, lambdaContext());

    // Assess: the broker dropped the dead session and freed its slot.
    await expect(attempt).rejects.toBeInstanceOf(UpstreamError);
    await expect(attempt).rejects.toMatchObject({ upstreamCode: 200003 });
    expect(await status()).toMatchObject({ live: 0, leased: 0 });
  });

  it('renews the lease while a long handler runs, and leaves no timer behind', async () => {
    // Prepare: watch the renewal timers the middleware starts and stops.
    const renewals: { handle: unknown; fired: boolean; cleared: boolean }[] =
      [];
    const realSetTimeout = global.setTimeout;
    const realClearTimeout = global.clearTimeout;
    const setSpy = jest.spyOn(global, 'setTimeout').mockImplementation(((
      fn: (...args: unknown[]) => void,
      ms?: number,
    ) => {
      if (fn.name !== 'renew') return realSetTimeout(fn, ms);
      const entry = {
        handle: undefined as unknown,
        fired: false,
        cleared: false,
      };
      entry.handle = realSetTimeout(() => {
        entry.fired = true;
        fn();
      }, ms);
      renewals.push(entry);
      return entry.handle;
    }) as typeof setTimeout);
    const clearSpy = jest
      .spyOn(global, 'clearTimeout')
      .mockImplementation((handle) => {
        for (const entry of renewals)
          if (entry.handle === handle) entry.cleared = true;
        realClearTimeout(handle as NodeJS.Timeout);
      });
    let expiresAtStart = '';
    const handler = middy(
      async (_event: unknown, context: LeasedSessionContext) => {
        expiresAtStart = context.session.lease.expiresAt;
        await new Promise((resolve) => realSetTimeout(resolve, 3_000));
        return context.session.lease.expiresAt;
      },
    ).use(leasedSession({ client, leaseSeconds: 2 }));

    // Act
    let expiresAtEnd: string;
    try {
      expiresAtEnd = await handler({}, lambdaContext());
    } finally {
      setSpy.mockRestore();
      clearSpy.mockRestore();
    }

    // Assess: renewed past the original 2 s, checked in without LEASE_LOST,
    // and every renewal timer either ran or was cleared.
    expect(Date.parse(expiresAtEnd)).toBeGreaterThan(
      Date.parse(expiresAtStart),
    );
    expect(await status()).toMatchObject({ leased: 0, idle: 1 });
    expect(
      renewals.filter((entry) => entry.fired).length,
    ).toBeGreaterThanOrEqual(1);
    expect(renewals.filter((entry) => !entry.fired && !entry.cleared)).toEqual(
      [],
    );
  });

  it.each([
    ['an unknown option', { lease: 5 }],
    ['a lease shorter than 2 s', { leaseSeconds: 1 }],
    ['an endpoint that is not a URL', { endpoint: 'broker', pool: 'p' }],
  ])('refuses %s at construction', (_title, options) => {
    expect(() => leasedSession({ client, ...options } as never)).toThrow(
      /leasedSession/,
    );
  });
});
