import {
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsManagerCredentialsSource } from '../../functions/credentials/secrets-manager';
import { ManualClock } from '../../functions/shared/clock';
import { type ApiUnderTest, createApiUnderTest } from './api-under-test';
import type { SuiteFigures } from './render-report';
import { recordFigures } from './report';

const PRINCIPAL = 'arn:aws:iam::111111111111:role/consumer';
const SECRET = JSON.stringify({
  username: 'broker-test',
  password: 'pw-canary-3c0f',
  apiKey: 'key-canary-61d2',
  baseUrl: 'https://adapi.uat.sizmek.com/sas',
});
const MAX_AGE_MS = 1_000;
const STALE_IF_ERROR_MS = 60_000;
const figures: SuiteFigures['secrets-faults'] = {
  readsFailed: 0,
  checkOutsServedFromCache: 0,
  refusedWithoutCache: 0,
};

const throttled = () =>
  Object.assign(new Error('injected: rate exceeded'), {
    name: 'ThrottlingException',
  });

describe('Secrets Manager failing under the lease API', () => {
  const secrets = new SecretsManagerClient({ region: 'us-east-1' });
  const mock = mockClient(secrets);
  const clock = new ManualClock(Date.now());
  let api: ApiUnderTest;

  beforeEach(async () => {
    mock.reset();
    api = await createApiUnderTest({
      clock,
      credentials: new SecretsManagerCredentialsSource({
        client: secrets,
        secretId: 'ads/credentials',
        clock,
        maxAgeMs: MAX_AGE_MS,
        staleIfErrorMs: STALE_IF_ERROR_MS,
      }),
    });
  });

  afterEach(() => api.close());

  afterAll(() => {
    mock.restore();
    recordFigures('secrets-faults', figures);
  });

  const checkOutAndReturn = async () => {
    const answer = await api.call({
      method: 'POST',
      path: '/v1/pools/default/leases',
      body: '{"waitSeconds":0}',
      headers: { 'content-type': 'application/json' },
      principal: PRINCIPAL,
    });
    if (answer.status === 201) {
      const lease = answer.body as { leaseId: string; generation: number };
      await api.broker.checkIn('default', lease.leaseId, {
        principal: PRINCIPAL,
        generation: lease.generation,
        outcome: 'ok',
      });
    }
    return answer;
  };

  it.each([
    ['throttled', throttled],
    [
      'down',
      () =>
        Object.assign(new Error('injected'), { name: 'InternalServiceError' }),
    ],
  ])(
    'keeps serving check-outs from the cached secret while Secrets Manager is %s',
    async (_state, failure) => {
      // Prepare: one good read, then every read fails.
      mock
        .on(GetSecretValueCommand)
        .resolvesOnce({ SecretString: SECRET, VersionId: 'v1' })
        .callsFake(async () => {
          figures.readsFailed += 1;
          throw failure();
        });
      expect((await checkOutAndReturn()).status).toBe(201);

      // Act: past the cache's age, within the stale-if-error window.
      const answers = [];
      for (const step of [MAX_AGE_MS, 10_000, STALE_IF_ERROR_MS - 12_000]) {
        clock.advance(step);
        answers.push((await checkOutAndReturn()).status);
      }

      // Assess
      figures.checkOutsServedFromCache += answers.filter(
        (s) => s === 201,
      ).length;
      expect(answers).toEqual([201, 201, 201]);
      expect(api.logins()).toBe(1);
      expect(mock.commandCalls(GetSecretValueCommand).length).toBeGreaterThan(
        1,
      );
    },
  );

  it('answers 503 SECRET_UNAVAILABLE without logging in when nothing was ever read', async () => {
    // Prepare
    mock.on(GetSecretValueCommand).callsFake(async () => {
      figures.readsFailed += 1;
      throw throttled();
    });

    // Act
    const answer = await checkOutAndReturn();

    // Assess
    figures.refusedWithoutCache += 1;
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ code: 'SECRET_UNAVAILABLE' });
    expect(answer.raw).not.toContain('rate exceeded');
    expect(api.logins()).toBe(0);
    // The empty pool item may be written; no slot is ever counted.
    expect(await api.read()).toMatchObject({ live: 0, sessions: {} });
  });
});
