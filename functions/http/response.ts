import type { APIGatewayProxyResult } from 'aws-lambda';
import { BrokerError } from '../shared/errors';
import { InternalError, RouteNotFoundError } from './errors';

/** Responses carry session tokens: no cache may keep them. */
const BASE_HEADERS = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
};

export const json = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult => ({
  statusCode,
  headers: { ...BASE_HEADERS, ...headers },
  body: JSON.stringify(body),
});

/** The broker's own error for anything thrown, foreign errors wrapped. */
export const toBrokerError = (error: unknown): BrokerError => {
  if (error instanceof BrokerError) return error;
  if (isMiddyNotFound(error)) return new RouteNotFoundError();
  return new InternalError(error);
};

/**
 * The error's response: code, message and safe details for 4xx; code and a
 * generic message for 5xx, whose detail stays in the logs. 429s and 503s
 * that know when to come back say so in `Retry-After`.
 */
export const errorResponse = (error: BrokerError): APIGatewayProxyResult => {
  const retryAfter = error.details.retryAfterSeconds;
  const headers: Record<string, string> =
    typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {};
  return json(
    error.status,
    {
      code: error.code,
      message: error.message,
      ...error.details,
    },
    headers,
  );
};

const isMiddyNotFound = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  (error as { statusCode?: unknown }).statusCode === 404 &&
  (error as { cause?: { package?: unknown } }).cause?.package ===
    '@middy/http-router';
