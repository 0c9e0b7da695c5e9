import { parseBaseUrl } from '../../functions/upstream/base-url';
import { InsecureBaseUrlError } from '../../functions/upstream/errors';

describe('Function: parseBaseUrl', () => {
  it.each([
    ['https://adapi.sizmek.com/sas', 'https://adapi.sizmek.com/sas'],
    ['https://adapi.uat.sizmek.com/sas/', 'https://adapi.uat.sizmek.com/sas'],
    ['http://127.0.0.1:8080/sas', 'http://127.0.0.1:8080/sas'],
    ['http://localhost:9/sas', 'http://localhost:9/sas'],
    ['http://[::1]:9/rest', 'http://[::1]:9/rest'],
  ])('accepts %s', (raw, expected) => {
    expect(parseBaseUrl(raw)).toBe(expected);
  });

  it.each([
    ['plain http off this machine', 'http://adapi.sizmek.com/sas'],
    [
      'a host that only looks like loopback',
      'http://127.0.0.1.evil.example/sas',
    ],
    ['another scheme', 'ftp://adapi.sizmek.com/sas'],
    ['credentials in the URL', 'https://user:pw@adapi.sizmek.com/sas'],
    ['a query string', 'https://adapi.sizmek.com/sas?x=1'],
    ['no URL at all', 'adapi.sizmek.com'],
  ])('refuses %s', (_title, raw) => {
    expect(() => parseBaseUrl(raw)).toThrow(InsecureBaseUrlError);
  });
});
