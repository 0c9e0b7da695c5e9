import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretsManagerSourceFor } from '../credentials/secrets-manager';
import { createRotationHandler } from '../rotation-runtime';
import { systemClock } from '../shared/clock';
import { loadConfig } from '../shared/config';
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
  // The sweep reads secrets afresh: a cached one would hide a new version.
  credentialsFor: secretsManagerSourceFor(secretsManager, config, {
    maxAgeMs: 0,
    staleIfErrorMs: 0,
  }),
});
