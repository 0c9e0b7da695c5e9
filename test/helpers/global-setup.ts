import { startDynamoDbLocal } from '../../local/dynamodb-local';
import { setDynamoDbLocalHandle } from './global-state';

/**
 * Starts one DynamoDB Local for the whole run. Workers are spawned after
 * this, so they inherit the endpoint through the environment; each test
 * makes its own table, so nothing else is shared.
 *
 * An endpoint already set in `BROKER_TEST_DYNAMODB_ENDPOINT` is used as it
 * is, to run against an engine started by hand.
 */
export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  if (process.env.BROKER_TEST_DYNAMODB_ENDPOINT) return;

  const handle = await startDynamoDbLocal();
  setDynamoDbLocalHandle(handle);
  process.env.BROKER_TEST_DYNAMODB_ENDPOINT = handle.endpoint;
}
