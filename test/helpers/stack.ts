import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { PoolItem } from '../../functions/pool/model';
import { localAwsClientConfig } from '../../local/aws-local';
import type { UpstreamSimulator } from '../../local/simulator';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { testDynamoDbEndpoint } from './dynamodb';

export interface TestStack extends LocalStack {
  readonly simulator: UpstreamSimulator;
  readonly username: string;
  /** The pool item as stored, read straight from the table. */
  poolItem(): Promise<PoolItem | undefined>;
  /** `fetch` against the broker's API, JSON in and out. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{
    status: number;
    body: Record<string, unknown>;
    headers: Headers;
  }>;
}

/**
 * The whole broker over real HTTP, on the run's DynamoDB Local with a table
 * of its own and a simulator of its own.
 */
export const startTestStack = async (
  options: {
    cap?: number;
    env?: Record<string, string>;
    logger?: Logger;
    credentials?: { username: string; password: string; apiKey: string };
  } = {},
): Promise<TestStack> => {
  const endpoint = testDynamoDbEndpoint();
  const tableName = `it-${randomUUID()}`;
  const credentials = options.credentials ?? {
    username: `user-${randomUUID().slice(0, 8)}`,
    password: 'pw-canary-5d1e0a',
    apiKey: 'key-canary-77c2f9',
  };
  const stack = await startLocalStack({
    dynamoDbEndpoint: endpoint,
    credentials,
    env: {
      BROKER_TABLE_NAME: tableName,
      BROKER_POOLS: JSON.stringify([
        { name: 'default', cap: options.cap ?? 10 },
      ]),
      ...options.env,
    },
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const simulator = stack.simulator as UpstreamSimulator;
  simulator.updateAccount(credentials.username, {
    dailyQuota: 1_000_000,
    monthlyQuota: 1_000_000,
  });
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient(localAwsClientConfig(endpoint)),
  );

  return {
    ...stack,
    simulator,
    username: credentials.username,
    close: async () => {
      doc.destroy();
      await stack.close();
    },
    poolItem: async () =>
      (
        await doc.send(
          new GetCommand({ TableName: tableName, Key: { pool: 'default' } }),
        )
      ).Item as PoolItem | undefined,
    call: async (method, path, body, headers = {}) => {
      const response = await fetch(`${stack.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body === undefined
          ? {}
          : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        parsed = { raw: text };
      }
      return {
        status: response.status,
        body: parsed,
        headers: response.headers,
      };
    },
  };
};
