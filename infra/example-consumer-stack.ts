import * as path from 'node:path';
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { BROKER_RUNTIME, PROJECT_ROOT } from './private/broker-function';
import type { SessionBroker } from './session-broker';

/** Settings of an {@link ExampleConsumerStack}. */
export interface ExampleConsumerStackProps extends StackProps {
  /** The broker to lease from. */
  readonly broker: SessionBroker;
  /**
   * The pool to lease from.
   *
   * @default - the broker's only pool
   */
  readonly pool?: string;
}

/** A consumer Lambda wired to the broker by one `grantLease` call. */
export class ExampleConsumerStack extends Stack {
  public readonly consumer: NodejsFunction;

  public constructor(
    scope: Construct,
    id: string,
    props: ExampleConsumerStackProps,
  ) {
    super(scope, id, props);

    const logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_WEEK,
    });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Example session broker consumer',
    });
    logGroup.grantWrite(role);

    this.consumer = new NodejsFunction(this, 'Consumer', {
      entry: path.join(PROJECT_ROOT, 'infra/example/consumer.ts'),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: BROKER_RUNTIME,
      architecture: Architecture.ARM_64,
      timeout: Duration.seconds(30),
      role,
      logGroup,
      bundling: { forceDockerBundling: false, minify: true },
    });

    props.broker.grantLease(this.consumer, props.pool);
  }
}
