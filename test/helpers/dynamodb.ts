import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localAwsClientConfig } from '../../local/aws-local';
import { createPoolTable } from '../../local/table';

/** A table of its own for one test, on the run's DynamoDB Local. */
export interface TestTable {
  tableName: string;
  /** A client with the shared dummy credentials and region. */
  client: DynamoDBClient;
  /** Deletes the table and closes the client. */
  drop(): Promise<void>;
}

/** The endpoint global setup published, or a clear error when it is absent. */
export function testDynamoDbEndpoint(): string {
  const endpoint = process.env.BROKER_TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) {
    throw new Error(
      'BROKER_TEST_DYNAMODB_ENDPOINT is not set: run the tests through jest, ' +
        'whose global setup starts DynamoDB Local',
    );
  }
  return endpoint;
}

/**
 * Creates a uniquely named pool table (partition key `pool`, on-demand).
 *
 * @example
 * ```ts
 * const table = await createTestTable();
 * afterEach(() => table.drop());
 * ```
 */
export async function createTestTable(): Promise<TestTable> {
  const client = new DynamoDBClient(
    localAwsClientConfig(testDynamoDbEndpoint()),
  );
  const tableName = `test-${randomUUID()}`;
  try {
    // DynamoDB Local makes tables ACTIVE at once: no waiter is needed.
    await createPoolTable(client, tableName);
  } catch (error) {
    client.destroy();
    throw error;
  }

  return {
    tableName,
    client,
    drop: async () => {
      try {
        await client.send(new DeleteTableCommand({ TableName: tableName }));
      } finally {
        client.destroy();
      }
    },
  };
}
