import fc from 'fast-check';
import type { ProxyRequest } from '../../local/api-gateway-adapter';
import {
  type ApiAnswer,
  type ApiUnderTest,
  createApiUnderTest,
} from './api-under-test';
import type { SuiteFigures } from './render-report';
import { recordFigures, SOAK } from './report';

/** Runs per route: a quick sample in CI, thousands in the soak. */
const RUNS = Number(process.env.BROKER_FC_RUNS ?? (SOAK ? 2_000 : 120));
/** Per property: generous, since the soak sends thousands of requests. */
const TIMEOUT_MS = SOAK ? 900_000 : 120_000;
/** Fixed so a failure replays; fast-check prints it with the path. */
const SEED = Number(process.env.BROKER_FC_SEED ?? 20_261_203);

const PRINCIPAL = 'arn:aws:iam::111111111111:role/consumer';
const OTHER = 'arn:aws:iam::111111111111:role/intruder';

/** Every 4xx code the README documents. */
const STABLE_CODES = new Set([
  'INVALID_JSON',
  'INVALID_REQUEST',
  'UNAUTHENTICATED',
  'NOT_LEASE_HOLDER',
  'POOL_NOT_FOUND',
  'LEASE_NOT_FOUND',
  'ROUTE_NOT_FOUND',
  'LEASE_LOST',
  'LEASE_EXPIRED',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'POOL_EXHAUSTED',
  'QUOTA_EXHAUSTED',
]);

const figures: SuiteFigures['hostile-input'] = {
  seed: SEED,
  runsPerProperty: RUNS,
  inputsTried: 0,
  byRoute: {} as Record<string, number>,
  answers: {} as Record<string, number>,
  fiveHundreds: 0,
  unstableCodes: 0,
  poolChangedOn4xx: 0,
};

// ---- Arbitraries ---------------------------------------------------------

const nastyStrings = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '\u202e',
  'a\u200bb',
  '\ud800',
  '👩‍👩‍👧‍👦',
  'ＡＢＣ',
  '__proto__',
  'constructor',
  '#s',
  ':now',
  'live',
  'sessions',
  'pool',
  'x) OR attribute_exists(#pool',
  '#live = #live - :one',
  '../../etc/passwd',
  '%00',
  'h'.repeat(129),
);

/** A field value of any shape, including the ones JSON cannot write. */
const anyValue = fc.oneof(
  fc.jsonValue(),
  nastyStrings,
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1.5, 901, 26, 2 ** 53, -0),
);

/** Bodies that are not what any route wants, or only nearly. */
const hostileText = fc.oneof(
  fc.json(),
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.constantFrom(
    '',
    '{',
    '[]',
    'null',
    'true',
    '"lease"',
    '{"a":',
    '{"__proto__":{"polluted":1}}',
    '{"leaseSeconds":1e400}',
    '{"waitSeconds":-0}',
    '{"generation":1,"generation":2}',
  ),
  fc
    .integer({ min: 1, max: 5_000 })
    .map((depth) => `{"holder":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  fc
    .integer({ min: 1, max: 2_000 })
    .map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  fc
    .integer({ min: 8 * 1024 - 16, max: 40_000 })
    .map((size) => JSON.stringify({ holder: 'h'.repeat(size) })),
);

const holder = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 140 }),
  fc.string({ unit: 'binary', maxLength: 140 }),
  nastyStrings,
  anyValue,
);

const checkOutBody = fc.oneof(
  hostileText,
  fc
    .record(
      {
        holder: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 128 }),
        leaseSeconds: fc.integer({ min: 1, max: 900 }),
        waitSeconds: fc.integer({ min: 0, max: 2 }),
      },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body)),
  fc
    .record(
      {
        holder,
        leaseSeconds: anyValue,
        waitSeconds: fc.oneof(anyValue, fc.integer({ min: 0, max: 2 })),
        extra: anyValue,
      },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body)),
);

const renewBody = fc.oneof(
  hostileText,
  fc
    .record({
      generation: fc.integer({ min: 0, max: 3 }),
      leaseSeconds: fc.integer({ min: 1, max: 900 }),
    })
    .map((body) => JSON.stringify(body)),
  fc
    .record(
      { generation: anyValue, leaseSeconds: anyValue, extra: anyValue },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body)),
);

const checkInBody = fc.oneof(
  hostileText,
  fc
    .record({
      generation: fc.integer({ min: 0, max: 3 }),
      outcome: fc.constantFrom('ok', 'rejected'),
    })
    .map((body) => JSON.stringify(body)),
  fc
    .record(
      {
        generation: fc.oneof(anyValue, fc.integer({ min: 0, max: 3 })),
        outcome: fc.oneof(
          fc.constantFrom('ok', 'rejected', 'OK', ''),
          anyValue,
        ),
        upstreamCode: anyValue,
        quota: fc.oneof(
          anyValue,
          fc.record(
            {
              availableDaily: anyValue,
              availableMonthly: anyValue,
              limitDaily: anyValue,
              surprise: anyValue,
            },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body)),
);

/**
 * A path segment as a client would send it: UTF-8, percent-encoded. Lone
 * surrogates, which `encodeURIComponent` refuses and no request can carry,
 * become U+FFFD, as they do on the wire.
 */
const percentEncoded = (text: string): string =>
  [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

/** Path segments for a pool: real ones, near misses, encoded garbage. */
const poolSegment = fc.oneof(
  { weight: 4, arbitrary: fc.constant('default') },
  fc.constant('other'),
  fc.constantFrom(
    'DEFAULT',
    'default%20',
    '..',
    '%2e%2e',
    'a'.repeat(65),
    '%00',
  ),
  fc
    .string({ unit: 'binary', minLength: 1, maxLength: 70 })
    .map(percentEncoded),
);

/** Lease ids: the held one, another pool's, guesses, expression bait. */
const leaseSegment = fc.oneof(
  { weight: 3, arbitrary: fc.constant('{held}') },
  fc.constant('{other-pool}'),
  fc.constant('{held-slot-guess}'),
  fc.stringMatching(/^[0-9a-f]{12}\.[0-9a-f]{32}$/),
  nastyStrings.filter((text) => text.length > 0).map(percentEncoded),
  fc
    .string({ unit: 'binary', minLength: 1, maxLength: 80 })
    .map(percentEncoded),
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant<string | undefined>('application/json') },
  fc.constant<string | undefined>(undefined),
  fc.constantFrom<string | undefined>(
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/jsonp',
    '',
  ),
);

const envelope = fc.record({
  principal: fc.oneof(
    { weight: 8, arbitrary: fc.constant<string | undefined>(PRINCIPAL) },
    fc.constantFrom<string | undefined>(undefined, '', OTHER),
  ),
  contentType,
  headers: fc.dictionary(
    fc.string({ maxLength: 20 }),
    fc.string({ maxLength: 40 }),
    {
      maxKeys: 3,
    },
  ),
  query: fc.dictionary(
    fc.string({ maxLength: 20 }),
    fc.string({ maxLength: 40 }),
    {
      maxKeys: 3,
    },
  ),
  base64: fc.boolean(),
});

type Envelope = typeof envelope extends fc.Arbitrary<infer T> ? T : never;

// ---- The property --------------------------------------------------------

describe('Lease API: hostile input, property-based', () => {
  let api: ApiUnderTest;
  /** A lease held by PRINCIPAL in `default`, re-made whenever it is used up. */
  let held: { leaseId: string; generation: number };
  let otherPool: { leaseId: string };

  const checkOut = async (pool: string) => {
    const answer = await api.call({
      method: 'POST',
      path: `/v1/pools/${pool}/leases`,
      body: '{}',
      headers: { 'content-type': 'application/json' },
      principal: PRINCIPAL,
    });
    expect(answer.status).toBe(201);
    return answer.body as { leaseId: string; generation: number };
  };

  beforeAll(async () => {
    api = await createApiUnderTest({ pools: ['default', 'other'], cap: 3 });
    held = await checkOut('default');
    otherPool = await checkOut('other');
  });

  afterAll(async () => {
    await api.close();
    recordFigures('hostile-input', figures);
  });

  const resolve = (segment: string): string =>
    segment
      .replace('{held}', held.leaseId)
      .replace('{other-pool}', otherPool.leaseId)
      .replace(
        '{held-slot-guess}',
        `${held.leaseId.split('.')[0]}.${'0'.repeat(32)}`,
      );

  /**
   * Sends one request and checks the promises every answer keeps: no 5xx,
   * a documented code on every 4xx, `no-store`, and on a 4xx both pools
   * exactly as they were.
   */
  const probe = async (
    route: string,
    request: ProxyRequest,
  ): Promise<ApiAnswer> => {
    const before = [await api.read('default'), await api.read('other')];
    const answer = await api.call(request);
    const key =
      answer.status < 300
        ? String(answer.status)
        : `${answer.status} ${answer.body.code}`;
    figures.inputsTried += 1;
    figures.byRoute[route] = (figures.byRoute[route] ?? 0) + 1;
    figures.answers[key] = (figures.answers[key] ?? 0) + 1;
    if (answer.status >= 500) figures.fiveHundreds += 1;

    expect(answer.status).toBeLessThan(500);
    expect(answer.headers['cache-control']).toBe('no-store');
    if (answer.status >= 400) {
      if (!STABLE_CODES.has(String(answer.body.code)))
        figures.unstableCodes += 1;
      expect(STABLE_CODES).toContain(answer.body.code);
      expect(typeof answer.body.message).toBe('string');
      const after = [await api.read('default'), await api.read('other')];
      if (JSON.stringify(after) !== JSON.stringify(before))
        figures.poolChangedOn4xx += 1;
      expect(after).toEqual(before);
    }
    return answer;
  };

  /** Puts back whatever a successful request took or used up. */
  const restore = async (
    answer: ApiAnswer,
    path: string,
    principal: string | undefined,
  ): Promise<void> => {
    if (answer.status === 201) {
      const granted = answer.body as {
        pool: string;
        leaseId: string;
        generation: number;
      };
      await api.broker.checkIn(granted.pool, granted.leaseId, {
        principal: principal ?? PRINCIPAL,
        generation: granted.generation,
        outcome: 'ok',
      });
    }
    if (
      answer.status === 200 &&
      path.includes(held.leaseId) &&
      'result' in answer.body
    ) {
      held = await checkOut('default');
    }
  };

  const send = (
    method: string,
    path: string,
    body: string | undefined,
    env: Envelope,
  ): ProxyRequest => {
    const text = body ?? null;
    return {
      method,
      path,
      body:
        env.base64 && text !== null
          ? Buffer.from(text).toString('base64')
          : text,
      isBase64Encoded: env.base64,
      headers: {
        ...env.headers,
        ...(env.contentType === undefined
          ? {}
          : { 'content-type': env.contentType }),
      },
      query: env.query,
      ...(env.principal === undefined ? {} : { principal: env.principal }),
    };
  };

  const check = <T extends [unknown, ...unknown[]]>(
    property: fc.IAsyncProperty<T>,
  ) => fc.assert(property, { numRuns: RUNS, seed: SEED, endOnFailure: true });

  it(
    'answers any check-out with a success or a stable 4xx, never a 5xx',
    async () => {
      await check(
        fc.asyncProperty(
          poolSegment,
          checkOutBody,
          envelope,
          async (pool, body, env) => {
            // Prepare, Act, Assess: one request per run, checked by probe.
            const path = `/v1/pools/${pool}/leases`;
            const answer = await probe(
              'check-out',
              send('POST', path, body, env),
            );
            await restore(answer, path, env.principal);
          },
        ),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'answers any renew with a success or a stable 4xx, never a 5xx',
    async () => {
      await check(
        fc.asyncProperty(
          poolSegment,
          leaseSegment,
          renewBody,
          envelope,
          async (pool, lease, body, env) => {
            const path = `/v1/pools/${pool}/leases/${resolve(lease)}/renew`;
            const answer = await probe('renew', send('POST', path, body, env));
            await restore(answer, path, env.principal);
          },
        ),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'answers any check-in with a success or a stable 4xx, never a 5xx',
    async () => {
      await check(
        fc.asyncProperty(
          poolSegment,
          leaseSegment,
          checkInBody,
          envelope,
          async (pool, lease, body, env) => {
            const path = `/v1/pools/${pool}/leases/${resolve(lease)}`;
            const answer = await probe(
              'check-in',
              send('DELETE', path, body, env),
            );
            await restore(answer, path, env.principal);
          },
        ),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'answers any status read with the counts or a stable 4xx, never a 5xx',
    async () => {
      await check(
        fc.asyncProperty(
          poolSegment,
          fc.option(hostileText, { nil: undefined }),
          envelope,
          async (pool, body, env) => {
            const answer = await probe(
              'status',
              send('GET', `/v1/pools/${pool}`, body, env),
            );
            if (answer.status === 200) {
              expect(JSON.stringify(answer.body)).not.toMatch(/token-\d/);
            }
          },
        ),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'answers any other method and path with a stable 4xx',
    async () => {
      await check(
        fc.asyncProperty(
          fc.constantFrom(
            'GET',
            'POST',
            'PUT',
            'PATCH',
            'DELETE',
            'HEAD',
            'OPTIONS',
            'TRACE',
            'BREW',
          ),
          fc.oneof(
            fc
              .webPath()
              .map((path) => (path.startsWith('/') ? path : `/${path}`)),
            fc
              .array(fc.string({ unit: 'binary', maxLength: 12 }), {
                maxLength: 6,
              })
              .map((segments) => `/${segments.map(percentEncoded).join('/')}`),
            fc.constantFrom(
              '/v1/pools',
              '/v1/pools/',
              '/v2/pools/default',
              '/v1/pools/default/leases/x/y/z',
            ),
          ),
          fc.option(hostileText, { nil: undefined }),
          envelope,
          async (method, path, body, env) => {
            const answer = await probe(
              'other routes',
              send(method, path, body, env),
            );
            await restore(answer, path, env.principal);
          },
        ),
      );
    },
    TIMEOUT_MS,
  );
});
