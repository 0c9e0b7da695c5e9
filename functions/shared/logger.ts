import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The broker's logger: one JSON object per line, level from
 * `POWERTOOLS_LOG_LEVEL`. Call sites pass names and numbers as fields;
 * tokens, passwords and api-keys are never fields.
 */
export const createLogger = (serviceName = 'session-broker'): Logger =>
  new Logger({ serviceName });
