import type { IncomingMessage, ServerResponse } from 'node:http';
import type { QuotaSnapshot } from './account';

/** Larger bodies are refused: no legitimate request here comes near it. */
export const MAX_BODY_BYTES = 64 * 1024;

/** The body was larger than {@link MAX_BODY_BYTES}. */
export class BodyTooLargeError extends Error {
  constructor() {
    super(`Request body exceeds ${MAX_BODY_BYTES} bytes`);
    this.name = new.target.name;
  }
}

/** Reads the whole request body as UTF-8, refusing oversized ones. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError());
        // Stop buffering but keep draining, so the answer can still be sent.
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Parses JSON, answering undefined instead of throwing on bad input. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A header's value when sent exactly once, else undefined. */
export function singleHeader(
  req: IncomingMessage,
  name: string,
): string | undefined {
  const value = req.headers[name.toLowerCase()];
  if (typeof value !== 'string' || value.length === 0) return undefined;
  return value;
}

/** Whether the request says its body is JSON. */
export function isJsonRequest(req: IncomingMessage): boolean {
  const type = singleHeader(req, 'content-type') ?? '';
  return type.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/** Sets the upstream's `RateLimit-*` headers from a quota snapshot. */
export function setQuotaHeaders(
  res: ServerResponse,
  quota: QuotaSnapshot | undefined,
): void {
  if (!quota) return;
  res.setHeader('RateLimit-Limit-Daily', String(quota.dailyLimit));
  res.setHeader('RateLimit-Available-Daily', String(quota.dailyAvailable));
  res.setHeader('RateLimit-Limit-Monthly', String(quota.monthlyLimit));
  res.setHeader('RateLimit-Available-Monthly', String(quota.monthlyAvailable));
}

/** Sends a JSON body, unless the client has already gone away. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Answers 405 with the methods the path does allow. */
export function sendMethodNotAllowed(
  res: ServerResponse,
  allowed: string,
  body: unknown,
): void {
  sendJson(res, 405, body, { Allow: allowed });
}
