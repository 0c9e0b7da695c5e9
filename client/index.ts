/**
 * The consumer side of the session broker: a typed client and a middy
 * middleware that lease an upstream session in one line.
 *
 * @packageDocumentation
 */
export {
  BrokerClient,
  type BrokerClientOptions,
  type CheckOutOptions,
  type WithSessionOptions,
} from './broker-client';
export {
  BreakerOpenError,
  BrokerClientError,
  BrokerUnavailableError,
  InvalidRequestError,
  LeaseLostError,
  PoolExhaustedError,
  SESSION_TIMED_OUT,
  UnauthorizedError,
  UpstreamError,
} from './errors';
export {
  type LeasedSessionContext,
  type LeasedSessionOptions,
  leasedSession,
} from './middleware';
export {
  type Lease,
  LeasedSession,
  type Outcome,
  type QuotaSeen,
} from './session';
