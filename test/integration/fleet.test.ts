import { setTimeout as delay } from 'node:timers/promises';
import type { SimAccountPatch } from '../../local/simulator';
import { startTestStack, type TestStack } from '../helpers/stack';

const CAP = 10;
const CHECK_OUTS = 200;
const CALLERS = 50;

/** One consumer job: check out, call the upstream once, check in. */
const job = async (stack: TestStack, caller: number): Promise<string> => {
  const checkOut = await stack.call('POST', '/v1/pools/default/leases', {
    holder: `caller-${caller}`,
    leaseSeconds: 30,
    waitSeconds: 20,
  });
  if (checkOut.status !== 201)
    return `${checkOut.status} ${checkOut.body.code}`;

  const lease = checkOut.body as {
    leaseId: string;
    generation: number;
    baseUrl: string;
    headers: Record<string, string>;
  };
  const upstream = await fetch(`${lease.baseUrl}/campaigns`, {
    headers: lease.headers,
  });
  await upstream.arrayBuffer();
  await delay(5 + Math.random() * 20);

  const checkIn = await stack.call(
    'DELETE',
    `/v1/pools/default/leases/${lease.leaseId}`,
    upstream.ok
      ? { generation: lease.generation, outcome: 'ok' }
      : { generation: lease.generation, outcome: 'rejected' },
  );
  return checkIn.status === 200 ? '201' : `check-in ${checkIn.status}`;
};

describe('Lease API over HTTP, against the simulator', () => {
  it.each<[string, SimAccountPatch, Record<string, string>]>([
    ['healthy logins', {}, {}],
    ['slow logins', { faults: { loginDelayMs: 400 } }, {}],
    ['failing logins', { faults: { loginFailureRate: 0.3 } }, {}],
    [
      'logins that time out after the session was counted',
      { faults: { hangAfterCount: 3, hangMs: 5_000 } },
      { BROKER_LOGIN_TIMEOUT_MS: '500' },
    ],
  ])(
    'keeps the live sessions within the cap with %s',
    async (_title, patch, env) => {
      // Prepare
      const stack = await startTestStack({ cap: CAP, env });
      try {
        stack.simulator.updateAccount(stack.username, patch);
        const outcomes = new Map<string, number>();

        // Act: 50 callers share 200 check-outs.
        let remaining = CHECK_OUTS;
        await Promise.all(
          Array.from({ length: CALLERS }, async (_, caller) => {
            while (remaining > 0) {
              remaining -= 1;
              const outcome = await job(stack, caller);
              outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
            }
          }),
        );

        // Assess
        const stats = stack.simulator.stats(stack.username);
        expect(stats.peakLive).toBeLessThanOrEqual(CAP);
        expect(stats.capRefusals).toBe(0);
        const settled = [...outcomes.keys()].filter(
          (key) => key !== '201' && key !== '429 POOL_EXHAUSTED',
        );
        expect(settled).toEqual([]);
        expect(
          (outcomes.get('201') ?? 0) +
            (outcomes.get('429 POOL_EXHAUSTED') ?? 0),
        ).toBe(CHECK_OUTS);
        const item = await stack.poolItem();
        expect(item?.live).toBe(Object.keys(item?.sessions ?? {}).length);
        expect(stats.logins).toBeLessThanOrEqual(CAP);
      } finally {
        await stack.close();
      }
    },
  );
});
