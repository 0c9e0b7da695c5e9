import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from '../../local/aws-local';
import type { BenchSettings } from '../settings';
import { median, round } from '../stats';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');

export interface BundleRow {
  readonly name: string;
  readonly bytes: number;
  /** Median `require` time in a fresh Node.js process. */
  readonly loadMs: number;
  readonly loads: readonly number[];
  readonly bytesRatio: number;
  readonly loadRatio: number;
}

/** The lease API, the rotation function, and a bundle of the SDK client. */
const ENTRIES = [
  { name: 'lease-api', entry: 'functions/handlers/lease-api.ts' },
  { name: 'rotation', entry: 'functions/handlers/rotation.ts' },
] as const;
const BASELINE = `const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
exports.client = new DynamoDBClient({});`;

/** The options `infra/private/broker-function.ts` gives NodejsFunction. */
const bundle = async (
  outfile: string,
  source: { entry: string } | { contents: string },
): Promise<number> => {
  await build({
    ...('entry' in source
      ? { entryPoints: [path.join(ROOT, source.entry)] }
      : { stdin: { contents: source.contents, resolveDir: ROOT } }),
    outfile,
    bundle: true,
    platform: 'node',
    // BROKER_RUNTIME is Node.js 24; NodejsFunction targets the runtime.
    target: 'node24',
    format: 'cjs',
    minify: true,
    mainFields: ['module', 'main'],
    logLevel: 'silent',
  });
  return (await stat(outfile)).size;
};

/** What a cold start gives the module: the settings it refuses to lack. */
const coldEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  AWS_REGION: LOCAL_AWS_REGION,
  AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  BROKER_TABLE_NAME: 'bench-load-only',
  BROKER_POOLS: JSON.stringify([
    { name: 'default', cap: 10, secretId: 'bench/credentials' },
  ]),
});

/** Milliseconds `require` takes in a new process, as it reports them. */
const loadOnce = async (file: string): Promise<number> => {
  const script = `const t = process.hrtime.bigint();
require(${JSON.stringify(file)});
process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  const { stdout } = await run(process.execPath, ['-e', script], {
    env: coldEnv(),
  });
  return Number(stdout);
};

/**
 * Minified bundle size, and load time as a ratio to a bundle that only
 * constructs the DynamoDB client. Loads run one at a time, interleaved
 * across bundles, so a busy moment does not favour one of them.
 */
export const measureBundles = async (
  settings: BenchSettings,
): Promise<BundleRow[]> => {
  const dir = await mkdtemp(path.join(tmpdir(), 'broker-bench-'));
  try {
    const items = [
      ...ENTRIES.map((e) => ({ name: e.name, source: { entry: e.entry } })),
      { name: 'baseline: DynamoDBClient only', source: { contents: BASELINE } },
    ].map((item, i) => ({ ...item, file: path.join(dir, `${i}.js`) }));
    const sizes = await Promise.all(
      items.map((item) => bundle(item.file, item.source)),
    );
    const loads = items.map(() => [] as number[]);
    for (let pass = 0; pass < settings.bundles.loads; pass += 1) {
      for (const [i, item] of items.entries()) {
        loads[i]?.push(await loadOnce(item.file));
      }
    }
    const base = items.length - 1;
    const baseLoad = median(loads[base] ?? []);
    return items.map((item, i) => ({
      name: item.name,
      bytes: sizes[i] ?? 0,
      loadMs: round(median(loads[i] ?? [])),
      loads: (loads[i] ?? []).map((ms) => round(ms)),
      bytesRatio: round((sizes[i] ?? 0) / (sizes[base] ?? 1), 2),
      loadRatio: round(median(loads[i] ?? []) / baseLoad, 2),
    }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
