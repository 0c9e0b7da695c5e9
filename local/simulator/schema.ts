import { z } from 'zod';
import type { SimAccountConfig, SimAccountPatch } from './types';

/** Base of the simulator's control errors; messages never name a secret. */
export class SimulatorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An account's settings are missing, unknown or out of range. */
export class SimConfigError extends SimulatorError {}

/** No account has the given username. */
export class SimUnknownAccountError extends SimulatorError {
  constructor(username: string) {
    super(`No account ${JSON.stringify(username)}`);
  }
}

/** An account with the given username already exists. */
export class SimAccountExistsError extends SimulatorError {
  constructor(username: string) {
    super(`Account ${JSON.stringify(username)} already exists`);
  }
}

const count = z.number().int().nonnegative();

const faultsSchema = z.strictObject({
  loginDelayMs: count.optional(),
  loginFailureRate: z.number().min(0).max(1).optional(),
  hangAfterCount: count.optional(),
  hangMs: count.optional(),
});

const settingsShape = {
  password: z.string().min(1),
  apiKey: z.string().min(1),
  maxSessions: z.number().int().positive().optional(),
  sessionLifetimeMs: z.number().int().positive().optional(),
  dailyQuota: count.optional(),
  monthlyQuota: count.optional(),
  faults: faultsSchema.optional(),
};

const usernameSchema = z.string().min(1).max(256);

const configSchema = z.strictObject({
  username: usernameSchema,
  ...settingsShape,
});

const patchSchema = z.strictObject({
  ...settingsShape,
  password: settingsShape.password.optional(),
  apiKey: settingsShape.apiKey.optional(),
});

function describeIssues(error: z.ZodError): string {
  // Paths and rule messages only: zod's messages never echo input values,
  // so a rejected password or api-key cannot leak through here.
  return error.issues
    .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
    .join('; ');
}

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new SimConfigError(
      `Invalid ${what}: ${describeIssues(result.error)}`,
      { cause: result.error },
    );
  }
  return result.data;
}

/**
 * Checks a new account's settings.
 * @throws {@link SimConfigError} when a field is missing, unknown or out of range.
 */
export function parseAccountConfig(input: unknown): SimAccountConfig {
  return parse(configSchema, input, 'account');
}

/**
 * Checks a change to an account's settings.
 * @throws {@link SimConfigError} when a field is unknown or out of range.
 */
export function parseAccountPatch(input: unknown): SimAccountPatch {
  return parse(patchSchema, input, 'account change');
}

/**
 * Checks a username taken from a URL path.
 * @throws {@link SimConfigError} when it is empty or too long.
 */
export function parseUsername(input: string): string {
  return parse(usernameSchema, input, 'username');
}
