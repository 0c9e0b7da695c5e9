import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLeaseApiHandler } from '../bootstrap';
import { SecretsManagerCredentialsSource } from '../credentials/secrets-manager';
import { systemClock } from '../shared/clock';
import { ConfigError, loadConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { createCloudWatchMetrics } from '../shared/metrics';

/**
 * Lambda entry point behind API Gateway. Settings are read once per
 * container; a bad setting fails the cold start loudly instead of each
 * request quietly.
 */
const config = loadConfig(process.env);
const secretsManager = new SecretsManagerClient({});

export const handler = createLeaseApiHandler({
  config,
  clock: systemClock,
  metrics: createCloudWatchMetrics('session-broker'),
  logger: createLogger(),
  credentialsFor: (pool) => {
    if (!pool.secretId) {
      throw new ConfigError(`pool ${pool.name} has no secretId`);
    }
    return new SecretsManagerCredentialsSource({
      client: secretsManager,
      secretId: pool.secretId,
      clock: systemClock,
      maxAgeMs: config.secretMaxAgeMs,
      staleIfErrorMs: config.secretStaleIfErrorMs,
      ...((pool.baseUrl ?? config.defaultBaseUrl)
        ? { defaultBaseUrl: pool.baseUrl ?? config.defaultBaseUrl }
        : {}),
    });
  },
});
