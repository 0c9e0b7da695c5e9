import { takeDynamoDbLocalHandle } from './global-state';

/** Stops the DynamoDB Local that global setup started, if it started one. */
export default async function globalTeardown(): Promise<void> {
  const handle = takeDynamoDbLocalHandle();
  if (!handle) return;
  delete process.env.BROKER_TEST_DYNAMODB_ENDPOINT;
  await handle.stop();
}
