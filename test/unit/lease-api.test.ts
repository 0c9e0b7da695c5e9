import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createLeaseApi } from '../../functions/http/lease-api';
import { Broker } from '../../functions/pool/broker';
import type { PoolStore } from '../../functions/pool/store';
import { ManualClock } from '../../functions/shared/clock';
import { TEST_TIMINGS } from '../helpers/broker';

const limits = {
  leaseDefaultSeconds: 60,
  leaseMaxSeconds: 900,
  waitDefaultSeconds: 0,
  waitMaxSeconds: 25,
};

const event = (
  overrides: Partial<APIGatewayProxyEvent> = {},
): APIGatewayProxyEvent =>
  ({
    resource: '/v1/pools/{pool}/leases',
    path: '/v1/pools/default/leases',
    httpMethod: 'POST',
    headers: { 'content-type': 'application/json' },
    pathParameters: { pool: 'default' },
    body: '{}',
    isBase64Encoded: false,
    requestContext: { identity: { userArn: 'arn:aws:iam::1:role/a' } },
    ...overrides,
  }) as unknown as APIGatewayProxyEvent;

const context = {
  functionName: 'test',
  getRemainingTimeInMillis: () => 29_000,
} as Context;

describe('Function: createLeaseApi', () => {
  const printed: string[] = [];
  const logger = new Logger({ serviceName: 'test', logLevel: 'DEBUG' });

  beforeEach(() => {
    printed.length = 0;
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk) => {
        printed.push(String(chunk));
        return true;
      });
    }
  });

  afterEach(() => jest.restoreAllMocks());

  const apiWith = (failure: Error) =>
    createLeaseApi({
      logger,
      limits,
      broker: new Broker({
        store: { read: () => Promise.reject(failure) } as unknown as PoolStore,
        clock: new ManualClock(),
        login: () => Promise.reject(new Error('unused')),
        logger,
        pools: [
          {
            name: 'default',
            cap: 10,
            credentials: { get: () => Promise.reject(failure) },
          },
        ],
        timings: TEST_TIMINGS,
      }),
    });

  it('answers 401 UNAUTHENTICATED when API Gateway passed no principal', async () => {
    // Act
    const response = await apiWith(new Error('unused'))(
      event({ requestContext: {} as APIGatewayProxyEvent['requestContext'] }),
      context,
    );

    // Assess
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body).code).toBe('UNAUTHENTICATED');
  });

  it('answers 500 INTERNAL_ERROR without the foreign error text, in the body or the logs', async () => {
    // Prepare: a foreign error whose message quotes a secret.
    const api = apiWith(new TypeError('cannot read token-6f1e2d of undefined'));

    // Act
    const response = await api(event(), context);

    // Assess
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({
      code: 'INTERNAL_ERROR',
      message: 'The broker failed; the error is logged',
    });
    expect(response.headers?.['cache-control']).toBe('no-store');
    const logs = printed.join('');
    expect(logs).toContain('"request failed"');
    expect(logs).toContain('TypeError');
    expect(logs).not.toContain('token-6f1e2d');
  });
});
