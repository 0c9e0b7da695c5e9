import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { SessionBroker } from './session-broker';
import type { SessionBrokerProps } from './session-broker-props';

/** Settings of a {@link SessionBrokerStack}. */
export interface SessionBrokerStackProps extends StackProps {
  /** Settings of the broker the stack holds. */
  readonly broker: SessionBrokerProps;

  /**
   * ARN of an existing SNS topic for the alarms, when `broker` names no
   * `alarmTopic`.
   *
   * @default - no alarm actions
   */
  readonly alarmTopicArn?: string;
}

/**
 * A stack holding one {@link SessionBroker}, with the API URL, the table
 * name, the rotation function and the dashboard link as outputs.
 */
export class SessionBrokerStack extends Stack {
  /** The broker, for `grantLease` from other stacks. */
  public readonly broker: SessionBroker;

  public constructor(
    scope: Construct,
    id: string,
    props: SessionBrokerStackProps,
  ) {
    super(scope, id, props);
    const alarmTopic =
      props.broker.alarmTopic ??
      (props.alarmTopicArn
        ? Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
        : undefined);
    this.broker = new SessionBroker(this, 'Broker', {
      ...props.broker,
      ...(alarmTopic ? { alarmTopic } : {}),
    });

    new CfnOutput(this, 'ApiUrl', {
      description: 'Lease API endpoint (BROKER_ENDPOINT of consumers)',
      value: this.broker.endpoint,
    });
    new CfnOutput(this, 'TableName', {
      description: 'Pool table',
      value: this.broker.table.tableName,
    });
    new CfnOutput(this, 'RotationFunctionArn', {
      description: 'Rotation function (--rotation-lambda-arn of rotate-secret)',
      value: this.broker.rotationFunction.functionArn,
    });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'CloudWatch dashboard',
      value: this.broker.dashboardUrl,
    });
  }
}
