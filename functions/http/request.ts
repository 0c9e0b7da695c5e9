import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { z } from 'zod';
import {
  BodyTooLargeError,
  InvalidJsonError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors';

/** Bodies are a few fields; anything bigger is a mistake or an attack. */
export const MAX_BODY_BYTES = 8 * 1024;

/**
 * The caller's IAM principal, as API Gateway's IAM authorizer put it on the
 * request. The local server sets the same field, so this code never reads a
 * header to learn who the caller is.
 */
export const principalOf = (event: APIGatewayProxyEvent): string => {
  const arn = event.requestContext?.identity?.userArn;
  if (typeof arn !== 'string' || arn.length === 0) {
    throw new UnauthenticatedError();
  }
  return arn;
};

/**
 * Parses and validates a JSON body. An empty body is `{}` so that optional
 * fields can be left out entirely.
 */
export const parseBody = <S extends z.ZodType>(
  event: APIGatewayProxyEvent,
  schema: S,
): z.infer<S> => {
  const contentType = headerValue(event, 'content-type');
  if (contentType && !/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new UnsupportedMediaTypeError();
  }

  const raw = event.body ?? '';
  const text = event.isBase64Encoded
    ? Buffer.from(raw, 'base64').toString('utf8')
    : raw;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new BodyTooLargeError(MAX_BODY_BYTES);
  }

  let json: unknown = {};
  if (text.trim().length > 0) {
    try {
      json = JSON.parse(text);
    } catch {
      throw new InvalidJsonError();
    }
  }

  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError(
      parsed.error.issues.map((issue) => ({
        path: issue.path.length > 0 ? issue.path.join('.') : '(body)',
        problem: issue.message,
      })),
    );
  }
  return parsed.data;
};

const headerValue = (
  event: APIGatewayProxyEvent,
  name: string,
): string | undefined => {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
};
