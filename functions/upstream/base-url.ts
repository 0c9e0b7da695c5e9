import { InsecureBaseUrlError } from './errors';

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]', '::1']);

/** True for names and addresses that never leave this machine. */
export const isLoopbackHost = (hostname: string): boolean =>
  LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);

/**
 * Parses an upstream base URL, allowing `http:` only on loopback so local
 * runs work while a deployed broker never sends a password in clear.
 * Returns the URL without a trailing slash.
 */
export const parseBaseUrl = (raw: string): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InsecureBaseUrlError('it is not a valid URL');
  }
  if (url.username || url.password) {
    throw new InsecureBaseUrlError('it must not carry credentials');
  }
  if (url.search || url.hash) {
    throw new InsecureBaseUrlError('it must not carry a query or fragment');
  }
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new InsecureBaseUrlError('only https is allowed off this machine');
  }
  return url.href.replace(/\/+$/, '');
};
