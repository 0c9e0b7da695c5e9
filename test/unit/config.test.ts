import { ConfigError, loadConfig } from '../../functions/shared/config';

const base = {
  BROKER_TABLE_NAME: 'broker',
  BROKER_POOLS: JSON.stringify([{ name: 'default', secretId: 'ads' }]),
};

describe('Function: loadConfig', () => {
  it('fills in the documented defaults', () => {
    // Act
    const config = loadConfig(base);

    // Assess
    expect(config).toMatchObject({
      tableName: 'broker',
      pools: [
        { name: 'default', cap: 10, secretId: 'ads', allowCapAboveTen: false },
      ],
      sessionLifetimeMs: 3 * 60 * 60 * 1000,
      clockSkewMs: 60_000,
      loginTimeoutMs: 3_000,
      leaseDefaultSeconds: 60,
      leaseMaxSeconds: 900,
      waitDefaultSeconds: 10,
      waitMaxSeconds: 25,
    });
  });

  it('reads numbers from the environment', () => {
    // Act
    const config = loadConfig({
      ...base,
      BROKER_SESSION_LIFETIME_SECONDS: '3600',
      BROKER_LEASE_DEFAULT_SECONDS: '30',
    });

    // Assess
    expect(config.sessionLifetimeMs).toBe(3_600_000);
    expect(config.leaseDefaultSeconds).toBe(30);
  });

  it('allows a cap above 10 only when told the upstream allows it', () => {
    const pools = (extra: object) =>
      JSON.stringify([{ name: 'default', cap: 12, ...extra }]);

    expect(() => loadConfig({ ...base, BROKER_POOLS: pools({}) })).toThrow(
      /cap 12 is above the upstream's 10/,
    );
    expect(
      loadConfig({ ...base, BROKER_POOLS: pools({ allowCapAboveTen: true }) })
        .pools[0]?.cap,
    ).toBe(12);
  });

  it.each([
    ['no table name', { BROKER_TABLE_NAME: '' }, /BROKER_TABLE_NAME/],
    ['pools that are not JSON', { BROKER_POOLS: '[' }, /not valid JSON/],
    ['no pools', { BROKER_POOLS: '[]' }, /BROKER_POOLS/],
    ['a cap of zero', { BROKER_POOLS: '[{"name":"a","cap":0}]' }, /cap/],
    [
      'an unknown pool key',
      { BROKER_POOLS: '[{"name":"a","size":3}]' },
      /BROKER_POOLS/,
    ],
    [
      'a pool listed twice',
      { BROKER_POOLS: '[{"name":"a"},{"name":"a"}]' },
      /listed twice/,
    ],
    [
      'a lifetime shorter than the maximum lease',
      { BROKER_SESSION_LIFETIME_SECONDS: '600' },
      /lifetime/,
    ],
    [
      'a default lease above the maximum',
      { BROKER_LEASE_DEFAULT_SECONDS: '1000' },
      /default lease/,
    ],
    [
      'a wait and login timeout past API Gateway',
      { BROKER_LOGIN_TIMEOUT_MS: '5000' },
      /29 s/,
    ],
    [
      'a lease length that is not a number',
      { BROKER_LEASE_MAX_SECONDS: 'ten' },
      /BROKER_LEASE_MAX_SECONDS/,
    ],
  ])('throws ConfigError for %s', (_title, env, message) => {
    const attempt = () => loadConfig({ ...base, ...env });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });
});
