import middy from '@middy/core';
import { type LeasedSessionContext, leasedSession } from '../../client';

/**
 * An example consumer: one upstream call with a leased session. The
 * middleware reads `BROKER_ENDPOINT` and `BROKER_POOL`, which `grantLease`
 * set, checks a session out before this body runs and back in after it.
 */
export const handler = middy(
  async (_event: unknown, context: LeasedSessionContext) => {
    const response = await context.session.fetch('/campaigns');
    const body = (await response.json()) as { result?: unknown[] };
    return { campaigns: body.result?.length ?? 0 };
  },
).use(leasedSession());
