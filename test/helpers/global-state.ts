import type { DynamoDbLocalHandle } from '../../local/dynamodb-local';

// Jest documents globalThis as the one channel from global setup to global
// teardown; a symbol keeps the slot clear of anything else stored there.
const KEY = Symbol.for('session-broker.test.dynamodb-local');

type WithHandle = typeof globalThis & {
  [KEY]?: DynamoDbLocalHandle;
};

/** Keeps the engine's handle for global teardown. */
export function setDynamoDbLocalHandle(handle: DynamoDbLocalHandle): void {
  (globalThis as WithHandle)[KEY] = handle;
}

/** Returns the engine's handle, if any, and forgets it. */
export function takeDynamoDbLocalHandle(): DynamoDbLocalHandle | undefined {
  const holder = globalThis as WithHandle;
  const handle = holder[KEY];
  delete holder[KEY];
  return handle;
}
