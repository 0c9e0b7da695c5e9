import { createCloudWatchMetrics } from '../../functions/shared/metrics';
import { BrokerMetric } from '../../infra/metrics';

describe('Function: createCloudWatchMetrics', () => {
  it('writes one EMF line per datapoint, dimensioned by pool alone', () => {
    // Prepare
    const lines: string[] = [];
    const spy = jest
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk) => {
        lines.push(String(chunk));
        return true;
      });
    const metrics = createCloudWatchMetrics('session-broker');

    // Act
    try {
      metrics.record('default', BrokerMetric.CheckOutLatency, 42);
      metrics.record('reports', BrokerMetric.CheckOutGranted, 1);
    } finally {
      spy.mockRestore();
    }

    // Assess
    const emf = lines
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(emf).toHaveLength(2);
    expect(emf[0]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'SessionBroker',
            Dimensions: [['pool']],
            Metrics: [{ Name: 'CheckOutLatency', Unit: 'Milliseconds' }],
          },
        ],
      },
      pool: 'default',
      CheckOutLatency: 42,
    });
    expect(emf[1]).toMatchObject({ pool: 'reports', CheckOutGranted: 1 });
    expect(emf[0].service).toBeUndefined();
  });
});
