import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerCredentialsSource } from '../credentials/secrets-manager';
import { createRotationHandler } from '../rotation-runtime';
import { systemClock } from '../shared/clock';
import { ConfigError, loadConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { createCloudWatchMetrics } from '../shared/metrics';

/**
 * Lambda entry point for the schedule and for Secrets Manager rotation.
 * The sweep reads each pool's secret afresh on every run, so a new secret
 * version is noticed within one schedule period.
 */
const config = loadConfig(process.env);
const secretsManager = new SecretsManagerClient({});

export const handler = createRotationHandler({
  config,
  clock: systemClock,
  metrics: createCloudWatchMetrics('session-broker-rotation'),
  logger: createLogger('session-broker-rotation'),
  secretsManager,
  credentialsFor: (pool) => {
    if (!pool.secretId) {
      throw new ConfigError(`pool ${pool.name} has no secretId`);
    }
    return new SecretsManagerCredentialsSource({
      client: secretsManager,
      secretId: pool.secretId,
      clock: systemClock,
      maxAgeMs: 0,
      staleIfErrorMs: 0,
      ...((pool.baseUrl ?? config.defaultBaseUrl)
        ? { defaultBaseUrl: pool.baseUrl ?? config.defaultBaseUrl }
        : {}),
    });
  },
});
