import {
  BreakerOpenError,
  PoolExhaustedError,
  PoolNotFoundError,
} from '../../functions/pool/errors';
import { LoginRejectedError } from '../../functions/upstream/errors';
import {
  createTestBroker,
  PRINCIPAL,
  type TestBroker,
} from '../helpers/broker';

const request = { principal: PRINCIPAL, leaseMs: 60_000, waitMs: 0 };

describe('Class: Broker', () => {
  let t: TestBroker;

  beforeEach(async () => {
    t = await createTestBroker({ cap: 2 });
  });

  afterEach(() => t.table.drop());

  describe('Method: checkOut', () => {
    it('logs in once and leases the new session to the caller', async () => {
      // Act
      const lease = await t.broker.checkOut('default', request);

      // Assess
      expect(t.fake.calls).toBe(1);
      expect(lease.headers).toEqual({
        Authorization: 'token-1',
        'api-key': 'key-canary-91bc',
      });
      expect(lease.generation).toBe(1);
      expect(lease.expiresAt).toBe(t.clock.now() + 60_000);
      expect(lease.leaseId).toMatch(/^[0-9a-f]{12}\.[0-9a-f]{32}$/);
    });

    it('reuses a returned session without logging in again', async () => {
      // Prepare
      const first = await t.broker.checkOut('default', request);
      await t.broker.checkIn('default', first.leaseId, {
        principal: PRINCIPAL,
        generation: first.generation,
        outcome: 'ok',
      });

      // Act
      const second = await t.broker.checkOut('default', request);

      // Assess
      expect(t.fake.calls).toBe(1);
      expect(second.headers.Authorization).toBe('token-1');
      expect(second.generation).toBe(2);
      expect(second.leaseId).not.toBe(first.leaseId);
    });

    it('answers 429 with Retry-After at the lease expiry when the cap is reached', async () => {
      // Prepare
      await t.broker.checkOut('default', request);
      t.clock.advance(10_000);
      await t.broker.checkOut('default', request);

      // Act
      const attempt = t.broker.checkOut('default', request);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(PoolExhaustedError);
      await attempt.catch((error: PoolExhaustedError) => {
        expect(error.retryAfterSeconds).toBe(50);
      });
      expect(t.fake.calls).toBe(2);
    });

    it('gives an expired lease to the next caller without a new login', async () => {
      // Prepare
      const dead = await t.broker.checkOut('default', { ...request });
      await t.broker.checkOut('default', request);
      t.clock.advance(60_001);

      // Act
      const next = await t.broker.checkOut('default', request);

      // Assess
      expect(t.fake.calls).toBe(2);
      expect(['token-1', 'token-2']).toContain(next.headers.Authorization);
      expect(next.generation).toBe(dead.generation + 1);
    });

    it('never leases a session with less lifetime left than the lease asks', async () => {
      // Prepare: usable life ends 60 s (the skew) before the 3 h lifetime,
      // so 90 s before the end only 30 s are left, less than the lease.
      const first = await t.broker.checkOut('default', request);
      await t.broker.checkIn('default', first.leaseId, {
        principal: PRINCIPAL,
        generation: 1,
        outcome: 'ok',
      });
      t.clock.advance(3 * 60 * 60 * 1000 - 90_000);

      // Act
      const lease = await t.broker.checkOut('default', request);

      // Assess
      expect(lease.headers.Authorization).toBe('token-2');
      expect(t.fake.calls).toBe(2);
    });

    it('opens the breaker after one rejected login and stops logging in', async () => {
      // Prepare
      t.fake.next = () => Promise.reject(new LoginRejectedError(200001, 500));

      // Act
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () =>
          t.broker.checkOut('default', { ...request, waitMs: 200 }),
        ),
      );

      // Assess
      expect(t.fake.calls).toBe(1);
      for (const result of results) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(
          BreakerOpenError,
        );
      }
      const status = await t.broker.status('default');
      expect(status.breaker.state).toBe('open');
      expect(status.live).toBe(0);
    });

    it('closes the breaker when the secret version changes', async () => {
      // Prepare
      t.fake.next = () => Promise.reject(new LoginRejectedError(200001, 500));
      await expect(t.broker.checkOut('default', request)).rejects.toThrow(
        BreakerOpenError,
      );
      t.fake.next = undefined;
      t.credentials.set({
        ...(await t.credentials.get()),
        password: 'new-password',
        versionId: 'v2',
      });

      // Act
      const lease = await t.broker.checkOut('default', request);

      // Assess
      expect(lease.generation).toBe(1);
      expect((await t.broker.status('default')).breaker.state).toBe('closed');
    });

    it('keeps a slot counted when the login outcome is unknown', async () => {
      // Prepare
      t.fake.next = () => Promise.reject(new Error('socket hang up'));

      // Act
      const attempt = t.broker.checkOut('default', request);

      // Assess
      await expect(attempt).rejects.toMatchObject({
        code: 'UPSTREAM_LOGIN_FAILED',
      });
      const status = await t.broker.status('default');
      expect(status).toMatchObject({ live: 1, quarantined: 1, idle: 0 });
    });

    it('reports grants, refusals and rejected logins as metrics', async () => {
      // Prepare
      const recorded: string[] = [];
      const m = await createTestBroker({
        cap: 1,
        metrics: {
          record: (pool, name, value) =>
            recorded.push(`${pool} ${name} ${value}`),
        },
      });

      // Act
      await m.broker.checkOut('default', request);
      await m.broker.checkOut('default', request).catch(() => undefined);
      m.credentials.set({ ...(await m.credentials.get()), versionId: 'v2' });
      m.fake.next = () => Promise.reject(new LoginRejectedError(200001, 500));
      m.clock.advance(3 * 60 * 60 * 1000 + 5 * 60_000);
      await m.broker.checkOut('default', request).catch(() => undefined);
      await m.table.drop();

      // Assess
      expect(recorded).toEqual(
        expect.arrayContaining([
          'default CheckOutGranted 1',
          'default LiveSessions 1',
          'default LeasedSessions 1',
          'default CheckOutExhausted 1',
          'default LoginRejected 1',
          'default BreakerOpen 1',
        ]),
      );
      expect(
        recorded.filter((line) => line.includes('CheckOutLatency')),
      ).toHaveLength(1);
    });

    it('throws PoolNotFoundError for a pool that is not configured', async () => {
      await expect(t.broker.checkOut('other', request)).rejects.toBeInstanceOf(
        PoolNotFoundError,
      );
    });
  });
});
