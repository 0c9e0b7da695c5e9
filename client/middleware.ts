import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { BrokerClient } from './broker-client';
import { UpstreamError } from './errors';
import type { LeasedSession } from './session';

/** Where the middleware puts the session: `context.session`. */
export interface LeasedSessionContext extends Context {
  session: LeasedSession;
}

const optionsSchema = z
  .object({
    client: z.instanceof(BrokerClient).optional(),
    endpoint: z.string().url().optional(),
    pool: z.string().min(1).optional(),
    holder: z.string().min(1).max(128).optional(),
    leaseSeconds: z.number().int().min(2).max(900).optional(),
    marginMs: z.number().int().min(0).default(2_000),
  })
  .strict();

export type LeasedSessionOptions = z.input<typeof optionsSchema>;

/**
 * Middy middleware that leases a session for each invocation: checks out
 * before the handler and puts it on `context.session`, renews it when the
 * handler outlives half the lease, and checks it in afterwards, on success
 * and on error, with `rejected` when the upstream said the session was dead.
 *
 * Options: `client` (or `endpoint` and `pool`, defaulting to the
 * `BROKER_ENDPOINT` and `BROKER_POOL` variables that `grantLease` sets),
 * `holder` (default: the function name), `leaseSeconds` (default: the
 * broker's), `marginMs` (default 2000: time kept back from the Lambda's
 * deadline when waiting for a session).
 *
 * @example
 * export const handler = middy(async (event, context: LeasedSessionContext) =>
 *   (await context.session.fetch('/campaigns')).json(),
 * ).use(leasedSession());
 */
export const leasedSession = (
  options: LeasedSessionOptions = {},
): MiddlewareObj<unknown, unknown, Error, LeasedSessionContext> => {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new TypeError(
      `leasedSession: invalid options: ${parsed.error.issues
        .map(
          (issue) => `${issue.path.join('.') || '(options)'} ${issue.message}`,
        )
        .join('; ')}`,
    );
  }
  const settings = parsed.data;
  const endpoint = settings.endpoint ?? process.env.BROKER_ENDPOINT;
  const pool = settings.pool ?? process.env.BROKER_POOL;
  if (!settings.client && (!endpoint || !pool)) {
    throw new TypeError(
      'leasedSession: give a client, or endpoint and pool (or set BROKER_ENDPOINT and BROKER_POOL)',
    );
  }
  const client =
    settings.client ??
    new BrokerClient({ endpoint: endpoint as string, pool: pool as string });
  const renewals = new WeakMap<Request, () => void>();

  const finish = async (
    request: Request<unknown, unknown, Error, LeasedSessionContext>,
  ) => {
    renewals.get(request)?.();
    renewals.delete(request);
    const session = request.context.session as LeasedSession | undefined;
    if (!session) return;
    if (
      request.error instanceof UpstreamError &&
      request.error.isSessionError
    ) {
      session.reject(request.error);
    }
    await client.checkIn(session);
  };

  return {
    before: async (request) => {
      const context = request.context;
      const session = await client.checkOut({
        holder: settings.holder ?? context.functionName ?? 'lambda',
        ...(settings.leaseSeconds === undefined
          ? {}
          : { leaseSeconds: settings.leaseSeconds }),
        deadline:
          Date.now() + context.getRemainingTimeInMillis() - settings.marginMs,
      });
      context.session = session;
      renewals.set(
        request,
        keepRenewed(client, session, settings.leaseSeconds),
      );
    },
    after: finish,
    onError: async (request) => {
      // The handler's error stays the one middy reports; a failed check-in
      // only means the lease runs out on its own.
      await finish(request).catch(() => undefined);
    },
  };
};

/**
 * Renews the lease each time half of it has passed. Returns the function
 * that stops renewing; the timer is unref'd so it never holds a Lambda open.
 */
const keepRenewed = (
  client: BrokerClient,
  session: LeasedSession,
  leaseSeconds: number | undefined,
): (() => void) => {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (): void => {
    const remaining = Date.parse(session.lease.expiresAt) - Date.now();
    timer = setTimeout(renew, Math.max(remaining / 2, 100));
    timer.unref();
  };
  const renew = (): void => {
    client
      .renew(session, leaseSeconds === undefined ? {} : { leaseSeconds })
      .then(
        () => {
          if (!stopped) schedule();
        },
        () => undefined,
      );
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
};
