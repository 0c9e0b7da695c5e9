import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from '../../local/aws-local';
import { createTestTable, testDynamoDbEndpoint } from '../helpers/dynamodb';
import { REPO_ROOT } from './app';

const run = promisify(execFile);

/**
 * Most bytes a function's `index.js` may reach. Measured when set: lease
 * API 874 kB, rotation 870 kB (minified, AWS SDK bundled, source maps
 * beside them at about 1.2 MB each and not counted here).
 */
const BUNDLE_BUDGET_BYTES = 1_500_000;

type Template = {
  Resources: Record<
    string,
    { Type: string; Metadata?: Record<string, string> }
  >;
};

/**
 * `npx cdk synth` as CI runs it, into a directory of its own, with the
 * example consumer: real esbuild bundling, the built-in CloudFormation
 * lint and cdk-nag, no AWS credentials and no network.
 */
describe('Command: cdk synth', () => {
  let outdir: string;
  let template: Template;

  beforeAll(async () => {
    outdir = await mkdtemp(path.join(tmpdir(), 'broker-synth-'));
    await run(
      'npx',
      [
        'cdk',
        'synth',
        '--quiet',
        '--output',
        outdir,
        '-c',
        'broker:exampleConsumer=true',
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
        timeout: 120_000,
      },
    );
    template = JSON.parse(
      await readFile(path.join(outdir, 'SessionBroker.template.json'), 'utf8'),
    );
  }, 150_000);

  afterAll(() => rm(outdir, { recursive: true, force: true }));

  const bundleOf = (prefix: string): string => {
    const [resource] = Object.entries(template.Resources).filter(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(prefix),
    );
    const asset = resource?.[1].Metadata?.['aws:asset:path'];
    if (!asset) throw new Error(`no bundled asset for ${prefix}`);
    return path.join(outdir, asset, 'index.js');
  };

  it('writes both stacks and a clean validation report', async () => {
    const report = JSON.parse(
      await readFile(path.join(outdir, 'validation-report.json'), 'utf8'),
    );

    expect(report.pluginReports).toEqual([]);
    await expect(
      stat(path.join(outdir, 'SessionBrokerExampleConsumer.template.json')),
    ).resolves.toBeTruthy();
  });

  it.each(['BrokerLeaseApiFunction', 'BrokerRotationFunction'])(
    '%s bundle exists, with its source map, under the size budget',
    async (prefix) => {
      const bundle = bundleOf(prefix);

      const code = await stat(bundle);
      const map = await stat(`${bundle}.map`);

      expect(code.size).toBeGreaterThan(10_000);
      expect(code.size).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
      expect(map.size).toBeGreaterThan(0);
    },
  );

  it('loads the rotation bundle in plain Node.js', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '-e',
        `process.stdout.write(typeof require(${JSON.stringify(bundleOf('BrokerRotationFunction'))}).handler)`,
      ],
      { env: bundleEnv('loaded-only', 'http://127.0.0.1:9') },
    );

    expect(stdout).toBe('function');
  });

  it('answers a status request from the lease API bundle against DynamoDB Local', async () => {
    // Prepare
    const table = await createTestTable();
    const event = {
      httpMethod: 'GET',
      path: '/v1/pools/default',
      resource: '/v1/pools/{pool}',
      pathParameters: { pool: 'default' },
      headers: {},
      body: null,
      requestContext: {
        identity: { userArn: 'arn:aws:iam::123456789012:role/consumer' },
      },
    };
    const script = `require(${JSON.stringify(bundleOf('BrokerLeaseApiFunction'))})
      .handler(${JSON.stringify(event)}, {})
      .then((response) => process.stdout.write(JSON.stringify(response)))`;

    try {
      // Act
      const { stdout } = await run(
        process.execPath,
        ['--enable-source-maps', '-e', script],
        { env: bundleEnv(table.tableName, testDynamoDbEndpoint()) },
      );

      // Assess
      const response = JSON.parse(stdout);
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({
        pool: 'default',
        cap: 10,
        live: 0,
      });
    } finally {
      await table.drop();
    }
  });
});

const bundleEnv = (tableName: string, endpoint: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  AWS_REGION: LOCAL_AWS_REGION,
  AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  BROKER_TABLE_NAME: tableName,
  BROKER_DYNAMODB_ENDPOINT: endpoint,
  BROKER_POOLS: JSON.stringify([
    { name: 'default', cap: 10, secretId: 'ads/credentials' },
  ]),
});
