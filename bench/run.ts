import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { waitChart } from './chart';
import { startBenchStack } from './harness';
import { type BenchResults, printReport } from './report';
import { measureBundles } from './scenarios/bundles';
import { measureContention } from './scenarios/contention';
import { measureLatency } from './scenarios/latency';
import { measureLogins } from './scenarios/logins';
import { measureRoundTrips } from './scenarios/round-trips';
import { settingsFor } from './settings';
import { since } from './stats';

/**
 * `npm run bench`: every figure in one run, on DynamoDB Local and the
 * upstream simulator. `--quick` is a smoke run for CI; its figures go to
 * `bench/results/quick/` so they never replace the committed ones.
 */
const main = async (): Promise<void> => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const settings = settingsFor(process.argv.slice(2));
  // Other work on the machine shifts every timing: the JSON says how much.
  const loadBefore = loadavg()[0] ?? 0;
  const started = performance.now();
  const step = (name: string) =>
    console.error(`[${(since(started) / 1000).toFixed(1)} s] ${name}`);

  // Before the engine starts, so its JVM does not share the cores.
  step('bundles: esbuild, then load times in fresh processes');
  const bundles = await measureBundles(settings);

  step('starting DynamoDB Local');
  const engine = await startDynamoDbLocal();
  // A signal skips the engine's exit hook: stop it, then go.
  process.once('SIGINT', () => {
    void engine.stop().finally(() => process.exit(130));
  });
  try {
    step('round trips per operation');
    const rtStack = await startBenchStack(engine.endpoint);
    const roundTrips = await measureRoundTrips(rtStack, settings).finally(() =>
      rtStack.close(),
    );

    step('logins per 1,000 leases, from a fresh pool');
    const loginStack = await startBenchStack(engine.endpoint);
    const logins = await measureLogins(loginStack, settings).finally(() =>
      loginStack.close(),
    );

    const stack = await startBenchStack(engine.endpoint);
    try {
      step('contention: warm-up, then each level');
      const contention = await measureContention(stack, settings);
      step('latency against a bare conditional UpdateItem');
      const latency = await measureLatency(stack, engine.endpoint, settings);

      const results: BenchResults = {
        meta: {
          command: `npm run bench${settings.mode === 'quick' ? ' -- --quick' : ''}`,
          mode: settings.mode,
          date: new Date().toISOString(),
          cores: cpus().length,
          cpu: cpus()[0]?.model ?? 'unknown',
          node: process.version,
          engine: 'DynamoDB Local (in memory), upstream simulator, loopback',
          wallSeconds: Math.round(since(started) / 100) / 10,
          loadAverage: {
            before: Math.round(loadBefore * 100) / 100,
            after: Math.round((loadavg()[0] ?? 0) * 100) / 100,
          },
        },
        roundTrips,
        latency,
        logins,
        contention,
        bundles,
      };
      await write(results);
      printReport(results);
    } finally {
      await stack.close();
    }
  } finally {
    await engine.stop();
  }
};

const write = async (results: BenchResults): Promise<void> => {
  const dir = path.join(
    __dirname,
    'results',
    results.meta.mode === 'quick' ? 'quick' : '',
  );
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'latest.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  await writeFile(
    path.join(dir, 'wait-vs-concurrency.svg'),
    waitChart(results.contention, results.meta),
  );
};

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
