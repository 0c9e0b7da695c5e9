import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { BrokerClient } from '../../client/broker-client';
import type { LeasedSession } from '../../client/session';
import type { GrantedLease } from '../../functions/pool/broker';
import { type BenchStack, countingDynamoDb } from '../harness';
import type { BenchSettings } from '../settings';
import { round, type Spread, since, spread } from '../stats';

const PRINCIPAL = 'arn:aws:iam::000000000000:role/bench';
const FLOOR_KEY = { pool: { S: 'bench-bare-update' } };

export interface LatencyRow {
  readonly operation: string;
  readonly ms: Spread;
  /** p50 and p99 over the bare conditional UpdateItem's. */
  readonly ratio: { readonly p50: number; readonly p99: number };
}

export interface LatencyResult {
  readonly samples: number;
  /** The stored pool item's size with every session minted, in bytes. */
  readonly poolItemBytes: number;
  readonly bare: Spread;
  readonly rows: readonly LatencyRow[];
  /** The engine's ceiling: conditional writes per second on one item. */
  readonly ceiling: {
    readonly writesPerSecond: number;
    readonly inFlight: number;
    readonly itemBytes: number;
  };
}

const CEILING_IN_FLIGHT = 16;
const CEILING_KEY = { pool: { S: 'bench-ceiling' } };

/**
 * Conditional writes per second on one item of the pool's size, with
 * several in flight: what the engine allows one pool at most, here.
 */
const writeCeiling = async (
  client: DynamoDBClient,
  tableName: string,
  itemBytes: number,
  ms: number,
): Promise<LatencyResult['ceiling']> => {
  await client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        ...CEILING_KEY,
        n: { N: '0' },
        padding: { S: 'x'.repeat(itemBytes) },
      },
    }),
  );
  const end = performance.now() + ms;
  let writes = 0;
  const writer = async (): Promise<void> => {
    while (performance.now() < end) {
      await bareUpdate(client, tableName, CEILING_KEY);
      writes += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CEILING_IN_FLIGHT }, writer));
  return {
    writesPerSecond: Math.round(writes / (since(started) / 1000)),
    inFlight: CEILING_IN_FLIGHT,
    itemBytes,
  };
};

/** One conditional write on a small item: the floor under any broker. */
const bareUpdate = (
  client: DynamoDBClient,
  tableName: string,
  key = FLOOR_KEY,
) =>
  client.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: key,
      UpdateExpression: 'SET #n = #n + :one',
      ConditionExpression: 'attribute_exists(#pool) AND #n < :most',
      ExpressionAttributeNames: { '#n': 'n', '#pool': 'pool' },
      ExpressionAttributeValues: {
        ':one': { N: '1' },
        ':most': { N: '1000000000' },
      },
      ReturnValues: 'ALL_NEW',
    }),
  );

const timed = async (into: number[], act: () => Promise<unknown>) => {
  const started = performance.now();
  await act();
  into.push(since(started));
};

/**
 * Warm, one at a time, on a pool whose sessions are all minted: check-out
 * and check-in in process (the broker's own cost) and over the local HTTP
 * adapter (plus the Lambda handler), each sample next to a bare write.
 */
export const measureLatency = async (
  stack: BenchStack,
  endpoint: string,
  settings: BenchSettings,
): Promise<LatencyResult> => {
  const { client } = countingDynamoDb(endpoint);
  const table = stack.config.tableName;
  await client.send(
    new PutItemCommand({
      TableName: table,
      Item: { ...FLOOR_KEY, n: { N: '0' } },
    }),
  );
  const { broker } = stack.container();
  const http = new BrokerClient({ endpoint: stack.url, pool: 'default' });
  const request = { principal: PRINCIPAL, leaseMs: 60_000, waitMs: 5_000 };
  const warm = await broker.checkOut('default', request);
  await broker.checkIn('default', warm.leaseId, {
    principal: PRINCIPAL,
    generation: warm.generation,
    outcome: 'ok',
  });
  const bare: number[] = [];
  const samples = {
    'check-out (broker)': [] as number[],
    'check-in (broker)': [] as number[],
    'check-out (HTTP)': [] as number[],
    'check-in (HTTP)': [] as number[],
  };

  for (let i = 0; i < settings.latency.samples; i += 1) {
    let lease: GrantedLease | undefined;
    await timed(bare, () => bareUpdate(client, table));
    await timed(samples['check-out (broker)'], async () => {
      lease = await broker.checkOut('default', request);
    });
    await timed(bare, () => bareUpdate(client, table));
    await timed(samples['check-in (broker)'], () =>
      broker.checkIn('default', (lease as GrantedLease).leaseId, {
        principal: PRINCIPAL,
        generation: (lease as GrantedLease).generation,
        outcome: 'ok',
      }),
    );
    let session: LeasedSession | undefined;
    await timed(samples['check-out (HTTP)'], async () => {
      session = await http.checkOut();
    });
    await timed(samples['check-in (HTTP)'], () =>
      http.checkIn(session as LeasedSession),
    );
  }

  const item = await client.send(
    new GetItemCommand({ TableName: table, Key: { pool: { S: 'default' } } }),
  );
  const poolItemBytes = JSON.stringify(item.Item ?? {}).length;
  const ceiling = await writeCeiling(
    client,
    table,
    poolItemBytes,
    settings.latency.ceilingMs,
  );
  client.destroy();
  const floor = spread(bare);
  return {
    samples: settings.latency.samples,
    poolItemBytes,
    ceiling,
    bare: floor,
    rows: Object.entries(samples).map(([operation, values]) => {
      const ms = spread(values);
      return {
        operation,
        ms,
        ratio: {
          p50: round(ms.p50 / floor.p50, 2),
          p99: round(ms.p99 / floor.p99, 2),
        },
      };
    }),
  };
};
