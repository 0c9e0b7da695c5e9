import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { rotateSecret } from '../../functions/credentials/rotation';
import { SecretsManagerCredentialsSource } from '../../functions/credentials/secrets-manager';
import { sweepPool } from '../../functions/pool/maintenance';
import { systemClock } from '../../functions/shared/clock';
import {
  createCloudWatchMetrics,
  type MetricsRecorder,
} from '../../functions/shared/metrics';
import {
  LoginOutcomeUnknownError,
  LoginRejectedError,
  LoginUnavailableError,
} from '../../functions/upstream/errors';
import type { Login } from '../../functions/upstream/login-client';
import type { ProxyRequest } from '../../local/api-gateway-adapter';
import {
  type ApiAnswer,
  type ApiUnderTest,
  createApiUnderTest,
} from './api-under-test';
import type { SuiteFigures } from './render-report';
import { recordFigures } from './report';

const canary = (label: string) =>
  `canary-${label}-${randomBytes(6).toString('hex')}`;
/** The secret's values: each must appear nowhere but the check-out headers. */
const SECRET = {
  username: canary('user'),
  password: canary('password'),
  apiKey: canary('api-key'),
};
/** A password staged for rotation: it must appear nowhere at all. */
const STAGED_PASSWORD = canary('staged-password');
const PRINCIPAL = 'arn:aws:iam::111111111111:role/consumer';
const INTRUDER = 'arn:aws:iam::111111111111:role/intruder';
const BASE_URL = 'https://adapi.uat.sizmek.com/sas';
const json = { 'content-type': 'application/json' };

/** What the mocked Secrets Manager serves; flows change it. */
const secretsManager = {
  text: JSON.stringify({ ...SECRET, baseUrl: BASE_URL }),
  version: 'v1',
  down: false,
};

const figures: SuiteFigures['canary'] = {
  canaries: 0,
  flows: 0,
  failureFlows: 0,
  logLines: 0,
  responsesScanned: 0,
  metricDatapoints: 0,
  emfLines: 0,
  leaks: 0,
};

describe('Canary: no secret or token outside the check-out headers', () => {
  it('keeps every canary out of logs, bodies, headers and metrics across every flow, failures included', async () => {
    // Prepare: capture every byte printed, every datapoint recorded.
    const printed: string[] = [];
    const capture = (chunk: unknown, ...rest: unknown[]): boolean => {
      printed.push(String(chunk));
      const done = rest.find((arg) => typeof arg === 'function');
      if (typeof done === 'function') done();
      return true;
    };
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation(capture),
      jest.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];
    const datapoints: unknown[] = [];
    const emf = createCloudWatchMetrics('canary');
    const metrics: MetricsRecorder = {
      record: (pool, name, value) => {
        datapoints.push({ pool, name, value });
        emf.record(pool, name, value);
      },
    };
    const logger = new Logger({ serviceName: 'canary', logLevel: 'DEBUG' });
    const secrets = new SecretsManagerClient({ region: 'us-east-1' });
    const mock = mockClient(secrets);
    mock.on(GetSecretValueCommand).callsFake(async () => {
      if (secretsManager.down) {
        throw Object.assign(new Error('injected: service unavailable'), {
          name: 'InternalServiceError',
        });
      }
      return {
        SecretString: secretsManager.text,
        VersionId: secretsManager.version,
      };
    });
    const tokens: string[] = [];
    let nextLogin: (() => Promise<string>) | undefined;
    const login: Login = async (credentials) => {
      if (nextLogin) return nextLogin();
      if (![SECRET.password, STAGED_PASSWORD].includes(credentials.password)) {
        throw new LoginRejectedError(200001, 500);
      }
      const token = canary('token');
      tokens.push(token);
      return token;
    };
    const source = (staleIfErrorMs: number) =>
      new SecretsManagerCredentialsSource({
        client: secrets,
        secretId: 'ads/credentials',
        clock: systemClock,
        maxAgeMs: 0,
        staleIfErrorMs,
      });
    let dynamoDbDown = false;
    const api = await createApiUnderTest({
      // A pool per failing login: a failed first login holds the probe.
      pools: ['default', 'unavailable', 'unknown', 'rejected'],
      credentials: source(60_000),
      login,
      logger,
      metrics,
    });
    api.table.client.middlewareStack.add(
      (next) => async (args) => {
        if (dynamoDbDown) {
          throw Object.assign(
            new Error(`connect ECONNREFUSED ${SECRET.password}`),
            {
              code: 'ECONNREFUSED',
              $metadata: {},
            },
          );
        }
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'canary-outage' },
    );
    const cold = await createApiUnderTest({
      credentials: source(0),
      login,
      logger,
      metrics,
    });
    const answers: { flow: string; answer: ApiAnswer }[] = [];
    const thrown: unknown[] = [];
    const send = async (
      flow: string,
      request: Partial<ProxyRequest> & { path: string },
      through: ApiUnderTest = api,
    ): Promise<ApiAnswer> => {
      const answer = await through.call({
        method: 'POST',
        headers: json,
        principal: PRINCIPAL,
        ...request,
      });
      answers.push({ flow, answer });
      figures.flows += 1;
      if (answer.status >= 400) figures.failureFlows += 1;
      return answer;
    };
    const leases = '/v1/pools/default/leases';
    const lease = (answer: ApiAnswer) =>
      answer.body as { leaseId: string; generation: number };

    try {
      // Act: the happy flows.
      const first = lease(
        await send('check-out, minting', {
          path: leases,
          body: '{"holder":"canary"}',
        }),
      );
      await send('renew', {
        path: `${leases}/${first.leaseId}/renew`,
        body: JSON.stringify({ generation: first.generation }),
      });
      await send('renew by another principal', {
        path: `${leases}/${first.leaseId}/renew`,
        body: JSON.stringify({ generation: first.generation }),
        principal: INTRUDER,
      });
      await send('check-in with a stale generation', {
        method: 'DELETE',
        path: `${leases}/${first.leaseId}`,
        body: JSON.stringify({ generation: 9, outcome: 'ok' }),
      });
      await send('check-in', {
        method: 'DELETE',
        path: `${leases}/${first.leaseId}`,
        body: JSON.stringify({ generation: first.generation, outcome: 'ok' }),
      });
      const second = lease(
        await send('check-out, idle session', { path: leases, body: '{}' }),
      );
      await send('check-in, session timed out', {
        method: 'DELETE',
        path: `${leases}/${second.leaseId}`,
        body: JSON.stringify({
          generation: second.generation,
          outcome: 'rejected',
          upstreamCode: 200003,
          quota: { availableDaily: 10, availableMonthly: 100 },
        }),
      });
      const third = lease(
        await send('check-out, minting again', {
          path: leases,
          body: `{"holder":"${SECRET.password}"}`,
        }),
      );
      for (const flow of [
        'check-in, rejected otherwise',
        'check-in repeated',
      ]) {
        await send(flow, {
          method: 'DELETE',
          path: `${leases}/${third.leaseId}`,
          body: JSON.stringify({
            generation: third.generation,
            outcome: 'rejected',
            upstreamCode: 500123,
          }),
        });
      }
      await send('status', {
        method: 'GET',
        path: '/v1/pools/default',
        body: null,
      });

      // Act: callers that send the secret's values in their requests.
      for (const body of [
        `{"holder":1,"password":"${SECRET.password}"}`,
        `{"holder":"${SECRET.apiKey}`,
        JSON.stringify({ leaseSeconds: SECRET.password }),
        JSON.stringify({ holder: `${SECRET.apiKey}\u0000` }),
      ]) {
        await send('bad body carrying a secret', { path: leases, body });
      }
      await send('bad media type carrying a secret', {
        path: leases,
        body: SECRET.password,
        headers: { 'content-type': 'text/plain' },
      });
      await send('lease id carrying a secret', {
        method: 'DELETE',
        path: `${leases}/${SECRET.password}`,
        body: '{"generation":1,"outcome":"ok"}',
      });

      // Act: login failures, each on a pool of its own.
      for (const [flow, pool, failure] of [
        [
          'login failed for certain',
          'unavailable',
          new LoginUnavailableError('HTTP 503'),
        ],
        [
          'login outcome unknown',
          'unknown',
          new LoginOutcomeUnknownError('timed out'),
        ],
        [
          'login rejected (breaker opens)',
          'rejected',
          new LoginRejectedError(200001, 500),
        ],
      ] as const) {
        nextLogin = () => Promise.reject(failure);
        await send(flow, {
          path: `/v1/pools/${pool}/leases`,
          body: '{"waitSeconds":0}',
        });
      }
      nextLogin = undefined;
      await send('breaker open', {
        path: '/v1/pools/rejected/leases',
        body: '{"waitSeconds":0}',
      });

      // Act: the stores failing.
      dynamoDbDown = true;
      await send('DynamoDB down', { path: leases, body: '{"waitSeconds":0}' });
      dynamoDbDown = false;
      secretsManager.down = true;
      await send('Secrets Manager down, secret cached', {
        path: leases,
        body: '{"waitSeconds":0}',
      });
      await send(
        'Secrets Manager down, nothing cached',
        { path: leases, body: '{"waitSeconds":0}' },
        cold,
      );
      secretsManager.down = false;
      for (const [flow, text] of [
        [
          'secret not JSON',
          `{"username":"${SECRET.username}","password":"${SECRET.password}",`,
        ],
        [
          'secret missing a field',
          JSON.stringify({ password: SECRET.password, apiKey: SECRET.apiKey }),
        ],
        [
          'secret with credentials in its base URL',
          JSON.stringify({
            ...SECRET,
            baseUrl: `https://${SECRET.username}:${SECRET.password}@adapi.sizmek.com/sas`,
          }),
        ],
        [
          'secret with plain http',
          JSON.stringify({
            ...SECRET,
            baseUrl: `http://adapi.sizmek.com/${SECRET.apiKey}`,
          }),
        ],
      ] as const) {
        secretsManager.text = text;
        secretsManager.version = `v-${flow}`;
        await send(flow, { path: leases, body: '{"waitSeconds":0}' });
      }
      secretsManager.text = JSON.stringify({ ...SECRET, baseUrl: BASE_URL });
      secretsManager.version = 'v1';

      // Act: the rotation function, sweeping and rotating.
      await sweepPool(
        {
          store: api.store,
          clock: systemClock,
          logger,
          broker: api.broker,
          secretVersion: async () => 'v1',
        },
        {
          refreshAheadMs: 4 * 3_600_000,
          demandWindowMs: 3_600_000,
          refreshMinSessions: 2,
          refreshMaxSessions: 3,
          claimMs: 60_000,
        },
        'default',
      ).catch((error: unknown) => thrown.push(error));
      mock.on(DescribeSecretCommand).resolves({
        VersionIdsToStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] },
      });
      mock.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).resolves({
        SecretString: JSON.stringify({
          ...SECRET,
          password: STAGED_PASSWORD,
          baseUrl: BASE_URL,
        }),
        VersionId: 'v2',
      });
      mock.on(UpdateSecretVersionStageCommand).resolves({});
      for (const Step of [
        'createSecret',
        'testSecret',
        'finishSecret',
      ] as const) {
        await rotateSecret(
          { Step, SecretId: 'ads/credentials', ClientRequestToken: 'v2' },
          {
            client: secrets,
            logger,
            // As the rotation function does: a staged value must log in.
            testLogin: async (staged) => {
              const minted = await api.broker.mintIdle('default', staged);
              if (minted !== 'minted') throw new Error(`test login ${minted}`);
            },
            afterPromotion: async () => undefined,
          },
        ).catch((error: unknown) => thrown.push(error));
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
      mock.restore();
      await api.close();
      await cold.close();
    }

    // Assess: the flows did what they say, so the scan means something.
    const status = (flow: string) =>
      answers.find((a) => a.flow === flow)?.answer.status;
    expect(status('check-out, minting')).toBe(201);
    expect(status('renew by another principal')).toBe(403);
    expect(status('login rejected (breaker opens)')).toBe(503);
    expect(status('breaker open')).toBe(503);
    expect(status('DynamoDB down')).toBe(503);
    expect(status('Secrets Manager down, secret cached')).toBe(201);
    expect(status('Secrets Manager down, nothing cached')).toBe(503);
    expect(status('secret with plain http')).toBe(500);
    expect(tokens.length).toBeGreaterThanOrEqual(3);
    const lines = printed
      .join('')
      .split('\n')
      .filter((line) => line.trim());
    const emfLines = lines.filter((line) => line.includes('"_aws"'));
    expect(lines.length).toBeGreaterThan(30);
    expect(emfLines.length).toBeGreaterThan(5);
    for (const event of [
      'login rejected: breaker opened',
      'login outcome unknown: slot quarantined',
      'request failed',
      'rotation step: staged value logged in',
      'rotation step: promoted',
    ]) {
      expect(lines.some((line) => line.includes(event))).toBe(true);
    }
    expect(thrown).toEqual([]);

    // Assess: the scan. A check-out's `headers` is the one place allowed.
    const granted = answers.filter((a) => a.answer.status === 201);
    for (const { answer } of granted) {
      expect(answer.body.headers).toEqual({
        Authorization: expect.stringMatching(/^canary-token-/),
        'api-key': SECRET.apiKey,
      });
    }
    const scanned = [
      ...lines,
      ...answers.map(({ answer }) => {
        const { headers: _allowed, ...rest } = answer.body;
        return `${JSON.stringify(rest)} ${JSON.stringify(answer.headers)}`;
      }),
      ...datapoints.map((point) => JSON.stringify(point)),
    ];
    const canaries = [...Object.values(SECRET), STAGED_PASSWORD, ...tokens];
    const leaks = canaries.flatMap((value) =>
      scanned
        .filter((text) => text.includes(value))
        .map((text) => `${value.split('-')[1]} in: ${text.slice(0, 200)}`),
    );
    Object.assign(figures, {
      canaries: canaries.length,
      logLines: lines.length,
      responsesScanned: answers.length,
      metricDatapoints: datapoints.length,
      emfLines: emfLines.length,
      leaks: leaks.length,
    });
    recordFigures('canary', figures);
    expect(leaks).toEqual([]);
  }, 60_000);
});
