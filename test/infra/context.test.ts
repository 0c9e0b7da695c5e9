import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { readAppSettings } from '../../infra/context';
import { CDK_CONTEXT, testApp } from './app';

const read = (context: Record<string, unknown> = {}) =>
  readAppSettings(testApp(context).node);

describe('Function: readAppSettings', () => {
  it("reads cdk.json's defaults", () => {
    // Act
    const settings = read();

    // Assess
    expect(CDK_CONTEXT['cli-telemetry']).toBe(false);
    expect(settings).toEqual({
      stackName: 'SessionBroker',
      exampleConsumer: false,
      broker: {
        secret: 'session-broker/upstream',
        cap: 10,
        rotationSchedule: expect.any(Schedule),
        removalPolicy: RemovalPolicy.RETAIN,
        deletionProtection: true,
      },
    });
    expect(settings.broker.rotationSchedule?.expressionString).toBe(
      'rate(5 minutes)',
    );
  });

  it('takes the strings `-c key=value` gives', () => {
    // Act
    const settings = read({
      'broker:cap': '4',
      'broker:retainData': 'false',
      'broker:exampleConsumer': 'true',
      'broker:leaseMaxSeconds': '600',
      'broker:logRetentionDays': '90',
      'broker:rotationRateMinutes': '10',
      'broker:pools': JSON.stringify([
        { name: 'eu', secretName: 'ads/eu', cap: 6 },
        { name: 'us', secretName: 'ads/us' },
      ]),
    });

    // Assess
    expect(settings.exampleConsumer).toBe(true);
    expect(settings.broker).toMatchObject({
      cap: 4,
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
      leaseMax: Duration.seconds(600),
      logRetention: RetentionDays.THREE_MONTHS,
      pools: [
        { name: 'eu', secret: 'ads/eu', cap: 6 },
        { name: 'us', secret: 'ads/us' },
      ],
    });
    expect(settings.broker.rotationSchedule?.expressionString).toBe(
      'rate(10 minutes)',
    );
  });

  it.each([
    [{ 'broker:capp': 3 }, /broker:: Unrecognized key: "capp"/],
    [{ 'broker:cap': 'ten' }, /broker:cap: /],
    [
      { 'broker:logRetentionDays': 31 },
      /broker:logRetentionDays: must be one of/,
    ],
    [{ 'broker:pools': '[{"name": "a",' }, /broker:pools: is not valid JSON/],
    [{ 'broker:retainData': 'yes' }, /broker:retainData: /],
    [{ 'broker:alarmTopicArn': 'my-topic' }, /broker:alarmTopicArn: /],
  ])('refuses %j', (context, message) => {
    expect(() => read(context)).toThrow(message);
  });
});
