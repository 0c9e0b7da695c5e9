import { randomBytes } from 'node:crypto';
import { type QuotaSnapshot, SimAccount } from './account';
import { SimErrorCode } from './codes';
import {
  parseAccountConfig,
  parseAccountPatch,
  SimAccountExistsError,
  SimConfigError,
  SimUnknownAccountError,
} from './schema';
import type {
  Clock,
  SimAccountConfig,
  SimAccountPatch,
  SimAccountStats,
  SimAccountView,
} from './types';

/** What the HTTP layer must answer; `quota` is set when the key was valid. */
export type Outcome<T> = { quota?: QuotaSnapshot } & (
  | { kind: 'ok'; value: T }
  | { kind: 'error'; code: SimErrorCode }
  | { kind: 'unavailable' }
);

/** A successful login: the token, and how long to hold the answer back. */
export interface LoginSuccess {
  sessionId: string;
  delayMs: number;
  hung: boolean;
}

/** A login request as the HTTP layer parsed it. */
export interface LoginRequest {
  apiKey: string | undefined;
  username: string;
  password: string;
}

/**
 * All accounts and their sessions, and the upstream's rules for logins and
 * reads. Knows nothing of HTTP.
 */
export class SimulatorState {
  private readonly accounts = new Map<string, SimAccount>();

  constructor(
    private readonly clock: Clock,
    private readonly seed: number,
  ) {}

  addAccount(config: SimAccountConfig): SimAccountView {
    const valid = parseAccountConfig(config);
    if (this.accounts.has(valid.username)) {
      throw new SimAccountExistsError(valid.username);
    }
    this.assertKeyFree(valid.apiKey, valid.username);
    const account = new SimAccount(valid, this.seed, this.clock);
    this.accounts.set(account.username, account);
    return account.view();
  }

  updateAccount(username: string, patch: SimAccountPatch): SimAccountView {
    const valid = parseAccountPatch(patch);
    const account = this.get(username);
    if (valid.apiKey !== undefined) this.assertKeyFree(valid.apiKey, username);
    account.update(valid);
    return account.view();
  }

  has(username: string): boolean {
    return this.accounts.has(username);
  }

  view(username: string): SimAccountView {
    return this.get(username).view();
  }

  stats(username: string): SimAccountStats {
    return this.get(username).stats();
  }

  resetStats(username: string): void {
    this.get(username).resetStats();
  }

  /** Ends every session of the account now. @returns how many were live. */
  expireAllSessions(username: string): number {
    const account = this.get(username);
    const live = account.liveCount();
    account.sessions.clear();
    return live;
  }

  /**
   * Applies the upstream's login rules in the order a real service would:
   * key, quota, outage, credentials, then the session cap.
   */
  login(request: LoginRequest): Outcome<LoginSuccess> {
    const named = this.accounts.get(request.username);
    const keyed = this.byApiKey(request.apiKey);
    const target = named ?? keyed;
    if (target) target.counters.loginAttempts += 1;

    if (!keyed) return this.rejectLogin(named, SimErrorCode.INVALID_API_KEY);
    if (!keyed.chargeRequest()) {
      return this.refuseQuota(keyed);
    }
    const quota = keyed.quota();
    if (named && named !== keyed) {
      return this.rejectLogin(named, SimErrorCode.INVALID_API_KEY, quota);
    }
    if (keyed.drawInjectedFailure()) {
      keyed.counters.injectedFailures += 1;
      return { kind: 'unavailable', quota };
    }
    if (!named || named.password !== request.password) {
      return this.rejectLogin(keyed, SimErrorCode.INVALID_CREDENTIALS, quota);
    }
    if (named.liveCount() >= named.maxSessions) {
      named.counters.capRefusals += 1;
      const code = SimErrorCode.SESSION_LIMIT_REACHED;
      return { kind: 'error', code, quota };
    }

    const sessionId = randomBytes(32).toString('base64url');
    named.addSession(sessionId);
    const hung = named.takeHang();
    if (hung) named.counters.hungLogins += 1;
    const delayMs = hung ? named.faults.hangMs : named.faults.loginDelayMs;
    return { kind: 'ok', value: { sessionId, delayMs, hung }, quota };
  }

  /** Applies the rules for an authenticated read of the campaign list. */
  read(apiKey: string | undefined, token: string | undefined): Outcome<null> {
    const keyed = this.byApiKey(apiKey);
    if (!keyed) return { kind: 'error', code: SimErrorCode.INVALID_API_KEY };
    if (!keyed.chargeRequest()) return this.refuseQuota(keyed);
    const quota = keyed.quota();

    const owner = token === undefined ? undefined : this.ownerOf(token);
    if (!owner) {
      return { kind: 'error', code: SimErrorCode.SESSION_NOT_VALID, quota };
    }
    if (owner !== keyed) {
      return { kind: 'error', code: SimErrorCode.INVALID_API_KEY, quota };
    }
    keyed.counters.reads += 1;
    return { kind: 'ok', value: null, quota };
  }

  /** Quota figures for a key's account, for headers on early failures. */
  quotaFor(apiKey: string | undefined): QuotaSnapshot | undefined {
    return this.byApiKey(apiKey)?.quota();
  }

  private get(username: string): SimAccount {
    const account = this.accounts.get(username);
    if (!account) throw new SimUnknownAccountError(username);
    return account;
  }

  private byApiKey(apiKey: string | undefined): SimAccount | undefined {
    if (apiKey === undefined) return undefined;
    for (const account of this.accounts.values()) {
      if (account.apiKey === apiKey) return account;
    }
    return undefined;
  }

  private ownerOf(token: string): SimAccount | undefined {
    for (const account of this.accounts.values()) {
      if (account.isLive(token)) return account;
    }
    return undefined;
  }

  private assertKeyFree(apiKey: string, username: string): void {
    const holder = this.byApiKey(apiKey);
    // Keys identify the account a request is charged to, so two accounts
    // sharing one would make quotas and key checks ambiguous.
    if (holder && holder.username !== username) {
      throw new SimConfigError('That api-key already belongs to an account');
    }
  }

  private rejectLogin(
    account: SimAccount | undefined,
    code: SimErrorCode,
    quota?: QuotaSnapshot,
  ): Outcome<LoginSuccess> {
    if (account) account.counters.rejectedLogins += 1;
    return quota ? { kind: 'error', code, quota } : { kind: 'error', code };
  }

  private refuseQuota(account: SimAccount): Outcome<never> {
    const code = SimErrorCode.QUOTA_EXHAUSTED;
    return { kind: 'error', code, quota: account.quota() };
  }
}
