import {
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type SecretInvalidError,
  SecretUnavailableError,
} from '../../functions/credentials/errors';
import { SecretsManagerCredentialsSource } from '../../functions/credentials/secrets-manager';
import { ManualClock } from '../../functions/shared/clock';

const secret = {
  username: 'user',
  password: 'pw-secret-4411',
  apiKey: 'key-secret-9902',
  baseUrl: 'https://adapi.sizmek.com/sas',
};

describe('Class: SecretsManagerCredentialsSource', () => {
  const mock = mockClient(SecretsManagerClient);
  let clock: ManualClock;
  let source: SecretsManagerCredentialsSource;

  beforeEach(() => {
    mock.reset();
    clock = new ManualClock();
    source = new SecretsManagerCredentialsSource({
      client: new SecretsManagerClient({ region: 'us-east-1' }),
      secretId: 'ads/credentials',
      clock,
      maxAgeMs: 300_000,
      staleIfErrorMs: 3_600_000,
    });
  });

  it('parses the secret and keeps its version id', async () => {
    // Prepare
    mock
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify(secret), VersionId: 'v-1' });

    // Act
    const credentials = await source.get();

    // Assess
    expect(credentials).toEqual({ ...secret, versionId: 'v-1' });
    expect(mock.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: 'ads/credentials',
    });
  });

  it('serves the cached value until it is maxAgeMs old, sharing one read', async () => {
    // Prepare
    mock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify(secret), VersionId: 'v-1' })
      .resolves({ SecretString: JSON.stringify(secret), VersionId: 'v-2' });

    // Act
    const first = await Promise.all([source.get(), source.get(), source.get()]);
    clock.advance(299_999);
    const cached = await source.get();
    clock.advance(1);
    const refreshed = await source.get();

    // Assess
    expect(first.map((c) => c.versionId)).toEqual(['v-1', 'v-1', 'v-1']);
    expect(cached.versionId).toBe('v-1');
    expect(refreshed.versionId).toBe('v-2');
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('keeps serving a cached value while Secrets Manager fails', async () => {
    // Prepare
    mock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify(secret), VersionId: 'v-1' })
      .rejects(new Error('ThrottlingException'));
    await source.get();
    clock.advance(600_000);

    // Act & Assess
    await expect(source.get()).resolves.toMatchObject({ versionId: 'v-1' });
    clock.advance(3_600_000);
    await expect(source.get()).rejects.toBeInstanceOf(SecretUnavailableError);
  });

  it('throws SecretUnavailableError with no cached value', async () => {
    mock.on(GetSecretValueCommand).rejects(new Error('outage'));
    await expect(source.get()).rejects.toMatchObject({
      code: 'SECRET_UNAVAILABLE',
      status: 503,
    });
  });

  it.each([
    ['not JSON', 'pw-secret-4411'],
    ['a missing api key', JSON.stringify({ ...secret, apiKey: undefined })],
    [
      'a password of the wrong type',
      JSON.stringify({ ...secret, password: 4411 }),
    ],
    [
      'a plain-http base URL',
      JSON.stringify({ ...secret, baseUrl: 'http://adapi.sizmek.com/sas' }),
    ],
  ])('refuses a secret with %s, naming no value', async (_title, text) => {
    // Prepare
    mock
      .on(GetSecretValueCommand)
      .resolves({ SecretString: text, VersionId: 'v-1' });

    // Act
    const attempt = source.get();

    // Assess
    await expect(attempt).rejects.toHaveProperty('status', 500);
    await attempt.catch((error: Error) => {
      expect(error).toBeInstanceOf(Error);
      expect(['SECRET_INVALID', 'INSECURE_BASE_URL']).toContain(
        (error as SecretInvalidError).code,
      );
      expect(error.message).not.toContain('pw-secret-4411');
      expect(error.message).not.toContain('key-secret-9902');
    });
  });
});
