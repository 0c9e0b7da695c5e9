import { Aws, Duration, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  type MetricOptions,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  BrokerMetric,
  type BrokerMetricName,
  METRICS_NAMESPACE,
  POOL_DIMENSION,
} from '../metrics';

export interface MonitoringProps {
  /** The pools, each with alarms and dashboard rows of its own. */
  readonly pools: readonly { readonly name: string; readonly cap: number }[];
  /** The broker's functions, by the name their alarms carry. */
  readonly functions: Readonly<Record<'LeaseApi' | 'Rotation', IFunction>>;
  /** The pool table. */
  readonly table: Table;
  /** The lease API. */
  readonly api: RestApi;
  /**
   * Where alarms notify.
   *
   * @default - no alarm actions
   */
  readonly alarmTopic?: ITopic;
}

const FIVE_MINUTES = Duration.minutes(5);

const THROTTLE_EFFECT: Readonly<
  Record<keyof MonitoringProps['functions'], string>
> = {
  LeaseApi: 'callers got 5xx answers instead of leases.',
  Rotation: 'a sweep was skipped, so dead sessions are freed later.',
};

/**
 * Throttled item requests of the three operations the broker uses.
 * `ThrottledRequests` is only published while throttling happens, and
 * metric math drops a timestamp where any operand is missing, so each
 * operand is filled with zero.
 */
const tableThrottles = (table: Table): IMetric => {
  const operations = ['GetItem', 'PutItem', 'UpdateItem'];
  return new MathExpression({
    label: 'Throttled GetItem, PutItem and UpdateItem',
    expression: operations
      .map((op) => `FILL(${op.toLowerCase()}, 0)`)
      .join(' + '),
    usingMetrics: Object.fromEntries(
      operations.map((op) => [
        op.toLowerCase(),
        new Metric({
          namespace: 'AWS/DynamoDB',
          metricName: 'ThrottledRequests',
          dimensionsMap: { TableName: table.tableName, Operation: op },
          statistic: 'Sum',
        }),
      ]),
    ),
    period: FIVE_MINUTES,
  });
};

/** A broker metric of one pool. */
export const poolMetric = (
  pool: string,
  name: BrokerMetricName,
  options: MetricOptions = {},
): Metric =>
  new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { [POOL_DIMENSION]: pool },
    period: FIVE_MINUTES,
    ...options,
  });

/**
 * The broker's alarms and its dashboard. Each alarm's description says
 * what it means and what to do, so the page that wakes someone carries
 * the runbook.
 */
export class Monitoring extends Construct {
  public readonly alarms: Alarm[] = [];
  public readonly dashboard: Dashboard;
  readonly #props: MonitoringProps;

  public constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.#props = props;

    for (const pool of props.pools) this.addPoolAlarms(pool.name);
    this.addPlatformAlarms();

    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    this.addDashboardWidgets();
  }

  /** The console address of the dashboard. */
  public get dashboardUrl(): string {
    return `https://console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.dashboard.dashboardName}`;
  }

  private addPoolAlarms(pool: string): void {
    this.alarm(`${pool}-PoolSaturated`, {
      metric: poolMetric(pool, BrokerMetric.CheckOutExhausted, {
        statistic: 'Sum',
      }),
      threshold: 1,
      evaluationPeriods: 3,
      description:
        `Pool ${pool}: check-outs answered 429 in each of the last 15 minutes. ` +
        'Callers want more sessions than the cap allows. Check the dashboard ' +
        'for leases held long (renew loops, slow holders); shorten leases or ' +
        'spread the load; raise the cap only with the upstream’s written word.',
    });
    this.alarm(`${pool}-LoginRejected`, {
      metric: poolMetric(pool, BrokerMetric.LoginRejected, {
        statistic: 'Sum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      description:
        `Pool ${pool}: the upstream refused the credentials and the breaker ` +
        'opened; no further logins are tried. The password may have expired ' +
        '(every 120 days) or been changed: put the current credentials in the ' +
        'secret as a new version, which closes the breaker.',
    });
    this.alarm(`${pool}-LoginFailing`, {
      metric: poolMetric(pool, BrokerMetric.LoginFailed, { statistic: 'Sum' }),
      threshold: 3,
      evaluationPeriods: 1,
      description:
        `Pool ${pool}: three or more logins failed in 5 minutes for reasons ` +
        'other than bad credentials (timeouts, upstream errors). Check the ' +
        'upstream’s status and the lease API logs; slots of logins with an ' +
        'unknown outcome stay counted until their session would have expired.',
    });
    this.alarm(`${pool}-BreakerOpen`, {
      metric: poolMetric(pool, BrokerMetric.BreakerOpen, {
        statistic: 'Maximum',
        period: Duration.minutes(1),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      description:
        `Pool ${pool}: the login breaker is open and check-outs that need a ` +
        'new session fail with BREAKER_OPEN. Fix the credentials in the ' +
        'secret (a new version closes the breaker); do not retry logins by hand.',
    });
  }

  private addPlatformAlarms(): void {
    const { functions, table, api } = this.#props;
    for (const [name, fn] of Object.entries(functions)) {
      this.alarm(`${name}-Errors`, {
        metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        description:
          `The ${name} function failed (unhandled error or timeout). Read its ` +
          'log group for the error; a bad setting fails every cold start.',
      });
      this.alarm(`${name}-Throttles`, {
        metric: fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        description:
          `The ${name} function was throttled: ${THROTTLE_EFFECT[name as keyof typeof THROTTLE_EFFECT]} ` +
          'Raise its reserved concurrency, or the account limit.',
      });
    }
    this.alarm('Table-Throttles', {
      metric: tableThrottles(table),
      threshold: 1,
      evaluationPeriods: 1,
      description:
        'DynamoDB throttled reads or writes of the pool table. Each pool is ' +
        'one item, so this is a hot key: too many callers per pool. Spread ' +
        'callers over more pools or slow their retries.',
    });
    this.alarm('Api-5xx', {
      metric: api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 5,
      evaluationPeriods: 1,
      description:
        'The lease API answered five or more 5xx in 5 minutes (failures, or ' +
        'check-outs past API Gateway’s 29 s). Read the lease API logs.',
    });
  }

  private alarm(
    id: string,
    options: {
      metric: IMetric;
      threshold: number;
      evaluationPeriods: number;
      description: string;
    },
  ): void {
    const alarm = new Alarm(this, id, {
      alarmName: `${Stack.of(this).stackName}-${id}`,
      alarmDescription: options.description,
      metric: options.metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No datapoint means no check-out, no login, no error: all is quiet.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (this.#props.alarmTopic) {
      const action = new SnsAction(this.#props.alarmTopic);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.alarms.push(alarm);
  }

  private addDashboardWidgets(): void {
    const { pools, functions, table, api } = this.#props;
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Session broker\nLive sessions must stay at or under the cap ' +
          '(red line). Leased sessions are the live ones handed out now.',
        width: 24,
        height: 2,
      }),
      new AlarmStatusWidget({ alarms: this.alarms, width: 24, height: 4 }),
    );
    for (const pool of pools) {
      const metric = (name: BrokerMetricName, options: MetricOptions) =>
        poolMetric(pool.name, name, {
          period: Duration.minutes(1),
          ...options,
        });
      this.dashboard.addWidgets(
        new GraphWidget({
          title: `${pool.name}: sessions against the cap`,
          left: [
            metric(BrokerMetric.LiveSessions, { statistic: 'Maximum' }),
            metric(BrokerMetric.LeasedSessions, { statistic: 'Maximum' }),
          ],
          leftAnnotations: [
            { value: pool.cap, label: `cap ${pool.cap}`, color: '#d62728' },
          ],
          leftYAxis: { min: 0 },
          width: 8,
        }),
        new GraphWidget({
          title: `${pool.name}: check-outs`,
          left: [
            metric(BrokerMetric.CheckOutGranted, { statistic: 'Sum' }),
            metric(BrokerMetric.CheckOutExhausted, { statistic: 'Sum' }),
          ],
          right: [metric(BrokerMetric.BreakerOpen, { statistic: 'Maximum' })],
          width: 8,
        }),
        new GraphWidget({
          title: `${pool.name}: logins failing`,
          left: [
            metric(BrokerMetric.LoginRejected, { statistic: 'Sum' }),
            metric(BrokerMetric.LoginFailed, { statistic: 'Sum' }),
          ],
          width: 8,
        }),
        new GraphWidget({
          title: `${pool.name}: check-out latency (ms)`,
          left: ['p50', 'p90', 'p99'].map((statistic) =>
            metric(BrokerMetric.CheckOutLatency, { statistic }),
          ),
          width: 12,
        }),
        new GraphWidget({
          title: `${pool.name}: wait for a session (ms)`,
          left: ['p50', 'p99', 'Maximum'].map((statistic) =>
            metric(BrokerMetric.WaitTime, { statistic }),
          ),
          width: 12,
        }),
      );
    }
    this.dashboard.addWidgets(
      ...Object.entries(functions).map(
        ([name, fn]) =>
          new GraphWidget({
            title: `${name} function`,
            left: [
              fn.metricInvocations(),
              fn.metricErrors(),
              fn.metricThrottles(),
            ],
            right: [fn.metricDuration({ statistic: 'p99' })],
            width: 8,
          }),
      ),
      new GraphWidget({
        title: 'Pool table throttles',
        left: [tableThrottles(table)],
        width: 8,
      }),
      new GraphWidget({
        title: 'Lease API responses',
        left: [api.metricClientError(), api.metricServerError()],
        right: [api.metricLatency({ statistic: 'p99' })],
        width: 24,
      }),
    );
  }
}
