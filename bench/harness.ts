import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createBroker, createLeaseApiHandler } from '../functions/bootstrap';
import { StaticCredentialsSource } from '../functions/credentials/source';
import type { Broker } from '../functions/pool/broker';
import { systemClock } from '../functions/shared/clock';
import { type BrokerConfig, loadConfig } from '../functions/shared/config';
import type { MetricsRecorder } from '../functions/shared/metrics';
import { type LocalApi, startLocalApi } from '../local/api-gateway-adapter';
import { localAwsClientConfig } from '../local/aws-local';
import { UpstreamSimulator } from '../local/simulator';
import { LOCAL_CREDENTIALS } from '../local/stack';
import { createPoolTable } from '../local/table';

/**
 * DynamoDB HTTP requests by command name. Counted at the `deserialize`
 * step, which runs once per attempt inside the SDK's retry loop, so SDK
 * retries are included; `calls` counts once per `send`, before retries.
 */
export interface RequestCounter {
  readonly requests: Map<string, number>;
  readonly calls: Map<string, number>;
  total(): number;
  reset(): void;
}

/** A DynamoDB client aimed at `endpoint` that counts what it sends. */
export const countingDynamoDb = (
  endpoint: string,
): { client: DynamoDBClient; counter: RequestCounter } => {
  const client = new DynamoDBClient(localAwsClientConfig(endpoint));
  const requests = new Map<string, number>();
  const calls = new Map<string, number>();
  const tally = (into: Map<string, number>, name: string) =>
    into.set(name, (into.get(name) ?? 0) + 1);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      tally(calls, context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name: 'benchCountCalls' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      tally(requests, context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'deserialize', name: 'benchCountRequests' },
  );
  const counter: RequestCounter = {
    requests,
    calls,
    total: () => [...requests.values()].reduce((sum, n) => sum + n, 0),
    reset: () => {
      requests.clear();
      calls.clear();
    },
  };
  return { client, counter };
};

/** The broker's metric datapoints, kept in memory. */
export class MetricsLog implements MetricsRecorder {
  readonly values = new Map<string, number[]>();

  public record(_pool: string, name: string, value: number): void {
    const list = this.values.get(name) ?? [];
    list.push(value);
    this.values.set(name, list);
  }

  public sum(name: string): number {
    return (this.values.get(name) ?? []).reduce((sum, n) => sum + n, 0);
  }

  public reset(): void {
    this.values.clear();
  }
}

export interface BenchStack {
  readonly url: string;
  readonly config: BrokerConfig;
  readonly simulator: UpstreamSimulator;
  readonly username: string;
  readonly counter: RequestCounter;
  readonly metrics: MetricsLog;
  /** Another broker container on the same table, counting its own requests. */
  container(): { broker: Broker; counter: RequestCounter };
  close(): Promise<void>;
}

const silent = new Logger({ serviceName: 'bench', logLevel: 'SILENT' });

/**
 * The lease API over HTTP with the same wiring as `local/stack.ts`, on a
 * table and a simulator of its own, but with a DynamoDB client that counts
 * requests and a metrics recorder the bench can read (the local stack
 * builds its own client and takes neither).
 */
export const startBenchStack = async (
  endpoint: string,
  options: { cap?: number } = {},
): Promise<BenchStack> => {
  const config = loadConfig({
    BROKER_TABLE_NAME: `bench-${randomUUID()}`,
    BROKER_POOLS: JSON.stringify([{ name: 'default', cap: options.cap ?? 10 }]),
    BROKER_DYNAMODB_ENDPOINT: endpoint,
  });
  const simulator = new UpstreamSimulator({ clock: systemClock });
  await simulator.start();
  const username = `bench-${randomUUID().slice(0, 8)}`;
  simulator.addAccount({
    ...LOCAL_CREDENTIALS,
    username,
    maxSessions: options.cap ?? 10,
    sessionLifetimeMs: config.sessionLifetimeMs,
    dailyQuota: 100_000_000,
    monthlyQuota: 100_000_000,
  });
  const credentials = new StaticCredentialsSource({
    ...LOCAL_CREDENTIALS,
    username,
    baseUrl: simulator.baseUrl,
    versionId: 'bench-1',
  });
  const runtime = (dynamoDb: DynamoDBClient, metrics?: MetricsRecorder) => ({
    config,
    clock: systemClock,
    logger: silent,
    credentialsFor: () => credentials,
    dynamoDb,
    ...(metrics ? { metrics } : {}),
  });

  const { client, counter } = countingDynamoDb(endpoint);
  await createPoolTable(client, config.tableName);
  const metrics = new MetricsLog();
  const api: LocalApi = await startLocalApi(
    createLeaseApiHandler(runtime(client, metrics)),
  );
  const clients: DynamoDBClient[] = [client];

  return {
    url: api.url,
    config,
    simulator,
    username,
    counter,
    metrics,
    container: () => {
      const own = countingDynamoDb(endpoint);
      clients.push(own.client);
      return {
        broker: createBroker(runtime(own.client)),
        counter: own.counter,
      };
    },
    close: async () => {
      await api.close();
      await simulator.stop();
      for (const each of clients) each.destroy();
    },
  };
};

/**
 * CPU seconds used so far by this process and by its direct children (the
 * DynamoDB Local JVM), from /proc; undefined off Linux.
 */
export const cpuSeconds = (): { node: number; engine?: number } => {
  const usage = process.cpuUsage();
  const node = (usage.user + usage.system) / 1e6;
  try {
    const ticks = 100; // USER_HZ on every Linux this runs on
    let engine = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readStat(entry);
      if (!stat) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid) continue;
      engine += (Number(fields[11]) + Number(fields[12])) / ticks;
    }
    return { node, engine };
  } catch {
    return { node };
  }
};

const readStat = (pid: string): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // the process ended while we listed /proc
  }
};
