/**
 * Local stand-in for the retired Sizmek / Amazon Ad Server API, for
 * `npm start` and the tests.
 *
 * Upstream API under `<baseUrl>` (`http://127.0.0.1:<port>/sas`):
 * - `POST /login/login` with `api-key` and a JSON `{username, password}`.
 * - `GET /campaigns` with `Authorization: <sessionId>` and `api-key`.
 *
 * Control endpoints under `<adminUrl>` (`http://127.0.0.1:<port>/__sim`):
 * - `PUT /accounts/{username}`: create, or change settings and faults.
 * - `GET /accounts/{username}`: settings and quota left.
 * - `GET /accounts/{username}/stats`: counters.
 * - `POST /accounts/{username}/expire-sessions`: end all live sessions.
 * - `POST /accounts/{username}/reset-stats`: zero the counters.
 *
 * @packageDocumentation
 */
export { ADMIN_BASE_PATH } from './admin';
export { API_BASE_PATH } from './api';
export { errorBody, SimErrorCode, type UpstreamErrorBody } from './codes';
export {
  SimAccountExistsError,
  SimConfigError,
  SimUnknownAccountError,
  SimulatorError,
} from './schema';
export { UpstreamSimulator, type UpstreamSimulatorOptions } from './server';
export {
  type Clock,
  SIM_DEFAULTS,
  type SimAccountConfig,
  type SimAccountPatch,
  type SimAccountStats,
  type SimAccountView,
  type SimFaults,
} from './types';
