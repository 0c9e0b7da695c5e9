import { Match, Template } from 'aws-cdk-lib/assertions';
import { ExampleConsumerStack } from '../../infra/example-consumer-stack';
import { BROKER_RUNTIME } from '../../infra/private/broker-function';
import { SessionBrokerStack } from '../../infra/session-broker-stack';
import { logicalId, statementsOfRole, TEST_ENV, testApp } from './app';

const { account, region } = TEST_ENV;

describe('Class: SessionBrokerStack', () => {
  it('outputs the API URL, the table name and the dashboard link, and only those', () => {
    // Prepare
    const stack = new SessionBrokerStack(testApp(), 'Broker', {
      env: TEST_ENV,
      broker: { secret: 'ads/credentials' },
    });

    // Act
    const template = Template.fromStack(stack);

    // Assess
    const api = logicalId(template, 'AWS::ApiGateway::RestApi', 'Broker');
    const table = logicalId(template, 'AWS::DynamoDB::Table', 'Broker');
    const dashboard = logicalId(
      template,
      'AWS::CloudWatch::Dashboard',
      'Broker',
    );
    expect(template.toJSON().Outputs).toEqual({
      ApiUrl: {
        Description: 'Lease API endpoint (BROKER_ENDPOINT of consumers)',
        Value: {
          'Fn::Join': [
            '',
            [
              'https://',
              { Ref: api },
              `.execute-api.${region}.`,
              { Ref: 'AWS::URLSuffix' },
              '/prod',
            ],
          ],
        },
      },
      TableName: { Description: 'Pool table', Value: { Ref: table } },
      RotationFunctionArn: {
        Description:
          'Rotation function (--rotation-lambda-arn of rotate-secret)',
        Value: {
          'Fn::GetAtt': [
            logicalId(
              template,
              'AWS::Lambda::Function',
              'BrokerRotationFunction',
            ),
            'Arn',
          ],
        },
      },
      DashboardUrl: {
        Description: 'CloudWatch dashboard',
        Value: {
          'Fn::Join': [
            '',
            [
              'https://console.aws.amazon.com/cloudwatch/home?region=',
              { Ref: 'AWS::Region' },
              '#dashboards:name=',
              { Ref: dashboard },
            ],
          ],
        },
      },
    });
  });

  it('sends alarms to a topic named by ARN', () => {
    // Prepare
    const topicArn = `arn:aws:sns:${region}:${account}:broker-alarms`;

    // Act
    const template = Template.fromStack(
      new SessionBrokerStack(testApp(), 'Broker', {
        env: TEST_ENV,
        broker: { secret: 'ads/credentials' },
        alarmTopicArn: topicArn,
      }),
    );

    // Assess
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [topicArn],
      OKActions: [topicArn],
    });
  });
});

describe('Class: ExampleConsumerStack', () => {
  it('wires a consumer in another stack with one grantLease call', () => {
    // Prepare
    const app = testApp();
    const brokerStack = new SessionBrokerStack(app, 'Broker', {
      env: TEST_ENV,
      broker: { secret: 'ads/credentials' },
    });

    // Act
    const consumerStack = new ExampleConsumerStack(app, 'Consumer', {
      env: TEST_ENV,
      broker: brokerStack.broker,
    });

    // Assess
    const template = Template.fromStack(consumerStack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: BROKER_RUNTIME.name,
      Architectures: ['arm64'],
      Environment: {
        Variables: {
          BROKER_POOL: 'default',
          BROKER_ENDPOINT: Match.anyValue(),
        },
      },
    });
    const statements = statementsOfRole(template, 'Role');
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'execute-api:Invoke',
        Resource: expect.arrayContaining([expect.anything()]),
      }),
    );
    expect(JSON.stringify(statements)).not.toContain('*');
  });
});
