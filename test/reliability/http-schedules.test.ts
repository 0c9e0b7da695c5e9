import { setTimeout as delay } from 'node:timers/promises';
import { seededRandom } from '../helpers/seeded-random';
import { startTestStack, type TestStack } from '../helpers/stack';
import type { SuiteFigures } from './render-report';
import { recordFigures, SOAK } from './report';

/** Fewer than in-process: each one is a whole stack over real HTTP. */
const SCHEDULES = SOAK ? 12 : 2;
const CALLERS = 50;
const CAP = 10;
const INTRUDER = 'arn:aws:iam::222222222222:role/intruder';

/** Answers a caller may get; anything else (a 500 above all) is a failure. */
const ALLOWED = new Set([
  '201',
  '200',
  '403 NOT_LEASE_HOLDER',
  '404 LEASE_NOT_FOUND',
  '409 LEASE_LOST',
  '409 LEASE_EXPIRED',
  '429 POOL_EXHAUSTED',
  '503 BREAKER_OPEN',
  '503 UPSTREAM_LOGIN_FAILED',
]);

const seeds = process.env.BROKER_HTTP_SEED
  ? [Number(process.env.BROKER_HTTP_SEED)]
  : Array.from({ length: SCHEDULES }, (_, i) => 1_001 + i);

const figures: SuiteFigures['http-schedules'] = {
  schedules: 0,
  callers: 0,
  requests: 0,
  answers: {} as Record<string, number>,
  simulatorFaults: {} as Record<string, number>,
  simulatorPeakLiveMax: 0,
  simulatorCapRefusals: 0,
  credentialChanges: 0,
  sweeps: 0,
  violations: 0,
};

const tally = (into: Record<string, number>, key: string, by = 1) => {
  into[key] = (into[key] ?? 0) + by;
};

describe('Lease API over HTTP under seeded simulator faults', () => {
  afterAll(() => recordFigures('http-schedules', figures));

  it.each(seeds)(
    'keeps the simulator within the cap and answers every caller with a stable code (seed %i)',
    async (seed) => {
      // Prepare: faults drawn from the seed, and a short login timeout so
      // hung logins end, as unknown outcomes, within the schedule.
      const random = seededRandom(seed);
      const stack = await startTestStack({
        cap: CAP,
        env: {
          BROKER_LOGIN_TIMEOUT_MS: '300',
          BROKER_LEASE_DEFAULT_SECONDS: '2',
        },
      });
      const answers: Record<string, number> = {};
      const violations: string[] = [];
      const request = async (
        ...args: Parameters<TestStack['call']>
      ): ReturnType<TestStack['call']> => {
        const response = await stack.call(...args);
        const key =
          response.status < 300
            ? String(response.status)
            : `${response.status} ${response.body.code}`;
        tally(answers, key);
        figures.requests += 1;
        if (!ALLOWED.has(key)) violations.push(`${args[0]} ${args[1]}: ${key}`);
        return response;
      };
      const faults = {
        loginDelayMs: random.chance(0.5) ? random.int(50, 400) : 0,
        loginFailureRate: random.chance(0.5) ? random.next() * 0.3 : 0,
        hangAfterCount: random.chance(0.5) ? random.int(1, 4) : 0,
        hangMs: 1_000,
      };
      stack.simulator.updateAccount(stack.username, { faults });
      for (const [kind, value] of Object.entries(faults)) {
        if (value > 0 && kind !== 'hangMs')
          tally(figures.simulatorFaults, kind);
      }
      let running = true;

      try {
        // Act: 50 callers; the operator changes credentials; sweeps race.
        const caller = async (index: number): Promise<void> => {
          await delay(random.int(0, 300));
          const leaseSeconds = random.int(1, 2);
          const lease = await request('POST', '/v1/pools/default/leases', {
            holder: `http-caller-${index}`,
            leaseSeconds,
            waitSeconds: random.int(0, 2),
          });
          if (lease.status !== 201) return;
          const { leaseId, generation, baseUrl, headers } = lease.body as {
            leaseId: string;
            generation: number;
            baseUrl: string;
            headers: Record<string, string>;
          };
          if (random.chance(0.15)) {
            await request(
              'DELETE',
              `/v1/pools/default/leases/${leaseId}`,
              { generation, outcome: 'ok' },
              { 'x-broker-local-principal': INTRUDER },
            );
          }
          const upstream = await fetch(`${baseUrl}/campaigns`, { headers });
          const body = (await upstream.json()) as {
            error?: { errors?: { code?: number }[] }[];
          };
          if (random.chance(0.1)) return; // dies holding the lease
          // Now and then a holder outlives its lease, then checks in.
          await delay(
            random.chance(0.1) ? leaseSeconds * 1_000 + 150 : random.int(0, 30),
          );
          const code = body.error?.[0]?.errors?.[0]?.code;
          await request(
            'DELETE',
            `/v1/pools/default/leases/${leaseId}`,
            upstream.ok
              ? { generation, outcome: 'ok' }
              : {
                  generation,
                  outcome: 'rejected',
                  ...(code === undefined ? {} : { upstreamCode: code }),
                },
          );
        };
        const operator = async (): Promise<void> => {
          if (!random.chance(0.5)) return;
          await delay(random.int(200, 800));
          const field = random.chance(0.5) ? 'password' : 'apiKey';
          const value = `${field}-${random.hex(12)}`;
          stack.simulator.updateAccount(stack.username, { [field]: value });
          await delay(random.int(100, 600));
          const current = await stack.credentials.get();
          stack.credentials.set({
            ...current,
            [field]: value,
            versionId: `local-${seed}-2`,
          });
          figures.credentialChanges += 1;
        };
        const sweeper = async (): Promise<void> => {
          while (running) {
            await delay(random.int(100, 400));
            await stack.sweep();
            figures.sweeps += 1;
          }
        };
        const sweeping = sweeper();
        await Promise.all([
          operator(),
          ...Array.from({ length: CALLERS }, (_, i) => caller(i)),
        ]);
        running = false;
        await sweeping;

        // Assess
        const stats = stack.simulator.stats(stack.username);
        const item = await stack.poolItem();
        figures.schedules += 1;
        figures.callers += CALLERS;
        figures.simulatorPeakLiveMax = Math.max(
          figures.simulatorPeakLiveMax,
          stats.peakLive,
        );
        figures.simulatorCapRefusals += stats.capRefusals;
        figures.violations += violations.length;
        for (const [key, count] of Object.entries(answers)) {
          tally(figures.answers, key, count);
        }
        expect({ seed, violations }).toEqual({ seed, violations: [] });
        expect(stats.peakLive).toBeLessThanOrEqual(CAP);
        expect(stats.capRefusals).toBe(0);
        expect(item?.live).toBe(Object.keys(item?.sessions ?? {}).length);
      } finally {
        running = false;
        await stack.close();
      }
    },
    60_000,
  );
});
