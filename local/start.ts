/**
 * `npm start`: the broker on this machine, with no AWS account. Starts
 * DynamoDB Local, the upstream simulator and the lease API on loopback,
 * runs a demo fleet against them (unless `--no-demo`), then serves until
 * Ctrl-C.
 */
import { formatSummary, runDemo } from './demo';
import { LOCAL_CREDENTIALS, startLocalStack } from './stack';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The demo draws a progress line; per-request JSON logs would bury it.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

const DEFAULT_PORT = 8787;

const main = async (): Promise<void> => {
  const demo = !process.argv.includes('--no-demo');
  const port = Number(process.env.BROKER_PORT ?? DEFAULT_PORT);
  const cap = Number(process.env.BROKER_POOL_CAP ?? 10);

  // A missing Java runtime surfaces here as one line saying what to install.
  const stack = await startLocalStack({
    port,
    // The deployed schedule runs every 5 minutes; locally, once a minute.
    sweepIntervalMs: 60_000,
    ...(process.env.BROKER_UPSTREAM_BASE_URL
      ? { upstreamBaseUrl: process.env.BROKER_UPSTREAM_BASE_URL }
      : {}),
    ...(process.env.BROKER_DYNAMODB_ENDPOINT
      ? { dynamoDbEndpoint: process.env.BROKER_DYNAMODB_ENDPOINT }
      : {}),
    credentials: {
      username: process.env.BROKER_LOCAL_USERNAME ?? LOCAL_CREDENTIALS.username,
      password: process.env.BROKER_LOCAL_PASSWORD ?? LOCAL_CREDENTIALS.password,
      apiKey: process.env.BROKER_LOCAL_API_KEY ?? LOCAL_CREDENTIALS.apiKey,
    },
    env: {
      ...process.env,
      BROKER_POOLS: JSON.stringify([{ name: 'default', cap }]),
    },
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(
      `\n${signal}: stopping the broker, simulator and DynamoDB Local`,
    );
    stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  console.log(`Session broker listening on ${stack.url}`);
  if (stack.simulator) {
    console.log(`Upstream simulator at ${stack.simulator.baseUrl}`);
  }
  console.log(
    `Pool "default": cap ${cap}. Try: curl ${stack.url}/v1/pools/default`,
  );

  if (demo && stack.simulator) {
    console.log(
      '\nDemo: 40 consumer jobs check out, call the upstream 3 times, check in.',
    );
    const username =
      process.env.BROKER_LOCAL_USERNAME ?? LOCAL_CREDENTIALS.username;
    const summary = await runDemo({
      brokerUrl: stack.url,
      simulator: stack.simulator,
      username,
      cap,
    });
    console.log(formatSummary(summary, cap));
  }
  if (!stopping) console.log('\nServing. Press Ctrl-C to stop.');
};

main().catch((error: unknown) => {
  console.error(`npm start failed: ${(error as Error).message}`);
  process.exit(1);
});
