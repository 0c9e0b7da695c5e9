import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import {
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { localAwsClientConfig } from '../../local/aws-local';
import {
  type DynamoDbLocalHandle,
  startDynamoDbLocal,
} from '../../local/dynamodb-local';
import { createTestTable } from '../helpers/dynamodb';

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function enginesOnPort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('ps', ['-eo', 'args'], (error, stdout) => {
      if (error) {
        reject(error);
        return;
      }
      const lines = stdout.split('\n');
      resolve(
        lines.filter(
          (line) =>
            line.includes('DynamoDBLocal.jar') &&
            line.includes(`-port ${port}`),
        ).length,
      );
    });
  });
}

describe('Function: startDynamoDbLocal', () => {
  let engine: DynamoDbLocalHandle | undefined;

  afterEach(async () => {
    await engine?.stop();
    engine = undefined;
  });

  it('starts an engine on a free loopback port that answers ListTables', async () => {
    // Act
    engine = await startDynamoDbLocal();
    const client = new DynamoDBClient(localAwsClientConfig(engine.endpoint));
    const tables = await client.send(new ListTablesCommand({}));
    client.destroy();

    // Assess
    expect(engine.endpoint).toBe(`http://127.0.0.1:${engine.port}`);
    expect(tables.TableNames).toEqual([]);
  });

  it('ends the Java process on stop()', async () => {
    // Prepare
    engine = await startDynamoDbLocal();
    const { port } = engine;
    expect(await enginesOnPort(port)).toBe(1);

    // Act
    await engine.stop();
    engine = undefined;

    // Assess
    expect(await enginesOnPort(port)).toBe(0);
    expect(await portAccepts(port)).toBe(false);
  });

  it('fails with one line naming the Java package when java is missing', async () => {
    // Act
    const started = startDynamoDbLocal({ env: { PATH: '/nonexistent' } });
    // Should it start after all, stop it with the rest.
    started.then(
      (handle) => {
        engine = handle;
      },
      () => undefined,
    );

    // Assess
    await expect(started).rejects.toThrow(
      /^[^\n]*Java runtime \(17 or newer\)[^\n]*apt-get install -y openjdk-17-jre-headless$/,
    );
  });
});

describe('Function: createTestTable', () => {
  it('makes a pool table on the run-wide engine, and drops it', async () => {
    // Prepare
    const table = await createTestTable();

    // Act
    const described = await table.client.send(
      new DescribeTableCommand({ TableName: table.tableName }),
    );
    const probe = new DynamoDBClient(
      localAwsClientConfig(process.env.BROKER_TEST_DYNAMODB_ENDPOINT ?? ''),
    );
    await table.drop();

    // Assess
    expect(described.Table).toMatchObject({
      KeySchema: [{ AttributeName: 'pool', KeyType: 'HASH' }],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
    });
    await expect(
      probe.send(new DescribeTableCommand({ TableName: table.tableName })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    probe.destroy();
  });
});
