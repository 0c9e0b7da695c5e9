import {
  LeaseExpiredError,
  LeaseLostError,
  LeaseNotFoundError,
  NotLeaseHolderError,
} from '../../functions/pool/errors';
import {
  anotherContainer,
  createTestBroker,
  OTHER_PRINCIPAL,
  PRINCIPAL,
  type TestBroker,
} from '../helpers/broker';

const checkOut = { principal: PRINCIPAL, leaseMs: 60_000, waitMs: 0 };

describe('Class: Broker', () => {
  let t: TestBroker;

  beforeEach(async () => {
    t = await createTestBroker({ cap: 1 });
  });

  afterEach(() => t.table.drop());

  describe('Method: renew', () => {
    it('extends the lease from now', async () => {
      // Prepare
      const lease = await t.broker.checkOut('default', checkOut);
      t.clock.advance(30_000);

      // Act
      const renewed = await t.broker.renew('default', lease.leaseId, {
        principal: PRINCIPAL,
        generation: lease.generation,
        leaseMs: 120_000,
      });

      // Assess
      expect(renewed.expiresAt).toBe(t.clock.now() + 120_000);
    });

    it('never extends past the session lifetime', async () => {
      // Prepare: a 20-minute session is usable for 19 (60 s of skew).
      const short = await createTestBroker({
        cap: 1,
        timings: { sessionLifetimeMs: 20 * 60_000, leaseMaxMs: 15 * 60_000 },
      });
      const lease = await short.broker.checkOut('default', {
        ...checkOut,
        leaseMs: 15 * 60_000,
      });
      short.clock.advance(10 * 60_000);

      // Act
      const renewed = await short.broker
        .renew('default', lease.leaseId, {
          principal: PRINCIPAL,
          generation: lease.generation,
          leaseMs: 15 * 60_000,
        })
        .finally(() => short.table.drop());

      // Assess
      expect(renewed.expiresAt).toBe(lease.sessionExpiresAt);
      expect(lease.sessionExpiresAt).toBe(short.clock.now() + 9 * 60_000);
    });

    it('throws LeaseExpiredError for a lease that ran to the end of its session', async () => {
      // Prepare: the login takes 10 of the session's 19 usable minutes, so
      // the minted 15-minute lease is cut to the session's end; then that
      // end passes.
      const short = await createTestBroker({
        cap: 1,
        timings: { sessionLifetimeMs: 20 * 60_000, leaseMaxMs: 15 * 60_000 },
      });
      short.fake.next = async () => {
        short.clock.advance(10 * 60_000);
        return 'token-slow';
      };
      const lease = await short.broker.checkOut('default', {
        ...checkOut,
        leaseMs: 15 * 60_000,
      });
      short.clock.advance(10 * 60_000);

      // Act: a renew that would again be cut to that same, past, end.
      const renew = short.broker
        .renew('default', lease.leaseId, {
          principal: PRINCIPAL,
          generation: lease.generation,
          leaseMs: 15 * 60_000,
        })
        .finally(() => short.table.drop());

      // Assess
      expect(lease.expiresAt).toBe(lease.sessionExpiresAt);
      await expect(renew).rejects.toBeInstanceOf(LeaseExpiredError);
    });

    it('throws LeaseExpiredError once the lease ran out', async () => {
      // Prepare
      const lease = await t.broker.checkOut('default', checkOut);
      t.clock.advance(60_000);

      // Act
      const attempt = t.broker.renew('default', lease.leaseId, {
        principal: PRINCIPAL,
        generation: lease.generation,
        leaseMs: 60_000,
      });

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(LeaseExpiredError);
    });

    it('throws LeaseLostError after the expired lease was granted again', async () => {
      // Prepare
      const lost = await t.broker.checkOut('default', checkOut);
      t.clock.advance(61_000);
      await t.broker.checkOut('default', checkOut);

      // Act
      const attempt = t.broker.renew('default', lost.leaseId, {
        principal: PRINCIPAL,
        generation: lost.generation,
        leaseMs: 60_000,
      });

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(LeaseLostError);
    });

    it('throws NotLeaseHolderError for another principal', async () => {
      // Prepare
      const lease = await t.broker.checkOut('default', checkOut);

      // Act
      const attempt = t.broker.renew('default', lease.leaseId, {
        principal: OTHER_PRINCIPAL,
        generation: lease.generation,
        leaseMs: 60_000,
      });

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(NotLeaseHolderError);
    });
  });

  describe('Method: checkIn', () => {
    const ok = { principal: PRINCIPAL, outcome: 'ok' as const };

    it('makes the session idle again', async () => {
      // Prepare
      const lease = await t.broker.checkOut('default', checkOut);

      // Act
      const result = await t.broker.checkIn('default', lease.leaseId, {
        ...ok,
        generation: lease.generation,
      });

      // Assess
      expect(result.result).toBe('returned');
      expect(await t.broker.status('default')).toMatchObject({
        live: 1,
        idle: 1,
        leased: 0,
      });
    });

    it('changes nothing the second time', async () => {
      // Prepare
      const lease = await t.broker.checkOut('default', checkOut);
      await t.broker.checkIn('default', lease.leaseId, {
        ...ok,
        generation: lease.generation,
      });
      const next = await t.broker.checkOut('default', checkOut);

      // Act
      const repeat = await t.broker.checkIn('default', lease.leaseId, {
        ...ok,
        generation: lease.generation,
      });

      // Assess: the second holder keeps its lease.
      expect(repeat.result).toBe('already-returned');
      expect(await t.broker.status('default')).toMatchObject({ leased: 1 });
      await expect(
        t.broker.renew('default', next.leaseId, {
          principal: PRINCIPAL,
          generation: next.generation,
          leaseMs: 60_000,
        }),
      ).resolves.toMatchObject({ leaseId: next.leaseId });
    });

    it('rejects a late check-in after the lease was granted again', async () => {
      // Prepare
      const late = await t.broker.checkOut('default', checkOut);
      t.clock.advance(61_000);
      const holder = await t.broker.checkOut('default', checkOut);

      // Act
      const attempt = t.broker.checkIn('default', late.leaseId, {
        ...ok,
        generation: late.generation,
      });

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(LeaseLostError);
      expect(holder.generation).toBe(late.generation + 1);
      expect(await t.broker.status('default')).toMatchObject({ leased: 1 });
    });

    it('rejects a stale generation', async () => {
      // Prepare
      const lease = await t.broker.checkOut('default', checkOut);

      // Act
      const attempt = t.broker.checkIn('default', lease.leaseId, {
        ...ok,
        generation: lease.generation + 1,
      });

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(LeaseLostError);
    });

    it('forbids another principal, even with the right lease id', async () => {
      // Prepare
      const lease = await t.broker.checkOut('default', checkOut);

      // Act
      const attempt = t.broker.checkIn('default', lease.leaseId, {
        ...ok,
        principal: OTHER_PRINCIPAL,
        generation: lease.generation,
      });

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(NotLeaseHolderError);
      expect(await t.broker.status('default')).toMatchObject({ leased: 1 });
    });

    it('drops a session the upstream timed out and frees its slot', async () => {
      // Prepare
      const lease = await t.broker.checkOut('default', checkOut);

      // Act
      const result = await t.broker.checkIn('default', lease.leaseId, {
        principal: PRINCIPAL,
        generation: lease.generation,
        outcome: 'rejected',
        upstreamCode: 200003,
      });

      // Assess
      expect(result.result).toBe('dropped');
      expect(await t.broker.status('default')).toMatchObject({ live: 0 });
      const fresh = await t.broker.checkOut('default', checkOut);
      expect(fresh.headers.Authorization).toBe('token-2');
    });

    it('refuses a late drop once a later holder dropped the session through another container', async () => {
      // Prepare: this container grants the lease and keeps its copy of it.
      const stale = await t.broker.checkOut('default', {
        ...checkOut,
        leaseMs: 1_000,
      });
      t.clock.advance(2_000);
      const elsewhere = anotherContainer(t, 1);
      const later = await elsewhere.broker.checkOut('default', checkOut);
      await elsewhere.broker.checkIn('default', later.leaseId, {
        principal: PRINCIPAL,
        generation: later.generation,
        outcome: 'rejected',
        upstreamCode: 200003,
      });
      elsewhere.close();

      // Act: the first holder reports the same upstream code, late.
      const attempt = t.broker.checkIn('default', stale.leaseId, {
        principal: PRINCIPAL,
        generation: stale.generation,
        outcome: 'rejected',
        upstreamCode: 200003,
      });

      // Assess: told its lease is gone, and the slot was freed only once.
      await expect(attempt).rejects.toBeInstanceOf(LeaseNotFoundError);
      expect(await t.broker.status('default')).toMatchObject({ live: 0 });
    });

    it('quarantines a session rejected for another reason', async () => {
      // Prepare
      const lease = await t.broker.checkOut('default', checkOut);

      // Act
      const result = await t.broker.checkIn('default', lease.leaseId, {
        principal: PRINCIPAL,
        generation: lease.generation,
        outcome: 'rejected',
        upstreamCode: 500123,
      });

      // Assess: still counted, so a cap of 1 leaves nothing to lease.
      expect(result.result).toBe('quarantined');
      expect(await t.broker.status('default')).toMatchObject({
        live: 1,
        quarantined: 1,
      });
      await expect(
        t.broker.checkOut('default', checkOut),
      ).rejects.toMatchObject({
        code: 'POOL_EXHAUSTED',
      });
      expect(t.fake.calls).toBe(1);
    });

    it.each([
      ['a malformed id', 'not-a-lease'],
      [
        'an id of a slot that never existed',
        `${'a'.repeat(12)}.${'b'.repeat(32)}`,
      ],
    ])('throws LeaseNotFoundError for %s', async (_title, leaseId) => {
      await expect(
        t.broker.checkIn('default', leaseId, { ...ok, generation: 1 }),
      ).rejects.toBeInstanceOf(LeaseNotFoundError);
    });
  });
});
