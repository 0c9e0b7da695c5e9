import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  BROKER_METRIC_UNITS,
  type BrokerMetricName,
  METRICS_NAMESPACE,
  POOL_DIMENSION,
} from '../../infra/metrics';

/** Where the broker reports its numbers; the names are the alarms'. */
export interface MetricsRecorder {
  record(pool: string, name: BrokerMetricName, value: number): void;
}

/** For local runs and tests: numbers go nowhere. */
export const noMetrics: MetricsRecorder = { record: () => undefined };

/**
 * CloudWatch embedded metric format through Powertools Metrics: one line
 * per datapoint, dimensioned by pool only, which is what the stack's
 * alarms and dashboard read.
 */
export const createCloudWatchMetrics = (
  serviceName: string,
): MetricsRecorder => {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  return {
    record: (pool, name, value) => {
      const single = metrics.singleMetric();
      // Powertools adds a `service` dimension; the alarms expect `pool` only.
      single.clearDefaultDimensions();
      single.addDimension(POOL_DIMENSION, pool);
      single.addMetric(name, BROKER_METRIC_UNITS[name], value);
    },
  };
};
