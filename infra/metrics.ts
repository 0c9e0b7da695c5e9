/**
 * The broker's CloudWatch metrics: one contract shared by the code that
 * emits them (Powertools Metrics, embedded metric format) and the alarms
 * and dashboard that read them. This module imports nothing, so Lambda
 * code can import it without pulling the CDK into a bundle.
 *
 * Every metric carries exactly one dimension, {@link POOL_DIMENSION}.
 * Powertools adds a `service` dimension by default; an emitter must call
 * `clearDefaultDimensions()` once after construction, or CloudWatch files
 * the datapoints under another dimension set and no alarm sees them.
 *
 * @example
 * import { Metrics } from '@aws-lambda-powertools/metrics';
 * import { BrokerMetric, METRICS_NAMESPACE, POOL_DIMENSION } from '../../infra/metrics';
 *
 * const metrics = new Metrics({ namespace: METRICS_NAMESPACE });
 * metrics.clearDefaultDimensions();
 * metrics.addDimension(POOL_DIMENSION, 'default');
 * metrics.addMetric(BrokerMetric.CheckOutGranted, 'Count', 1);
 */

/** The CloudWatch namespace of every broker metric. */
export const METRICS_NAMESPACE = 'SessionBroker';

/** The one dimension on every broker metric: the pool's name. */
export const POOL_DIMENSION = 'pool';

/** The broker's metric names. */
export const BrokerMetric = {
  /** A check-out that got a lease. Count. */
  CheckOutGranted: 'CheckOutGranted',
  /** A check-out answered 429: no session within the caller's wait. Count. */
  CheckOutExhausted: 'CheckOutExhausted',
  /** The upstream refused the credentials; the breaker opens. Count. */
  LoginRejected: 'LoginRejected',
  /** A login that failed for another reason (timeout, 5xx, network). Count. */
  LoginFailed: 'LoginFailed',
  /** Gauge: 1 while the pool's breaker is open, else 0. */
  BreakerOpen: 'BreakerOpen',
  /** Gauge: upstream sessions counted against the cap. Count. */
  LiveSessions: 'LiveSessions',
  /** Gauge: sessions currently leased to a caller. Count. */
  LeasedSessions: 'LeasedSessions',
  /** Time to answer a check-out, waits included. Milliseconds. */
  CheckOutLatency: 'CheckOutLatency',
  /** Time a check-out spent waiting for a free session. Milliseconds. */
  WaitTime: 'WaitTime',
} as const;

/** One of the {@link BrokerMetric} names. */
export type BrokerMetricName = (typeof BrokerMetric)[keyof typeof BrokerMetric];

/**
 * The unit each metric is emitted in, spelled as Powertools' `MetricUnit`
 * and CloudWatch spell it.
 */
export const BROKER_METRIC_UNITS: Readonly<
  Record<BrokerMetricName, 'Count' | 'Milliseconds'>
> = {
  CheckOutGranted: 'Count',
  CheckOutExhausted: 'Count',
  LoginRejected: 'Count',
  LoginFailed: 'Count',
  BreakerOpen: 'Count',
  LiveSessions: 'Count',
  LeasedSessions: 'Count',
  CheckOutLatency: 'Milliseconds',
  WaitTime: 'Milliseconds',
};
