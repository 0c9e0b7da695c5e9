import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLeaseApiHandler } from '../bootstrap';
import { secretsManagerSourceFor } from '../credentials/secrets-manager';
import { systemClock } from '../shared/clock';
import { loadConfig } from '../shared/config';
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
  credentialsFor: secretsManagerSourceFor(secretsManager, config, {
    maxAgeMs: config.secretMaxAgeMs,
    staleIfErrorMs: config.secretStaleIfErrorMs,
  }),
});
