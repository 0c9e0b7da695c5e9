import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { ROUTES } from '../../functions/http/routes';

/** A request as a caller sends it, before API Gateway turns it into an event. */
export interface ProxyRequest {
  readonly method: string;
  /** The path as sent, percent-encoding included. */
  readonly path: string;
  readonly body?: string | null;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  /** The IAM principal; undefined sends none (IAM auth missing). */
  readonly principal?: string;
  readonly isBase64Encoded?: boolean;
}

const matchers = ROUTES.map((route) => ({
  ...route,
  pattern: new RegExp(
    `^${route.path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}/?$`,
  ),
}));

const decode = (value: string): string => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

/**
 * Builds the REST API (v1) proxy event API Gateway would send for a
 * request, routed as `local/api-gateway-adapter.ts` routes it, so the lease
 * API handler can be called in-process, thousands of times, without HTTP.
 * An unrouted path keeps its raw `resource`, so the handler's own router
 * answers it.
 *
 * @example
 * ```ts
 * const result = await handler(proxyEvent({ method: 'GET', path: '/v1/pools/default', principal }), lambdaContext());
 * ```
 */
export const proxyEvent = (request: ProxyRequest): APIGatewayProxyEvent => {
  const route = matchers.find(
    (candidate) =>
      candidate.method === request.method &&
      candidate.pattern.test(request.path),
  );
  const pathParameters: Record<string, string> = {};
  for (const [key, value] of Object.entries(
    route?.pattern.exec(request.path)?.groups ?? {},
  )) {
    pathParameters[key] = decode(value);
  }
  const query = request.query ?? {};
  const principal = request.principal;
  return {
    resource: route?.path ?? request.path,
    path: request.path,
    httpMethod: request.method,
    headers: request.headers ?? {},
    multiValueHeaders: {},
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: null,
    pathParameters: route ? pathParameters : null,
    stageVariables: null,
    body: request.body ?? null,
    isBase64Encoded: request.isBase64Encoded ?? false,
    requestContext: {
      accountId: '111111111111',
      apiId: 'test',
      authorizer: null,
      httpMethod: request.method,
      path: `/test${request.path}`,
      protocol: 'HTTP/1.1',
      requestId: 'test-request',
      requestTimeEpoch: 0,
      resourceId: 'test',
      resourcePath: route?.path ?? request.path,
      stage: 'test',
      identity: {
        accessKey: null,
        accountId: '111111111111',
        apiKey: null,
        apiKeyId: null,
        caller: principal ?? null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: principal ?? null,
        userAgent: null,
        userArn: principal ?? null,
      },
    },
  };
};

/** A Lambda context with time to spare. */
export const lambdaContext = (): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'session-broker-test',
  functionVersion: '$LATEST',
  invokedFunctionArn:
    'arn:aws:lambda:us-east-1:111111111111:function:session-broker-test',
  memoryLimitInMB: '512',
  awsRequestId: 'test-invocation',
  logGroupName: '/aws/lambda/session-broker-test',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 29_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});
