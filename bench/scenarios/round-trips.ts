import type { Broker, GrantedLease } from '../../functions/pool/broker';
import type { BenchStack, RequestCounter } from '../harness';
import type { BenchSettings } from '../settings';
import { max, mean, round, since } from '../stats';

const PRINCIPAL = 'arn:aws:iam::000000000000:role/bench';
const CHECK_OUT = { principal: PRINCIPAL, leaseMs: 60_000, waitMs: 5_000 };

/** DynamoDB requests one operation made, as counted by SDK middleware. */
export interface RoundTrip {
  readonly operation: string;
  /** Mean requests per operation (SDK retries included). */
  readonly requests: number;
  /** The most any one operation made. */
  readonly most: number;
  readonly samples: number;
  /** Mean per command, e.g. `{ UpdateItem: 2 }`. */
  readonly byCommand: Readonly<Record<string, number>>;
  /** `send` calls before retries; below `requests` only if the SDK retried. */
  readonly calls: number;
  /** Mean time per operation, for the paths that sleep. */
  readonly meanMs: number;
  /** The design's limit for the operation. */
  readonly limit: number;
  /** A warm container's everyday path, where the limit must hold. */
  readonly common: boolean;
}

type Container = { broker: Broker; counter: RequestCounter };

/** Adds up what tracked operations sent, by diffing a counter around each. */
class Tally {
  readonly #runs: { requests: Map<string, number>; calls: number }[] = [];
  readonly #ms: number[] = [];

  public async track<T>(c: Container, act: () => Promise<T>): Promise<T> {
    const before = new Map(c.counter.requests);
    const callsBefore = total(c.counter.calls);
    const started = performance.now();
    const result = await act();
    this.#ms.push(since(started));
    const requests = new Map<string, number>();
    for (const [name, n] of c.counter.requests) {
      const sent = n - (before.get(name) ?? 0);
      if (sent > 0) requests.set(name, sent);
    }
    this.#runs.push({ requests, calls: total(c.counter.calls) - callsBefore });
    return result;
  }

  public result(operation: string, limit: number, common: boolean): RoundTrip {
    const totals = this.#runs.map((run) => total(run.requests));
    const byCommand: Record<string, number> = {};
    for (const run of this.#runs) {
      for (const [name, n] of run.requests) {
        byCommand[name] = (byCommand[name] ?? 0) + n;
      }
    }
    for (const [name, n] of Object.entries(byCommand)) {
      byCommand[name] = round(n / this.#runs.length, 2);
    }
    return {
      operation,
      requests: round(mean(totals), 2),
      most: max(totals),
      samples: this.#runs.length,
      byCommand,
      calls: round(mean(this.#runs.map((run) => run.calls)), 2),
      meanMs: round(mean(this.#ms)),
      limit,
      common,
    };
  }
}

const total = (counts: Map<string, number>): number =>
  [...counts.values()].reduce((a, b) => a + b, 0);

const checkIn = (c: Container, lease: GrantedLease) =>
  c.broker.checkIn('default', lease.leaseId, {
    principal: PRINCIPAL,
    generation: lease.generation,
    outcome: 'ok',
  });

const checkOut = (c: Container) => c.broker.checkOut('default', CHECK_OUT);

/**
 * Requests per operation on in-process broker containers (the Lambda
 * handler's broker, minus HTTP) on DynamoDB Local, logging in to the
 * simulator. Every operation runs alone, so counter diffs are exact.
 */
export const measureRoundTrips = async (
  stack: BenchStack,
  settings: BenchSettings,
): Promise<RoundTrip[]> => {
  const { repeats } = settings.roundTrips;
  const a = stack.container();
  const results: RoundTrip[] = [];

  const cold = new Tally();
  const first = await cold.track(a, () => checkOut(a));
  results.push(cold.result('check-out, cold container, new pool', 2, false));

  const minting = new Tally();
  const second = await minting.track(a, () => checkOut(a));
  results.push(minting.result('check-out that logs in', 2, true));
  await checkIn(a, first);
  await checkIn(a, second);

  const reuse = new Tally();
  const renew = new Tally();
  const back = new Tally();
  for (let run = 0; run < repeats; run += 1) {
    const lease = await reuse.track(a, () => checkOut(a));
    await renew.track(a, () =>
      a.broker.renew('default', lease.leaseId, {
        principal: PRINCIPAL,
        generation: lease.generation,
        leaseMs: 90_000,
      }),
    );
    await back.track(a, () => checkIn(a, lease));
  }
  results.push(
    reuse.result('check-out reusing an idle session', 1, true),
    renew.result('renew', 1, true),
    back.result('check-in', 1, true),
  );

  for (const n of settings.roundTrips.containers) {
    results.push(...(await inTurn(stack, a, n, repeats)));
  }
  results.push(await staleBusyCopy(stack, a));
  return results;
};

/** Checks out every session, then returns them all. */
const cycleAll = async (stack: BenchStack, a: Container): Promise<void> => {
  const cap = stack.config.pools[0]?.cap ?? 10;
  const all = await Promise.all(Array.from({ length: cap }, () => checkOut(a)));
  for (const lease of all) await checkIn(a, lease);
};

/**
 * Lambda runs one request per container at a time, so requests for one
 * pool land on many containers, each holding its own copy of the item.
 * Here `n` containers take turns: each copy dates from that container's
 * own last turn, `n - 1` check-outs and check-ins ago.
 */
const inTurn = async (
  stack: BenchStack,
  a: Container,
  n: number,
  repeats: number,
): Promise<RoundTrip[]> => {
  await cycleAll(stack, a);
  const containers = Array.from({ length: n }, () => stack.container());
  for (const c of containers) await c.broker.status('default');
  const at = (turn: number) => containers[turn % n] as Container;

  const turns = new Tally();
  for (let turn = 0; turn < repeats * n; turn += 1) {
    const lease = await turns.track(at(turn), () => checkOut(at(turn)));
    await checkIn(at(turn), lease);
  }
  const crossed = new Tally();
  for (let turn = 0; turn < repeats * n; turn += 1) {
    const lease = await checkOut(at(turn));
    await crossed.track(at(turn + 1), () => checkIn(at(turn + 1), lease));
  }
  return [
    turns.result(`check-out reusing, ${n} containers in turn`, 1, true),
    crossed.result(`check-in on another of ${n} containers`, 1, true),
  ];
};

/**
 * A container that last saw every session leased, asked after one came
 * back elsewhere: its copy says wait, though a session is idle.
 */
const staleBusyCopy = async (
  stack: BenchStack,
  a: Container,
): Promise<RoundTrip> => {
  const cap = stack.config.pools[0]?.cap ?? 10;
  const busy = await Promise.all(
    Array.from({ length: cap }, () => checkOut(a)),
  );
  const stale = stack.container();
  await stale.broker.status('default');
  const [returned, ...rest] = busy;
  if (returned) await checkIn(a, returned);
  const waiting = new Tally();
  const got = await waiting.track(stale, () => checkOut(stale));
  for (const lease of [...rest, got]) await checkIn(a, lease);
  return waiting.result('check-out, copy says all leased (stale)', 1, false);
};
