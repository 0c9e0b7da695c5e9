import { setTimeout as delay } from 'node:timers/promises';
import { startTestStack } from '../helpers/stack';

const CAP = 10;

describe('Rotation racing check-outs over HTTP', () => {
  it('keeps the simulator within the cap and frees no slot twice', async () => {
    // Prepare: 10-second sessions, so they expire, are dropped and
    // refreshed while the fleet runs.
    const stack = await startTestStack({
      cap: CAP,
      env: {
        BROKER_SESSION_LIFETIME_SECONDS: '10',
        BROKER_CLOCK_SKEW_SECONDS: '1',
        BROKER_LEASE_MAX_SECONDS: '4',
        BROKER_LEASE_DEFAULT_SECONDS: '4',
        BROKER_REFRESH_AHEAD_SECONDS: '3',
        BROKER_DEMAND_WINDOW_SECONDS: '5',
      },
    });
    const outcomes = new Map<string, number>();
    const count = (key: string): void => {
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    };
    const sweeps = { runs: 0, dropped: 0, minted: 0 };
    let fleetDone = false;

    try {
      // Act: two rotation runners and 50 callers sharing 200 check-outs.
      const rotation = async (): Promise<void> => {
        while (!fleetDone) {
          const { pools } = await stack.sweep();
          sweeps.runs += 1;
          sweeps.dropped += pools[0]?.dropped ?? 0;
          sweeps.minted += pools[0]?.minted ?? 0;
          await delay(50);
        }
      };
      let remaining = 200;
      const fleet = Promise.all(
        Array.from({ length: 50 }, async () => {
          while (remaining > 0) {
            remaining -= 1;
            const lease = await stack.call('POST', '/v1/pools/default/leases', {
              waitSeconds: 10,
            });
            if (lease.status !== 201) {
              count(`${lease.status} ${lease.body.code}`);
              continue;
            }
            const { baseUrl, headers, leaseId, generation } = lease.body as {
              baseUrl: string;
              headers: Record<string, string>;
              leaseId: string;
              generation: number;
            };
            const grantedAt = Date.now();
            const upstream = await fetch(`${baseUrl}/campaigns`, { headers });
            await upstream.arrayBuffer();
            await delay(10 + Math.random() * 20);
            const returned = await stack.call(
              'DELETE',
              `/v1/pools/default/leases/${leaseId}`,
              {
                generation,
                outcome: upstream.ok ? 'ok' : 'rejected',
              },
            );
            // A holder slower than its lease is told LEASE_LOST, rightly.
            const late = Date.now() - grantedAt >= 4_000;
            count(
              returned.status === 200
                ? 'leased'
                : `check-in ${returned.body.code}${late ? ' (late)' : ''}`,
            );
          }
        }),
      ).finally(() => {
        fleetDone = true;
      });
      await Promise.all([fleet, rotation(), rotation()]);

      // Assess
      const stats = stack.simulator.stats(stack.username);
      expect(stats.peakLive).toBeLessThanOrEqual(CAP);
      expect(stats.capRefusals).toBe(0);
      // Sessions died and were replaced while the fleet ran.
      expect(stats.logins).toBeGreaterThan(CAP);
      expect(sweeps.runs).toBeGreaterThan(2);
      const settled = Object.fromEntries(
        [...outcomes].filter(
          ([key]) =>
            ![
              'leased',
              '429 POOL_EXHAUSTED',
              'check-in LEASE_LOST (late)',
            ].includes(key),
        ),
      );
      expect(settled).toEqual({});
      const item = await stack.poolItem();
      expect(item?.live).toBe(Object.keys(item?.sessions ?? {}).length);
      expect(item?.live).toBeGreaterThanOrEqual(0);
    } finally {
      fleetDone = true;
      await stack.close();
    }
  });
});
