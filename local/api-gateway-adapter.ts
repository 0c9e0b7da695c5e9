import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
} from 'aws-lambda';
import { ROUTES } from '../functions/http/routes';

/**
 * Local-only header naming the caller's IAM principal, standing in for
 * API Gateway's IAM authorizer. A deployed broker never reads it: there the
 * principal comes from the signed request.
 */
export const LOCAL_PRINCIPAL_HEADER = 'x-broker-local-principal';
export const DEFAULT_LOCAL_PRINCIPAL =
  'arn:aws:iam::000000000000:user/local-developer';

/** API Gateway refuses payloads above 10 MB; locally 1 MiB is plenty. */
const MAX_REQUEST_BYTES = 1024 * 1024;

export type ProxyHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

export interface LocalApi {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Serves a Lambda proxy handler over `node:http` on loopback, turning each
 * request into the REST API (v1) event API Gateway would send.
 */
export const startLocalApi = async (
  handler: ProxyHandler,
  options: { port?: number; host?: string } = {},
): Promise<LocalApi> => {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => {
    serve(handler, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

const serve = async (
  handler: ProxyHandler,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> => {
  const body = await readBody(request);
  if (body === undefined) {
    writeJson(response, 413, {
      code: 'BODY_TOO_LARGE',
      message: `The body is larger than ${MAX_REQUEST_BYTES} bytes`,
    });
    return;
  }
  const event = toEvent(request, body);
  if (!event) {
    // API Gateway answers unknown resources itself, before any Lambda runs.
    writeJson(response, 404, {
      code: 'ROUTE_NOT_FOUND',
      message: 'No such route; see the API reference',
    });
    return;
  }
  const result = await handler(event, lambdaContext());
  response.writeHead(
    result.statusCode,
    result.headers as Record<string, string>,
  );
  response.end(result.body);
};

const readBody = async (
  request: IncomingMessage,
): Promise<string | undefined> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
};

const routeMatchers = ROUTES.map((route) => ({
  ...route,
  pattern: new RegExp(
    `^${route.path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}/?$`,
  ),
}));

/** The route API Gateway would pick for a request, if any. */
export const routeOf = (method: string, path: string) =>
  routeMatchers.find(
    (candidate) => candidate.method === method && candidate.pattern.test(path),
  );

/** A request as it reaches API Gateway, after IAM auth. */
export interface ProxyRequest {
  readonly method: string;
  /** The path as sent, percent-encoding included. */
  readonly path: string;
  readonly body?: string | null;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  /** The caller's IAM principal; undefined sends none (IAM auth missing). */
  readonly principal?: string;
  readonly isBase64Encoded?: boolean;
  readonly sourceIp?: string;
}

/**
 * The REST API (v1) proxy event API Gateway sends the lease API for a
 * request. A path no route matches keeps its raw `resource`: API Gateway
 * answers those itself (as {@link startLocalApi} does), but tests may hand
 * one to the handler's own router.
 */
export const proxyEvent = (request: ProxyRequest): APIGatewayProxyEvent => {
  const route = routeOf(request.method, request.path);
  const pathParameters: Record<string, string> = {};
  for (const [key, value] of Object.entries(
    route?.pattern.exec(request.path)?.groups ?? {},
  )) {
    pathParameters[key] = safeDecode(value);
  }
  const headers = request.headers ?? {};
  const query = request.query ?? {};
  const principal = request.principal ?? null;
  return {
    resource: route?.path ?? request.path,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: {},
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: null,
    pathParameters: route ? pathParameters : null,
    stageVariables: null,
    body: request.body ?? null,
    isBase64Encoded: request.isBase64Encoded ?? false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      httpMethod: request.method,
      path: `/local${request.path}`,
      protocol: 'HTTP/1.1',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: route?.path ?? request.path,
      stage: 'local',
      identity: {
        accessKey: null,
        accountId: '000000000000',
        apiKey: null,
        apiKeyId: null,
        caller: principal,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp ?? '127.0.0.1',
        user: principal,
        userAgent: headers['user-agent'] ?? null,
        userArn: principal,
      },
    },
  };
};

const toEvent = (
  request: IncomingMessage,
  body: string,
): APIGatewayProxyEvent | undefined => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = request.method ?? 'GET';
  if (!routeOf(method, url.pathname)) return undefined;
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers[key] = value;
  }
  return proxyEvent({
    method,
    path: url.pathname,
    headers,
    query: Object.fromEntries(url.searchParams),
    body: body.length > 0 ? body : null,
    principal: headers[LOCAL_PRINCIPAL_HEADER] ?? DEFAULT_LOCAL_PRINCIPAL,
    ...(request.socket.remoteAddress
      ? { sourceIp: request.socket.remoteAddress }
      : {}),
  });
};

const safeDecode = (value: string): string => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

/** A Lambda context with API Gateway's 29 seconds to run. */
export const lambdaContext = (): Context => {
  const deadline = Date.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'session-broker-local',
    functionVersion: '$LATEST',
    invokedFunctionArn:
      'arn:aws:lambda:us-east-1:000000000000:function:session-broker-local',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/session-broker-local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

const writeJson = (
  response: ServerResponse,
  status: number,
  body: unknown,
): void => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};
