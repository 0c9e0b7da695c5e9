import { BrokerError } from './errors';

export interface ErrorSummary {
  readonly name: string;
  readonly code?: string;
  readonly message?: string;
}

/**
 * A loggable summary of an error and its causes. Only the broker's own
 * messages are kept: a foreign message (an SDK validation error, say) may
 * quote a request value, and a request value may be a session token.
 */
export const describeError = (error: unknown): ErrorSummary[] => {
  const chain: ErrorSummary[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 5) {
    chain.push(summarise(current));
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
};

const summarise = (error: unknown): ErrorSummary => {
  if (error instanceof BrokerError) {
    return { name: error.name, code: error.code, message: error.message };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { name: typeof error };
};
