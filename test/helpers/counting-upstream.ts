import type { Clock } from '../../functions/shared/clock';
import { sleep } from '../../functions/shared/clock';
import {
  LoginOutcomeUnknownError,
  LoginRejectedError,
  LoginUnavailableError,
  SESSION_TIMED_OUT_CODE,
} from '../../functions/upstream/errors';
import type { Login } from '../../functions/upstream/login-client';
import type { SeededRandom } from './seeded-random';

/** Error codes this fake answers with; only 200003 is a published one. */
export const FAKE_CODES = {
  badCredentials: 200001,
  badApiKey: 200002,
  sessionTimedOut: SESSION_TIMED_OUT_CODE,
  sessionLimit: 200004,
} as const;

/** Chances (0 to 1) of each upstream fault, drawn per login or per call. */
export interface UpstreamFaultRates {
  /** The login answers after a delay, past the timeout at times. */
  readonly slow: number;
  /** HTTP 503 before any session is made: surely no session. */
  readonly fail: number;
  /** The session is made, then the answer is lost: outcome unknown. */
  readonly unknown: number;
  /** The caller's process dies while the login is in flight. */
  readonly crash: number;
  /** A call finds its session timed out (code 200003). */
  readonly kill: number;
  /** A call fails for another reason (HTTP 500 without a code). */
  readonly otherError: number;
}

export const NO_UPSTREAM_FAULTS: UpstreamFaultRates = {
  slow: 0,
  fail: 0,
  unknown: 0,
  crash: 0,
  kill: 0,
  otherError: 0,
};

export type UpstreamCall =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: number | undefined };

/** What the fake saw; `overCap` must stay zero whatever the broker does. */
export interface UpstreamCounters {
  loginAttempts: number;
  logins: number;
  peakLive: number;
  /** Logins that arrived while `cap` sessions were live. */
  overCap: number;
  rejected: number;
  /** Logins refused at the cap because of foreign sessions. */
  capRefusals: number;
  slow: number;
  failed: number;
  unknown: number;
  crashed: number;
  killed: number;
  otherErrors: number;
  calls: number;
}

/**
 * An in-process upstream that counts live sessions exactly as the real one
 * would (each lives `lifetimeMs` from the moment its login arrived, on the
 * broker's own clock) and injects login and call faults from a seeded
 * sequence. Much faster than the HTTP simulator, for many schedules.
 */
export class CountingUpstream {
  public readonly counters: UpstreamCounters = {
    loginAttempts: 0,
    logins: 0,
    peakLive: 0,
    overCap: 0,
    rejected: 0,
    capRefusals: 0,
    slow: 0,
    failed: 0,
    unknown: 0,
    crashed: 0,
    killed: 0,
    otherErrors: 0,
    calls: 0,
  };
  /** What the upstream accepts now; tests change it to break logins. */
  public account: { username: string; password: string; apiKey: string };
  public faults: UpstreamFaultRates;
  /**
   * Sessions made outside the broker with the same credentials (a person
   * logged in by hand): they count upstream, so logins are refused at the
   * cap before the broker's own count reaches it.
   */
  public foreign = 0;
  /** Called when a login "crashes" its caller; the login never answers. */
  public onCrash: () => void = () => undefined;
  readonly #sessions = new Map<string, number>();
  readonly #options: {
    readonly clock: Clock;
    readonly cap: number;
    readonly lifetimeMs: number;
    readonly random: SeededRandom;
    readonly slowMs: readonly [number, number];
  };

  public constructor(options: {
    clock: Clock;
    cap: number;
    lifetimeMs: number;
    random: SeededRandom;
    account: { username: string; password: string; apiKey: string };
    faults?: UpstreamFaultRates;
    /** Range of a slow login's delay, in real milliseconds. */
    slowMs?: readonly [number, number];
  }) {
    this.#options = {
      clock: options.clock,
      cap: options.cap,
      lifetimeMs: options.lifetimeMs,
      random: options.random,
      slowMs: options.slowMs ?? [20, 400],
    };
    this.account = { ...options.account };
    this.faults = options.faults ?? NO_UPSTREAM_FAULTS;
  }

  /** Sessions live now, on the shared clock. */
  public live(): number {
    const now = this.#options.clock.now();
    for (const [token, expiresAt] of this.#sessions) {
      if (expiresAt <= now) this.#sessions.delete(token);
    }
    return this.#sessions.size;
  }

  /**
   * Every draw and the session's creation happen when the request arrives,
   * before any await: a session's life is counted from the instant the
   * broker sent its login, as the real upstream would count it.
   */
  public readonly login: Login = async (credentials, { timeoutMs }) => {
    const { random, clock } = this.#options;
    const c = this.counters;
    c.loginAttempts += 1;
    // Counted on arrival, whatever the login then draws: a broker that sends
    // a login while `cap` sessions live has broken its promise even if that
    // login fails for another reason.
    if (this.live() >= this.#options.cap) c.overCap += 1;

    if (random.chance(this.faults.fail)) {
      c.failed += 1;
      await sleep(random.int(0, 5));
      throw new LoginUnavailableError('HTTP 503');
    }
    const refusal = this.#refusal(credentials);
    if (refusal !== undefined) {
      await sleep(random.int(0, 5));
      throw new LoginRejectedError(refusal, 500);
    }

    const token = `tok-${random.hex(32)}`;
    this.#sessions.set(token, clock.now() + this.#options.lifetimeMs);
    c.logins += 1;
    c.peakLive = Math.max(c.peakLive, this.live());

    if (random.chance(this.faults.crash)) {
      c.crashed += 1;
      this.onCrash();
      return new Promise<string>(() => undefined);
    }
    if (random.chance(this.faults.unknown)) {
      c.unknown += 1;
      await sleep(random.int(0, 20));
      throw new LoginOutcomeUnknownError('the answer was lost');
    }
    const delayMs = random.chance(this.faults.slow)
      ? random.int(...this.#options.slowMs)
      : random.int(0, 5);
    if (delayMs > 5) c.slow += 1;
    await sleep(Math.min(delayMs, timeoutMs));
    if (delayMs >= timeoutMs) throw new LoginOutcomeUnknownError('timed out');
    return token;
  };

  /** The upstream code refusing this login, if it refuses it. */
  #refusal(credentials: {
    username: string;
    password: string;
    apiKey: string;
  }): number | undefined {
    const c = this.counters;
    if (
      credentials.username !== this.account.username ||
      credentials.password !== this.account.password
    ) {
      c.rejected += 1;
      return FAKE_CODES.badCredentials;
    }
    if (credentials.apiKey !== this.account.apiKey) {
      c.rejected += 1;
      return FAKE_CODES.badApiKey;
    }
    if (this.live() >= this.#options.cap) {
      // The broker let one login too many through (counted on arrival).
      return FAKE_CODES.sessionLimit;
    }
    if (this.live() + this.foreign >= this.#options.cap) {
      c.capRefusals += 1;
      return FAKE_CODES.sessionLimit;
    }
    return undefined;
  }

  /** One authenticated call with a leased session, as a holder makes it. */
  public async call(token: string, apiKey: string): Promise<UpstreamCall> {
    const { random } = this.#options;
    this.counters.calls += 1;
    await sleep(random.int(0, 4));
    const expiresAt = this.#sessions.get(token);
    if (expiresAt === undefined || expiresAt <= this.#options.clock.now()) {
      return { ok: false, code: FAKE_CODES.sessionTimedOut };
    }
    if (apiKey !== this.account.apiKey) {
      return { ok: false, code: FAKE_CODES.badApiKey };
    }
    if (random.chance(this.faults.kill)) {
      this.counters.killed += 1;
      this.#sessions.delete(token);
      return { ok: false, code: FAKE_CODES.sessionTimedOut };
    }
    if (random.chance(this.faults.otherError)) {
      this.counters.otherErrors += 1;
      return { ok: false, code: undefined };
    }
    return { ok: true };
  }
}
