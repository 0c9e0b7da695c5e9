import * as path from 'node:path';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The repository root: where `package-lock.json` and `functions/` live. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/**
 * The newest Node.js runtime aws-cdk-lib offers. Bundles target it, so a
 * new major is one line here and a rerun of the bundle-size test.
 */
export const BROKER_RUNTIME = Runtime.NODEJS_24_X;

export interface BrokerFunctionProps {
  /** Entry file, relative to the repository root. */
  readonly entry: string;
  /** Description of the function and of its role. */
  readonly description: string;
  /** Memory in MB. */
  readonly memorySize: number;
  /** Longest run before Lambda stops the function. */
  readonly timeout: Duration;
  /** Variables besides `NODE_OPTIONS`, which is always set. */
  readonly environment: Readonly<Record<string, string>>;
  /** Retention of the function's log group. */
  readonly logRetention: RetentionDays;
  /** What happens to the log group when it leaves the stack. */
  readonly logRemovalPolicy: RemovalPolicy;
  /**
   * Reserved concurrency.
   *
   * @default - none
   */
  readonly reservedConcurrency?: number;
}

/**
 * A broker Lambda: ARM64, bundled by the local esbuild (never Docker),
 * minified with source maps, logging to a log group it owns, under a role
 * that starts with no permissions. Each caller grants exactly what the
 * function uses, so nothing here is a managed policy or a wildcard.
 */
export class BrokerFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: Role;
  public readonly logGroup: LogGroup;

  public constructor(scope: Construct, id: string, props: BrokerFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: BROKER_RUNTIME,
      architecture: Architecture.ARM_64,
      description: props.description,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      environment: {
        ...props.environment,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        // Stack traces keep file and line; the sources stay out of the
        // asset, which keeps it small.
        sourcesContent: false,
        // The runtime's SDK lags the one the tests ran: ship our own.
        bundleAwsSDK: true,
        externalModules: [],
        // The SDK's ES module builds tree-shake better: about 20% smaller.
        mainFields: ['module', 'main'],
      },
    });
  }
}
