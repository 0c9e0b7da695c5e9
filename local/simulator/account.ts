import {
  type Clock,
  SIM_DEFAULTS,
  type SimAccountConfig,
  type SimAccountPatch,
  type SimAccountStats,
  type SimAccountView,
  type SimFaults,
} from './types';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Quota figures sent back in the `RateLimit-*` headers. */
export interface QuotaSnapshot {
  dailyLimit: number;
  dailyAvailable: number;
  monthlyLimit: number;
  monthlyAvailable: number;
}

type Counters = Omit<SimAccountStats, 'live'>;

function zeroCounters(peakLive: number): Counters {
  return {
    peakLive,
    logins: 0,
    loginAttempts: 0,
    rejectedLogins: 0,
    capRefusals: 0,
    injectedFailures: 0,
    hungLogins: 0,
    reads: 0,
  };
}

/**
 * mulberry32: tiny and good enough to decide faults, and seeded so a run
 * injects the same faults in the same order every time.
 */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashString(value: string): number {
  let hash = 2166136261;
  for (let i = 0; i < value.length; i += 1) {
    hash = Math.imul(hash ^ value.charCodeAt(i), 16777619);
  }
  return hash >>> 0;
}

function monthKey(epochMs: number): number {
  const date = new Date(epochMs);
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}

/** One account's settings, live sessions, quota use and counters. */
export class SimAccount {
  readonly username: string;
  password: string;
  apiKey: string;
  maxSessions: number;
  sessionLifetimeMs: number;
  dailyQuota: number;
  monthlyQuota: number;
  faults: SimFaults;
  /** Session token to its expiry (epoch ms). */
  readonly sessions = new Map<string, number>();
  counters: Counters = zeroCounters(0);
  private hangsLeft = 0;
  private dailyUsed = 0;
  private monthlyUsed = 0;
  private dayKey = Number.NaN;
  private monthKey = Number.NaN;
  private readonly random: () => number;

  constructor(
    config: SimAccountConfig,
    seed: number,
    private readonly clock: Clock,
  ) {
    this.username = config.username;
    this.password = config.password;
    this.apiKey = config.apiKey;
    this.maxSessions = config.maxSessions ?? SIM_DEFAULTS.maxSessions;
    this.sessionLifetimeMs =
      config.sessionLifetimeMs ?? SIM_DEFAULTS.sessionLifetimeMs;
    this.dailyQuota = config.dailyQuota ?? SIM_DEFAULTS.dailyQuota;
    this.monthlyQuota = config.monthlyQuota ?? SIM_DEFAULTS.monthlyQuota;
    this.faults = {
      loginDelayMs: 0,
      loginFailureRate: 0,
      hangAfterCount: 0,
      hangMs: SIM_DEFAULTS.hangMs,
    };
    // Each account draws from its own sequence, so traffic on one account
    // does not change which logins fail on another.
    this.random = seededRandom(seed ^ hashString(config.username));
    this.update({ faults: config.faults ?? {} });
  }

  /** Applies a change; fields left out keep their value. */
  update(patch: SimAccountPatch): void {
    this.password = patch.password ?? this.password;
    this.apiKey = patch.apiKey ?? this.apiKey;
    this.maxSessions = patch.maxSessions ?? this.maxSessions;
    this.sessionLifetimeMs = patch.sessionLifetimeMs ?? this.sessionLifetimeMs;
    this.dailyQuota = patch.dailyQuota ?? this.dailyQuota;
    this.monthlyQuota = patch.monthlyQuota ?? this.monthlyQuota;
    if (patch.faults) {
      this.faults = { ...this.faults, ...stripUndefined(patch.faults) };
      if (patch.faults.hangAfterCount !== undefined) {
        this.hangsLeft = patch.faults.hangAfterCount;
      }
    }
  }

  /** Live sessions now; drops the expired ones first. */
  liveCount(): number {
    const now = this.clock.now();
    for (const [token, expiresAt] of this.sessions) {
      if (expiresAt <= now) this.sessions.delete(token);
    }
    return this.sessions.size;
  }

  /** Whether a token is one of this account's live sessions. */
  isLive(token: string): boolean {
    const expiresAt = this.sessions.get(token);
    return expiresAt !== undefined && expiresAt > this.clock.now();
  }

  /** Records a new session and keeps the peak up to date. */
  addSession(token: string): void {
    this.sessions.set(token, this.clock.now() + this.sessionLifetimeMs);
    this.counters.logins += 1;
    this.counters.peakLive = Math.max(this.counters.peakLive, this.liveCount());
  }

  /**
   * Takes one request from both quotas.
   * @returns false, taking nothing, when either quota is used up.
   */
  chargeRequest(): boolean {
    this.rollQuotaWindows();
    if (
      this.dailyUsed >= this.dailyQuota ||
      this.monthlyUsed >= this.monthlyQuota
    ) {
      return false;
    }
    this.dailyUsed += 1;
    this.monthlyUsed += 1;
    return true;
  }

  quota(): QuotaSnapshot {
    this.rollQuotaWindows();
    return {
      dailyLimit: this.dailyQuota,
      dailyAvailable: Math.max(0, this.dailyQuota - this.dailyUsed),
      monthlyLimit: this.monthlyQuota,
      monthlyAvailable: Math.max(0, this.monthlyQuota - this.monthlyUsed),
    };
  }

  /** Draws whether this login gets the injected 503. */
  drawInjectedFailure(): boolean {
    const rate = this.faults.loginFailureRate;
    return rate > 0 && this.random() < rate;
  }

  /** Takes one hung login from the `hangAfterCount` budget, if any is left. */
  takeHang(): boolean {
    if (this.hangsLeft <= 0) return false;
    this.hangsLeft -= 1;
    return true;
  }

  stats(): SimAccountStats {
    return { live: this.liveCount(), ...this.counters };
  }

  resetStats(): void {
    this.counters = zeroCounters(this.liveCount());
  }

  view(): SimAccountView {
    const quota = this.quota();
    return {
      username: this.username,
      maxSessions: this.maxSessions,
      sessionLifetimeMs: this.sessionLifetimeMs,
      dailyQuota: this.dailyQuota,
      monthlyQuota: this.monthlyQuota,
      dailyAvailable: quota.dailyAvailable,
      monthlyAvailable: quota.monthlyAvailable,
      faults: { ...this.faults },
    };
  }

  private rollQuotaWindows(): void {
    const now = this.clock.now();
    const day = Math.floor(now / DAY_MS);
    if (day !== this.dayKey) {
      this.dayKey = day;
      this.dailyUsed = 0;
    }
    const month = monthKey(now);
    if (month !== this.monthKey) {
      this.monthKey = month;
      this.monthlyUsed = 0;
    }
  }
}

function stripUndefined<T extends object>(value: Partial<T>): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
