import crypto from 'node:crypto';
import {
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { SecretsManagerCredentialsSource } from '../../functions/credentials/secrets-manager';
import { newLeaseId, slotOfLease } from '../../functions/pool/ids';
import { systemClock } from '../../functions/shared/clock';
import { type ApiUnderTest, createApiUnderTest } from './api-under-test';
import type { SuiteFigures } from './render-report';
import { recordFigures, SOAK } from './report';

const PRINCIPAL = 'arn:aws:iam::111111111111:role/consumer';
const INTRUDER = 'arn:aws:iam::111111111111:role/intruder';
const LEASE_ID = /^([0-9a-f]{12})\.([0-9a-f]{32})$/;
const RUNS = SOAK ? 1_000 : 100;
const TIMEOUT_MS = SOAK ? 600_000 : 60_000;
const SEED = Number(process.env.BROKER_FC_SEED ?? 20_261_203);

const figures: SuiteFigures['security'] = {
  intruderAttempts: 0,
  intruderSuccesses: 0,
  guessedIdsTried: 0,
  guessedIdsAccepted: 0,
  leaseIdsSampled: 0,
  leaseIdsDistinct: 0,
  randomBitsPerLeaseId: 0,
  baseUrlsTried: 0,
  insecureBaseUrlsAccepted: 0,
};

afterAll(() => recordFigures('security', figures));

const json = { 'content-type': 'application/json' };

describe('Lease API: only the holder may use a lease', () => {
  let api: ApiUnderTest;

  beforeAll(async () => {
    api = await createApiUnderTest({ cap: 2 });
  });

  afterAll(() => api.close());

  const checkOut = async () => {
    const answer = await api.call({
      method: 'POST',
      path: '/v1/pools/default/leases',
      body: '{"waitSeconds":0}',
      headers: json,
      principal: PRINCIPAL,
    });
    expect(answer.status).toBe(201);
    return answer.body as { leaseId: string; generation: number };
  };

  const renew = (leaseId: string, principal: string, generation = 1) =>
    api.call({
      method: 'POST',
      path: `/v1/pools/default/leases/${encodeURIComponent(leaseId)}/renew`,
      body: JSON.stringify({ generation, leaseSeconds: 900 }),
      headers: json,
      principal,
    });

  const checkIn = (leaseId: string, principal: string, generation = 1) =>
    api.call({
      method: 'DELETE',
      path: `/v1/pools/default/leases/${encodeURIComponent(leaseId)}`,
      body: JSON.stringify({
        generation,
        outcome: 'rejected',
        upstreamCode: 200003,
      }),
      headers: json,
      principal,
    });

  it.each([
    ['renew', renew],
    ['check in', checkIn],
  ] as const)(
    'answers 403 NOT_LEASE_HOLDER when another principal tries to %s a lease, and leaves it held',
    async (_verb, act) => {
      // Prepare
      const lease = await checkOut();
      const before = await api.read();

      // Act
      const answer = await act(lease.leaseId, INTRUDER, lease.generation);

      // Assess
      figures.intruderAttempts += 1;
      if (answer.status < 300) figures.intruderSuccesses += 1;
      expect(answer.status).toBe(403);
      expect(answer.body.code).toBe('NOT_LEASE_HOLDER');
      expect(await api.read()).toEqual(before);
      const own = await api.call({
        method: 'DELETE',
        path: `/v1/pools/default/leases/${lease.leaseId}`,
        body: JSON.stringify({ generation: lease.generation, outcome: 'ok' }),
        headers: json,
        principal: PRINCIPAL,
      });
      expect(own.body).toEqual({ leaseId: lease.leaseId, result: 'returned' });
    },
  );

  it(
    'never lets a guessed lease id renew or return a held lease, whoever sends it',
    async () => {
      // Prepare: a held lease; guesses keep its slot and vary the random part.
      const lease = await checkOut();
      const slot = slotOfLease(lease.leaseId) as string;
      const before = await api.read();

      // Act, Assess
      await fc.assert(
        fc.asyncProperty(
          fc.stringMatching(/^[0-9a-f]{32}$/),
          fc.constantFrom(PRINCIPAL, INTRUDER),
          fc.constantFrom('renew', 'check in'),
          fc.integer({ min: 1, max: 3 }),
          async (random, principal, verb, generation) => {
            const guessed = `${slot}.${random}`;
            fc.pre(guessed !== lease.leaseId);
            const answer =
              verb === 'renew'
                ? await renew(guessed, principal, generation)
                : await checkIn(guessed, principal, generation);
            figures.guessedIdsTried += 1;
            if (answer.status < 300) figures.guessedIdsAccepted += 1;
            expect(answer.status).toBe(409);
            expect(answer.body.code).toBe('LEASE_LOST');
          },
        ),
        { numRuns: RUNS, seed: SEED },
      );
      expect(await api.read()).toEqual(before);
    },
    TIMEOUT_MS,
  );
});

describe('Function: newLeaseId', () => {
  it('draws 128 random bits per lease id from the CSPRNG', () => {
    // Prepare
    const spy = jest.spyOn(crypto, 'randomBytes');

    // Act
    const id = newLeaseId('0123456789ab');

    // Assess
    expect(spy).toHaveBeenCalledWith(16);
    const drawn = spy.mock.results[0]?.value as Buffer;
    expect(id).toBe(`0123456789ab.${drawn.toString('hex')}`);
    spy.mockRestore();
  });

  it('mints 10,000 distinct ids whose random part shows no stuck or biased bit', () => {
    // Prepare
    const count = 10_000;
    const ones = new Array<number>(128).fill(0);

    // Act
    const ids = Array.from({ length: count }, () => newLeaseId('0123456789ab'));

    // Assess: the format, uniqueness, and each of the 128 bits set about
    // half the time (5,000 +- 4 sigma = +- 200 over 10,000 draws).
    for (const id of ids) {
      const random = LEASE_ID.exec(id)?.[2];
      expect(random).toHaveLength(32);
      const bits = BigInt(`0x${random}`);
      for (let bit = 0; bit < 128; bit += 1) {
        if ((bits >> BigInt(bit)) & 1n) ones[bit] = (ones[bit] ?? 0) + 1;
      }
    }
    const distinct = new Set(ids).size;
    figures.leaseIdsSampled += count;
    figures.leaseIdsDistinct += distinct;
    figures.randomBitsPerLeaseId = 128;
    expect(distinct).toBe(count);
    expect(Math.min(...ones)).toBeGreaterThan(4_800);
    expect(Math.max(...ones)).toBeLessThan(5_200);
  });
});

describe('Upstream base URL from the secret', () => {
  const secrets = new SecretsManagerClient({ region: 'us-east-1' });
  const mock = mockClient(secrets);
  let api: ApiUnderTest;
  let baseUrl = '';

  beforeAll(async () => {
    mock.on(GetSecretValueCommand).callsFake(async () => ({
      SecretString: JSON.stringify({
        username: 'broker-test',
        password: 'pw-canary-0b1d',
        apiKey: 'key-canary-77aa',
        baseUrl,
      }),
      // One version throughout: a new one would drain every session so far.
      VersionId: 'v1',
    }));
    api = await createApiUnderTest({
      credentials: new SecretsManagerCredentialsSource({
        client: secrets,
        secretId: 'ads/credentials',
        clock: systemClock,
        maxAgeMs: 0,
        staleIfErrorMs: 0,
      }),
    });
  });

  afterAll(async () => {
    mock.restore();
    await api.close();
  });

  const checkOutWith = async (url: string) => {
    baseUrl = url;
    const logins = api.logins();
    const answer = await api.call({
      method: 'POST',
      path: '/v1/pools/default/leases',
      body: '{"waitSeconds":0}',
      headers: json,
      principal: PRINCIPAL,
    });
    figures.baseUrlsTried += 1;
    return { answer, logins: api.logins() - logins };
  };

  it.each([
    'http://adapi.sizmek.com/sas',
    'http://localhost.evil.example/sas',
    'http://127.0.0.1.nip.io/sas',
    'http://[::ffff:127.0.0.1]/sas',
    'http://0.0.0.0/sas',
    'https://user:pw-canary-0b1d@adapi.sizmek.com/sas',
    'http://127.0.0.1:80@evil.example/sas',
    'https://adapi.sizmek.com/sas?next=http://evil.example',
    'ftp://adapi.sizmek.com/sas',
    'javascript:alert(1)',
    'not a url',
  ])(
    'refuses %s with 500 INSECURE_BASE_URL before any login, echoing nothing',
    async (url) => {
      // Act
      const { answer, logins } = await checkOutWith(url);

      // Assess
      if (answer.status < 300) figures.insecureBaseUrlsAccepted += 1;
      expect(answer.status).toBe(500);
      expect(answer.body.code).toBe('INSECURE_BASE_URL');
      expect(logins).toBe(0);
      expect(answer.raw).not.toContain('pw-canary-0b1d');
      expect(answer.raw).not.toContain(url);
    },
  );

  it(
    'refuses plain http to any host off this machine, and takes https',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.domain().filter((host) => !/^localhost$/i.test(host)),
          fc.constantFrom('http', 'https'),
          async (host, scheme) => {
            // Act
            const { answer, logins } = await checkOutWith(
              `${scheme}://${host}/sas`,
            );

            // Assess
            if (scheme === 'http') {
              if (answer.status < 300) figures.insecureBaseUrlsAccepted += 1;
              expect(answer.body.code).toBe('INSECURE_BASE_URL');
              expect(logins).toBe(0);
            } else {
              expect(answer.status).toBe(201);
              expect(answer.body.baseUrl).toBe(
                `https://${host.toLowerCase()}/sas`,
              );
              const lease = answer.body as {
                leaseId: string;
                generation: number;
              };
              await api.broker.checkIn('default', lease.leaseId, {
                principal: PRINCIPAL,
                generation: lease.generation,
                outcome: 'ok',
              });
            }
          },
        ),
        { numRuns: Math.min(RUNS, 60), seed: SEED },
      );
    },
    TIMEOUT_MS,
  );
});
