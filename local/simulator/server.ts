import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_BASE_PATH, handleAdmin } from './admin';
import { API_BASE_PATH, handleApi } from './api';
import { sendJson } from './http';
import { SimulatorState } from './state';
import type {
  Clock,
  SimAccountConfig,
  SimAccountPatch,
  SimAccountStats,
  SimAccountView,
} from './types';

/** Options for {@link UpstreamSimulator}. */
export interface UpstreamSimulatorOptions {
  /**
   * Port to listen on, on 127.0.0.1 only; 0 picks a free one.
   * @default 0
   */
  port?: number;
  /**
   * Where time comes from for session lifetimes and quota windows. Response
   * delays always run on real timers.
   * @default Date.now
   */
  clock?: Clock;
  /**
   * Seed for fault injection, so a run fails the same logins every time.
   * @default 1
   */
  seed?: number;
  /** Accounts to create before starting. */
  accounts?: SimAccountConfig[];
}

const LOOPBACK = '127.0.0.1';

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function under(path: string, base: string): string | undefined {
  if (path === base) return '';
  return path.startsWith(`${base}/`) ? path.slice(base.length) : undefined;
}

/**
 * A local stand-in for the retired Sizmek / Amazon Ad Server API: logins,
 * one authenticated read, the 10-session cap, quotas and injectable faults.
 *
 * @example
 * ```ts
 * const sim = new UpstreamSimulator({
 *   accounts: [{ username: 'u', password: 'p', apiKey: 'k' }],
 * });
 * await sim.start();
 * // POST `${sim.baseUrl}/login/login` ...
 * expect(sim.stats('u').peakLive).toBeLessThanOrEqual(10);
 * await sim.stop();
 * ```
 */
export class UpstreamSimulator {
  private readonly state: SimulatorState;
  private readonly requestedPort: number;
  private readonly pending = new Set<NodeJS.Timeout>();
  private server: Server | undefined;
  private boundPort: number | undefined;

  constructor(options: UpstreamSimulatorOptions = {}) {
    this.requestedPort = options.port ?? 0;
    this.state = new SimulatorState(
      options.clock ?? { now: () => Date.now() },
      options.seed ?? 1,
    );
    for (const account of options.accounts ?? []) this.addAccount(account);
  }

  /** Port the server listens on. @throws when not started. */
  get port(): number {
    if (this.boundPort === undefined) {
      throw new Error('Simulator is not started');
    }
    return this.boundPort;
  }

  /** Base URL of the upstream API, like `http://127.0.0.1:1234/sas`. */
  get baseUrl(): string {
    return `http://${LOOPBACK}:${this.port}${API_BASE_PATH}`;
  }

  /** Base URL of the control endpoints, like `http://127.0.0.1:1234/__sim`. */
  get adminUrl(): string {
    return `http://${LOOPBACK}:${this.port}${ADMIN_BASE_PATH}`;
  }

  /** Starts listening; resolves once the port is bound. */
  async start(): Promise<void> {
    if (this.server) throw new Error('Simulator is already started');
    const server = createServer((req, res) => this.dispatch(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.requestedPort, LOOPBACK, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((error: unknown) => {
      this.server = undefined;
      throw error;
    });
    this.boundPort = (server.address() as AddressInfo).port;
  }

  /**
   * Stops listening, drops every connection and abandons held-back answers,
   * leaving no handle open. Sessions and counters are kept.
   */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.boundPort = undefined;
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    const closed = new Promise<void>((resolve) =>
      server.close(() => resolve()),
    );
    server.closeAllConnections();
    await closed;
  }

  addAccount(config: SimAccountConfig): SimAccountView {
    return this.state.addAccount(config);
  }

  /** Changes an account, e.g. its password to simulate a rotation. */
  updateAccount(username: string, patch: SimAccountPatch): SimAccountView {
    return this.state.updateAccount(username, patch);
  }

  /** Settings and quota left; never the password, api-key or tokens. */
  account(username: string): SimAccountView {
    return this.state.view(username);
  }

  stats(username: string): SimAccountStats {
    return this.state.stats(username);
  }

  /** Zeroes the counters; `peakLive` restarts from the current live count. */
  resetStats(username: string): void {
    this.state.resetStats(username);
  }

  /** Ends every live session of the account now. @returns how many ended. */
  expireAllSessions(username: string): number {
    return this.state.expireAllSessions(username);
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    const path = pathOf(req);
    const apiPath = under(path, API_BASE_PATH);
    const adminPath = under(path, ADMIN_BASE_PATH);
    const handled =
      apiPath !== undefined
        ? handleApi(req, res, apiPath, {
            state: this.state,
            respondLater: (r, delayMs, send) =>
              this.respondLater(r, delayMs, send),
          })
        : adminPath !== undefined
          ? handleAdmin(req, res, adminPath, this.state)
          : undefined;
    if (!handled) {
      req.resume();
      sendJson(res, 404, {
        error: { code: 'NOT_FOUND', message: 'Not found' },
      });
      return;
    }
    handled.catch((error: unknown) => {
      // A bug in a handler must cost one request, not the whole simulator.
      // Handlers never put request data in errors, so the stack is safe to
      // log; the caller gets no detail.
      console.error('upstream simulator: handler failed', error);
      req.resume();
      sendJson(res, 500, {
        error: { code: 'INTERNAL', message: 'Simulator error' },
      });
    });
  }

  private respondLater(
    res: ServerResponse,
    delayMs: number,
    send: () => void,
  ): void {
    if (delayMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      send();
    }, delayMs);
    this.pending.add(timer);
    res.once('close', () => {
      clearTimeout(timer);
      this.pending.delete(timer);
    });
  }
}
