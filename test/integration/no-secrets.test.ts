import { Logger } from '@aws-lambda-powertools/logger';
import { startTestStack } from '../helpers/stack';

const CANARY = {
  username: 'canary-user-3b9d',
  password: 'canary-password-e41f0c',
  apiKey: 'canary-api-key-a7d2b5',
};

describe('Lease API over HTTP: secrets', () => {
  it('never writes a token, password or api-key outside the check-out headers', async () => {
    // Prepare: capture every byte the process prints while the flows run.
    const printed: string[] = [];
    const capture =
      () =>
      (chunk: unknown, ...rest: unknown[]): boolean => {
        printed.push(String(chunk));
        const callback = rest.find((arg) => typeof arg === 'function');
        if (typeof callback === 'function') callback();
        return true;
      };
    const stdout = jest
      .spyOn(process.stdout, 'write')
      .mockImplementation(capture());
    const stderr = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation(capture());
    const stack = await startTestStack({
      cap: 2,
      credentials: CANARY,
      logger: new Logger({ serviceName: 'canary', logLevel: 'DEBUG' }),
    });
    const bodies: string[] = [];
    const tokens: string[] = [];
    const call = async (...args: Parameters<typeof stack.call>) => {
      const response = await stack.call(...args);
      const { headers, ...rest } = response.body as {
        headers?: Record<string, string>;
      };
      if (headers?.Authorization) tokens.push(headers.Authorization);
      bodies.push(JSON.stringify(rest), JSON.stringify([...response.headers]));
      return response;
    };

    try {
      // Act: every flow, the failing ones included.
      const first = await call('POST', '/v1/pools/default/leases', {
        holder: 'canary',
      });
      const id = first.body.leaseId as string;
      await call('POST', `/v1/pools/default/leases/${id}/renew`, {
        generation: 1,
      });
      await call('DELETE', `/v1/pools/default/leases/${id}`, {
        generation: 9,
        outcome: 'ok',
      });
      await call('DELETE', `/v1/pools/default/leases/${id}`, {
        generation: 1,
        outcome: 'ok',
      });
      const second = await call('POST', '/v1/pools/default/leases', {});
      await call('DELETE', `/v1/pools/default/leases/${second.body.leaseId}`, {
        generation: second.body.generation,
        outcome: 'rejected',
        upstreamCode: 200003,
      });
      stack.simulator.updateAccount(CANARY.username, {
        password: 'rotated-elsewhere',
      });
      const refused = await call('POST', '/v1/pools/default/leases', {
        waitSeconds: 0,
      });
      await call('GET', '/v1/pools/default');
      await call(
        'POST',
        '/v1/pools/default/leases',
        `{"holder":"${CANARY.password}"`,
      );
      await call('POST', '/v1/pools/default/leases', {
        holder: 7,
        password: CANARY.password,
      });

      // Assess
      expect(first.status).toBe(201);
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe('BREAKER_OPEN');
    } finally {
      await stack.close();
      stdout.mockRestore();
      stderr.mockRestore();
    }

    const logLines = printed
      .join('')
      .split('\n')
      .filter((line) => line.trim());
    expect(logLines.length).toBeGreaterThan(5);
    expect(logLines.some((line) => line.includes('lease granted'))).toBe(true);
    expect(tokens.length).toBe(2);
    const secrets = [CANARY.password, CANARY.apiKey, ...tokens];
    for (const secret of secrets) {
      for (const line of [...logLines, ...bodies])
        expect(line).not.toContain(secret);
    }
  });
});
