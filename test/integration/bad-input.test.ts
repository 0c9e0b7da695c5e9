import { startTestStack, type TestStack } from '../helpers/stack';

interface Case {
  readonly title: string;
  readonly method: string;
  /** `{lease}` is replaced with a live lease id. */
  readonly path: string;
  /** A string is sent as it is; anything else as JSON. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly status: number;
  readonly code: string;
}

const LEASES = '/v1/pools/default/leases';
const LEASE = `${LEASES}/{lease}`;
const deep = (depth: number): string =>
  `{"holder":${'['.repeat(depth)}${']'.repeat(depth)}}`;

const cases: Case[] = [
  // Check-out bodies
  {
    title: 'truncated JSON',
    method: 'POST',
    path: LEASES,
    body: '{',
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    title: 'a JSON array',
    method: 'POST',
    path: LEASES,
    body: '[]',
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'a JSON string',
    method: 'POST',
    path: LEASES,
    body: '"lease"',
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'JSON null',
    method: 'POST',
    path: LEASES,
    body: 'null',
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'leaseSeconds as a string',
    method: 'POST',
    path: LEASES,
    body: { leaseSeconds: '60' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'leaseSeconds of zero',
    method: 'POST',
    path: LEASES,
    body: { leaseSeconds: 0 },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'negative leaseSeconds',
    method: 'POST',
    path: LEASES,
    body: { leaseSeconds: -5 },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'fractional leaseSeconds',
    method: 'POST',
    path: LEASES,
    body: { leaseSeconds: 1.5 },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'leaseSeconds above the maximum',
    method: 'POST',
    path: LEASES,
    body: { leaseSeconds: 901 },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'leaseSeconds overflowing to Infinity',
    method: 'POST',
    path: LEASES,
    body: '{"leaseSeconds":1e400}',
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'waitSeconds above 25',
    method: 'POST',
    path: LEASES,
    body: { waitSeconds: 26 },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'negative waitSeconds',
    method: 'POST',
    path: LEASES,
    body: { waitSeconds: -1 },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'an empty holder',
    method: 'POST',
    path: LEASES,
    body: { holder: '' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'a holder of 129 characters',
    method: 'POST',
    path: LEASES,
    body: { holder: 'h'.repeat(129) },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'a holder with a NUL byte',
    method: 'POST',
    path: LEASES,
    body: { holder: 'a\u0000b' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'a numeric holder',
    method: 'POST',
    path: LEASES,
    body: { holder: 42 },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'an unknown field',
    method: 'POST',
    path: LEASES,
    body: { pool: 'other' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'a __proto__ key',
    method: 'POST',
    path: LEASES,
    body: '{"__proto__":{"leaseSeconds":1}}',
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'deeply nested JSON',
    method: 'POST',
    path: LEASES,
    body: deep(2_000),
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'a body over 8 KiB',
    method: 'POST',
    path: LEASES,
    body: { holder: 'x'.repeat(9_000) },
    status: 413,
    code: 'BODY_TOO_LARGE',
  },
  {
    title: 'a body over 1 MiB',
    method: 'POST',
    path: LEASES,
    body: 'x'.repeat(1_100_000),
    status: 413,
    code: 'BODY_TOO_LARGE',
  },
  {
    title: 'a text/plain body',
    method: 'POST',
    path: LEASES,
    body: '{}',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  // Paths
  {
    title: 'an unknown pool',
    method: 'POST',
    path: '/v1/pools/nope/leases',
    body: {},
    status: 404,
    code: 'POOL_NOT_FOUND',
  },
  {
    title: 'a pool name that climbs paths',
    method: 'POST',
    path: '/v1/pools/..%2F..%2Fetc/leases',
    body: {},
    status: 404,
    code: 'POOL_NOT_FOUND',
  },
  {
    title: 'a pool name of 65 characters',
    method: 'GET',
    path: `/v1/pools/${'p'.repeat(65)}`,
    status: 404,
    code: 'POOL_NOT_FOUND',
  },
  {
    title: 'an unknown route',
    method: 'GET',
    path: '/v1/pools/default/unknown',
    status: 404,
    code: 'ROUTE_NOT_FOUND',
  },
  {
    title: 'a wrong method',
    method: 'PUT',
    path: LEASES,
    body: {},
    status: 404,
    code: 'ROUTE_NOT_FOUND',
  },
  {
    title: 'an unversioned path',
    method: 'GET',
    path: '/pools/default',
    status: 404,
    code: 'ROUTE_NOT_FOUND',
  },
  // Lease ids
  {
    title: 'a malformed lease id',
    method: 'DELETE',
    path: `${LEASES}/not-a-lease`,
    body: { generation: 1, outcome: 'ok' },
    status: 404,
    code: 'LEASE_NOT_FOUND',
  },
  {
    title: 'a lease id reaching for another attribute',
    method: 'DELETE',
    path: `${LEASES}/${encodeURIComponent('sessions.#s, live = :zero')}`,
    body: { generation: 1, outcome: 'ok' },
    status: 404,
    code: 'LEASE_NOT_FOUND',
  },
  {
    title: 'a well-formed lease id nobody holds',
    method: 'DELETE',
    path: `${LEASES}/${'a'.repeat(12)}.${'b'.repeat(32)}`,
    body: { generation: 1, outcome: 'ok' },
    status: 404,
    code: 'LEASE_NOT_FOUND',
  },
  {
    title: 'a lease of this pool used on another',
    method: 'DELETE',
    path: '/v1/pools/nope/leases/{lease}',
    body: { generation: 1, outcome: 'ok' },
    status: 404,
    code: 'POOL_NOT_FOUND',
  },
  // Check-in bodies
  {
    title: 'a check-in without a generation',
    method: 'DELETE',
    path: LEASE,
    body: { outcome: 'ok' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'a check-in without a body',
    method: 'DELETE',
    path: LEASE,
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'an unknown outcome',
    method: 'DELETE',
    path: LEASE,
    body: { generation: 1, outcome: 'maybe' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'a generation as a string',
    method: 'DELETE',
    path: LEASE,
    body: { generation: '1', outcome: 'ok' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'an upstream code on an ok outcome',
    method: 'DELETE',
    path: LEASE,
    body: { generation: 1, outcome: 'ok', upstreamCode: 200003 },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'a negative upstream code',
    method: 'DELETE',
    path: LEASE,
    body: { generation: 1, outcome: 'rejected', upstreamCode: -1 },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'a stale generation',
    method: 'DELETE',
    path: LEASE,
    body: { generation: 7, outcome: 'ok' },
    status: 409,
    code: 'LEASE_LOST',
  },
  {
    title: 'another principal',
    method: 'DELETE',
    path: LEASE,
    body: { generation: 1, outcome: 'ok' },
    headers: {
      'x-broker-local-principal': 'arn:aws:iam::000000000000:role/other',
    },
    status: 403,
    code: 'NOT_LEASE_HOLDER',
  },
  // Renew bodies
  {
    title: 'a renew without a body',
    method: 'POST',
    path: `${LEASE}/renew`,
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'a renew past the maximum lease',
    method: 'POST',
    path: `${LEASE}/renew`,
    body: { generation: 1, leaseSeconds: 10_000 },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    title: 'a renew by another principal',
    method: 'POST',
    path: `${LEASE}/renew`,
    body: { generation: 1 },
    headers: {
      'x-broker-local-principal': 'arn:aws:iam::000000000000:role/other',
    },
    status: 403,
    code: 'NOT_LEASE_HOLDER',
  },
];

describe('Lease API over HTTP: bad input', () => {
  let stack: TestStack;
  let leaseId: string;

  beforeAll(async () => {
    stack = await startTestStack({ cap: 2 });
    const lease = await stack.call('POST', LEASES, { holder: 'fixture' });
    expect(lease.status).toBe(201);
    leaseId = lease.body.leaseId as string;
  });

  afterAll(() => stack.close());

  it.each(cases)(
    'answers $status $code to $title, and leaves the pool as it was',
    async ({ method, path, body, headers, status, code }) => {
      // Prepare
      const before = await stack.poolItem();

      // Act
      const response = await stack.call(
        method,
        path.replace('{lease}', leaseId),
        body,
        headers,
      );

      // Assess
      expect(response.status).toBe(status);
      expect(response.body.code).toBe(code);
      expect(typeof response.body.message).toBe('string');
      expect(JSON.stringify(response.body)).not.toMatch(/at .+\.ts:\d+/);
      expect(await stack.poolItem()).toEqual(before);
    },
  );
});
