/**
 * Dummy AWS settings shared by every client that talks to local emulators.
 *
 * DynamoDB Local keeps a separate set of tables per access key and region,
 * so a client with any other key or region would see none of the tables
 * the rest of the run created.
 */

/** Region every local AWS client uses. */
export const LOCAL_AWS_REGION = 'us-east-1';

/** Credentials every local AWS client uses; DynamoDB Local checks none. */
export const LOCAL_AWS_CREDENTIALS = {
  accessKeyId: 'local',
  secretAccessKey: 'local',
} as const;

/** Client settings for an AWS SDK v3 client aimed at a local endpoint. */
export interface LocalAwsClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Builds the settings for an SDK client aimed at a local emulator.
 *
 * @example
 * ```ts
 * const client = new DynamoDBClient(localAwsClientConfig(endpoint));
 * ```
 */
export function localAwsClientConfig(endpoint: string): LocalAwsClientConfig {
  return {
    endpoint,
    region: LOCAL_AWS_REGION,
    credentials: { ...LOCAL_AWS_CREDENTIALS },
  };
}
