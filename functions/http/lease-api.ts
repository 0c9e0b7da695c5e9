import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpRouterHandler from '@middy/http-router';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
} from 'aws-lambda';
import type { Broker, GrantedLease } from '../pool/broker';
import { PoolNotFoundError } from '../pool/errors';
import { describeError } from '../shared/describe-error';
import { parseBody, principalOf } from './request';
import { errorResponse, json, toBrokerError } from './response';
import { ROUTES, type RouteName } from './routes';
import {
  checkInBodySchema,
  checkOutBodySchema,
  poolNameSchema,
  type RequestLimits,
  renewBodySchema,
} from './schemas';

export interface LeaseApiOptions {
  readonly broker: Broker;
  readonly logger: Logger;
  readonly limits: RequestLimits;
}

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The lease API as one Lambda handler for API Gateway REST proxy events.
 * Handlers only parse, call the broker and shape the answer; every error
 * becomes a JSON body with a stable `code`.
 */
export const createLeaseApi = ({ broker, logger, limits }: LeaseApiOptions) => {
  const checkOutBody = checkOutBodySchema(limits);
  const renewBody = renewBodySchema(limits);

  const checkOut: Handler = async (event) => {
    const pool = poolParam(event);
    const principal = principalOf(event);
    const body = parseBody(event, checkOutBody);
    const lease = await broker.checkOut(pool, {
      principal,
      ...(body.holder === undefined ? {} : { holder: body.holder }),
      leaseMs: body.leaseSeconds * 1000,
      waitMs: body.waitSeconds * 1000,
    });
    return json(201, leaseBody(lease), {
      location: `/v1/pools/${pool}/leases/${lease.leaseId}`,
    });
  };

  const renew: Handler = async (event) => {
    const pool = poolParam(event);
    const principal = principalOf(event);
    const body = parseBody(event, renewBody);
    const renewed = await broker.renew(pool, leaseParam(event), {
      principal,
      generation: body.generation,
      leaseMs: body.leaseSeconds * 1000,
    });
    return json(200, { ...renewed, expiresAt: iso(renewed.expiresAt) });
  };

  const checkIn: Handler = async (event) => {
    const pool = poolParam(event);
    const principal = principalOf(event);
    const body = parseBody(event, checkInBodySchema);
    const leaseId = leaseParam(event);
    const returned = await broker.checkIn(pool, leaseId, {
      ...body,
      principal,
    });
    logger.info('lease returned', {
      pool,
      lease_id: leaseId,
      outcome: body.outcome,
      result: returned.result,
    });
    return json(200, { leaseId, ...returned });
  };

  const status: Handler = async (event) => {
    const pool = poolParam(event);
    principalOf(event);
    const current = await broker.status(pool);
    return json(200, {
      ...current,
      ...(current.quota
        ? { quota: { ...current.quota, seenAt: iso(current.quota.seenAt) } }
        : {}),
      breaker:
        current.breaker.state === 'open'
          ? { ...current.breaker, openedAt: iso(current.breaker.openedAt) }
          : current.breaker,
    });
  };

  const handlers: Record<RouteName, Handler> = {
    checkOut,
    renew,
    checkIn,
    status,
  };
  const router = httpRouterHandler(
    ROUTES.map((route) => ({
      method: route.method,
      path: route.path,
      handler: handlers[route.name],
    })),
  );

  const handler = async (
    event: APIGatewayProxyEvent,
    context: Context,
  ): Promise<APIGatewayProxyResult> => {
    const started = Date.now();
    let response: APIGatewayProxyResult;
    let code: string | undefined;
    try {
      response = await router(event, context);
    } catch (error) {
      const brokerError = toBrokerError(error);
      code = brokerError.code;
      if (brokerError.status >= 500) {
        logger.error('request failed', {
          code,
          error: describeError(brokerError),
        });
      }
      response = errorResponse(brokerError);
    }
    logger.info('request', {
      method: event.httpMethod,
      route: event.resource,
      pool: event.pathParameters?.pool,
      status: response.statusCode,
      code,
      latency_ms: Date.now() - started,
    });
    return response;
  };

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger))
    .handler(handler);
};

const poolParam = (event: APIGatewayProxyEvent): string => {
  const parsed = poolNameSchema.safeParse(event.pathParameters?.pool);
  if (!parsed.success) throw new PoolNotFoundError();
  return parsed.data;
};

const leaseParam = (event: APIGatewayProxyEvent): string =>
  event.pathParameters?.leaseId ?? '';

const leaseBody = (lease: GrantedLease) => ({
  pool: lease.pool,
  leaseId: lease.leaseId,
  generation: lease.generation,
  expiresAt: iso(lease.expiresAt),
  sessionExpiresAt: iso(lease.sessionExpiresAt),
  baseUrl: lease.baseUrl,
  headers: lease.headers,
});
