/** The broker's clock: the simulator and the broker share one notion of time. */
export type { Clock } from '../../functions/shared/clock';

/** Faults the simulator injects into one account's logins. All off by default. */
export interface SimFaults {
  /**
   * Answer every successful login this much later; the session exists from
   * the moment the request arrived.
   * @default 0
   */
  loginDelayMs: number;
  /**
   * Chance (0 to 1) that a login answers HTTP 503 without creating a
   * session: a failure the client can be certain of.
   * @default 0
   */
  loginFailureRate: number;
  /**
   * The next this-many logins create and count their session, then hold the
   * response back for `hangMs`, so the client times out not knowing whether
   * a session was made. Setting it restarts the count.
   * @default 0
   */
  hangAfterCount: number;
  /**
   * How long a hung login holds its response back.
   * @default 30_000
   */
  hangMs: number;
}

/** One upstream account (one set of credentials with its own cap). */
export interface SimAccountConfig {
  /** Login name; accounts are keyed by it. */
  username: string;
  password: string;
  /** The account's own api-key; no other account's key is accepted for it. */
  apiKey: string;
  /**
   * Most sessions that may be live at once.
   * @default 10
   */
  maxSessions?: number;
  /**
   * How long a session lives from its login, used or not.
   * @default 10_800_000 (3 hours)
   */
  sessionLifetimeMs?: number;
  /**
   * Requests allowed per UTC day.
   * @default 1000
   */
  dailyQuota?: number;
  /**
   * Requests allowed per UTC calendar month.
   * @default 30000
   */
  monthlyQuota?: number;
  /** Faults to inject; any left out stay off. */
  faults?: Partial<SimFaults>;
}

/** A change to an existing account; fields left out keep their value. */
export type SimAccountPatch = Partial<Omit<SimAccountConfig, 'username'>>;

/** What the simulator saw for one account since it was added or reset. */
export interface SimAccountStats {
  /** Sessions live right now. */
  live: number;
  /** Most sessions ever live at once. */
  peakLive: number;
  /** Sessions created. */
  logins: number;
  /** Login requests received, whatever their outcome. */
  loginAttempts: number;
  /** Logins refused for a wrong username, password or api-key. */
  rejectedLogins: number;
  /** Logins refused because the account had its most live sessions. */
  capRefusals: number;
  /** Logins answered 503 by the `loginFailureRate` fault. */
  injectedFailures: number;
  /** Logins whose response was held back by the `hangAfterCount` fault. */
  hungLogins: number;
  /** Successful authenticated reads. */
  reads: number;
}

/**
 * An account as the admin API shows it: settings and quota, never the
 * password, api-key or session tokens.
 */
export interface SimAccountView {
  username: string;
  maxSessions: number;
  sessionLifetimeMs: number;
  dailyQuota: number;
  monthlyQuota: number;
  dailyAvailable: number;
  monthlyAvailable: number;
  faults: SimFaults;
}

/** Defaults taken from the real upstream's documented limits. */
export const SIM_DEFAULTS = {
  maxSessions: 10,
  sessionLifetimeMs: 3 * 60 * 60 * 1000,
  dailyQuota: 1000,
  monthlyQuota: 30_000,
  hangMs: 30_000,
} as const;
