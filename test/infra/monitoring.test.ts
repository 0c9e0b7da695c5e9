import { Match, Template } from 'aws-cdk-lib/assertions';
import { BrokerMetric, METRICS_NAMESPACE } from '../../infra/metrics';
import {
  arnOf as arnOfResource,
  createTestBroker,
  refTo,
  resourcesOf,
} from './app';

describe('Construct: SessionBroker, monitoring', () => {
  let template: Template;

  beforeAll(() => {
    template = Template.fromStack(createTestBroker().stack);
  });

  const ref = (type: string, prefix: string) => refTo(template, type, prefix);
  const _arnOf = (type: string, prefix: string) =>
    arnOfResource(template, type, prefix);

  describe('Alarms', () => {
    it.each([
      ['PoolSaturated', BrokerMetric.CheckOutExhausted, 'Sum', 300, 1, 3],
      ['LoginRejected', BrokerMetric.LoginRejected, 'Sum', 300, 1, 1],
      ['LoginFailing', BrokerMetric.LoginFailed, 'Sum', 300, 3, 1],
      ['BreakerOpen', BrokerMetric.BreakerOpen, 'Maximum', 60, 1, 1],
    ])(
      'alarms on %s from the broker metric %s of the pool',
      (name, metric, statistic, period, threshold, periods) => {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `Test-default-${name}`,
          Namespace: METRICS_NAMESPACE,
          MetricName: metric,
          Dimensions: [{ Name: 'pool', Value: 'default' }],
          Statistic: statistic,
          Period: period,
          Threshold: threshold,
          EvaluationPeriods: periods,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          AlarmDescription: Match.stringLikeRegexp('Pool default: .{60,}'),
        });
      },
    );

    it.each([
      ['LeaseApi', 'BrokerLeaseApiFunction'],
      ['Rotation', 'BrokerRotationFunction'],
    ])('alarms on %s errors and throttles', (name, prefix) => {
      for (const metric of ['Errors', 'Throttles']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `Test-${name}-${metric}`,
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [
            {
              Name: 'FunctionName',
              Value: ref('AWS::Lambda::Function', prefix),
            },
          ],
          Statistic: 'Sum',
          Threshold: 1,
        });
      }
    });

    it('alarms on DynamoDB throttles of each operation the broker uses, zero-filled', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'Test-Table-Throttles',
        Threshold: 1,
        Metrics: Match.arrayWith([
          Match.objectLike({
            Expression:
              'FILL(getitem, 0) + FILL(putitem, 0) + FILL(updateitem, 0)',
          }),
          ...['GetItem', 'PutItem', 'UpdateItem'].map((operation) =>
            Match.objectLike({
              Id: operation.toLowerCase(),
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/DynamoDB',
                  MetricName: 'ThrottledRequests',
                  Dimensions: Match.arrayWith([
                    { Name: 'Operation', Value: operation },
                    {
                      Name: 'TableName',
                      Value: ref('AWS::DynamoDB::Table', 'BrokerPoolsTable'),
                    },
                  ]),
                },
                Period: 300,
                Stat: 'Sum',
              },
            }),
          ),
        ]),
      });
    });

    it('has exactly the pool, function, table and API alarms, none with actions', () => {
      const alarms = Object.values(
        resourcesOf(template, 'AWS::CloudWatch::Alarm'),
      );
      expect(alarms.map((a) => a.Properties.AlarmName).sort()).toEqual(
        [
          'Test-Api-5xx',
          'Test-LeaseApi-Errors',
          'Test-LeaseApi-Throttles',
          'Test-Rotation-Errors',
          'Test-Rotation-Throttles',
          'Test-Table-Throttles',
          'Test-default-BreakerOpen',
          'Test-default-LoginFailing',
          'Test-default-LoginRejected',
          'Test-default-PoolSaturated',
        ].sort(),
      );
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmActions).toBeUndefined();
      }
    });
  });

  describe('Dashboard', () => {
    it('shows live and leased sessions against the cap, latency and waits', () => {
      const dashboard = Object.values(
        resourcesOf(template, 'AWS::CloudWatch::Dashboard'),
      )[0];
      const body = JSON.stringify(dashboard?.Properties.DashboardBody);

      for (const metric of Object.values(BrokerMetric)) {
        expect(body).toContain(`\\"${metric}\\"`);
      }
      expect(body).toContain('\\"value\\":10');
      expect(body).toContain('\\"label\\":\\"cap 10\\"');
      expect(body).toContain('p99');
    });
  });
});
