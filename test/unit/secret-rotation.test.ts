import { Logger } from '@aws-lambda-powertools/logger';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  isRotationEvent,
  RotationError,
  type RotationEvent,
  rotateSecret,
  secretMatches,
} from '../../functions/credentials/rotation';
import type { Credentials } from '../../functions/credentials/source';

const ARN =
  'arn:aws:secretsmanager:eu-west-1:111111111111:secret:ads/creds-AbC123';
const staged = {
  username: 'user',
  password: 'new-password-71ad',
  apiKey: 'key-5e2c',
  baseUrl: 'https://adapi.sizmek.com/sas',
};
const event = (Step: RotationEvent['Step']): RotationEvent => ({
  Step,
  SecretId: ARN,
  ClientRequestToken: 'token-2',
});

describe('Function: rotateSecret', () => {
  const mock = mockClient(SecretsManagerClient);
  let tested: Credentials[];
  let promoted: number;
  const deps = () => ({
    client: new SecretsManagerClient({ region: 'eu-west-1' }),
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    testLogin: async (credentials: Credentials) => {
      tested.push(credentials);
    },
    afterPromotion: async () => {
      promoted += 1;
    },
  });

  beforeEach(() => {
    mock.reset();
    tested = [];
    promoted = 0;
    mock.on(DescribeSecretCommand).resolves({
      VersionIdsToStages: {
        'token-1': ['AWSCURRENT'],
        'token-2': ['AWSPENDING'],
      },
    });
    mock
      .on(GetSecretValueCommand, {
        VersionId: 'token-2',
        VersionStage: 'AWSPENDING',
      })
      .resolves({ SecretString: JSON.stringify(staged), VersionId: 'token-2' });
  });

  it.each(['createSecret', 'setSecret'] as const)(
    'accepts the staged value at %s without logging in',
    async (step) => {
      await rotateSecret(event(step), deps());
      expect(tested).toEqual([]);
    },
  );

  it('refuses to invent a value when nothing was staged', async () => {
    // Prepare
    mock.on(DescribeSecretCommand).resolves({
      VersionIdsToStages: { 'token-1': ['AWSCURRENT'] },
    });

    // Act & Assess
    await expect(rotateSecret(event('createSecret'), deps())).rejects.toThrow(
      /--version-stages AWSPENDING/,
    );
  });

  it('logs in once with the staged value at testSecret', async () => {
    // Act
    await rotateSecret(event('testSecret'), deps());

    // Assess
    expect(tested).toEqual([{ ...staged, versionId: 'token-2' }]);
  });

  it('promotes the staged version and drains at finishSecret', async () => {
    // Act
    await rotateSecret(event('finishSecret'), deps());

    // Assess
    expect(
      mock.commandCalls(UpdateSecretVersionStageCommand)[0]?.args[0].input,
    ).toEqual({
      SecretId: ARN,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: 'token-2',
      RemoveFromVersionId: 'token-1',
    });
    expect(promoted).toBe(1);
  });

  it('does nothing for a version that is already current', async () => {
    // Prepare
    mock.on(DescribeSecretCommand).resolves({
      VersionIdsToStages: { 'token-2': ['AWSCURRENT', 'AWSPENDING'] },
    });

    // Act
    await rotateSecret(event('finishSecret'), deps());

    // Assess
    expect(mock.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    expect(promoted).toBe(0);
  });

  it('fails a staged value that is malformed, naming no value', async () => {
    // Prepare
    mock
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ ...staged, apiKey: 7 }) });

    // Act
    const attempt = rotateSecret(event('createSecret'), deps());

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'SECRET_INVALID' });
    await attempt.catch((error: Error) =>
      expect(error.message).not.toContain('new-password'),
    );
  });

  it('is a RotationError that says which stage is missing', async () => {
    mock.on(DescribeSecretCommand).resolves({
      VersionIdsToStages: { 'token-2': ['AWSPREVIOUS'] },
    });
    await expect(
      rotateSecret(event('testSecret'), deps()),
    ).rejects.toBeInstanceOf(RotationError);
  });
});

describe('Function: secretMatches', () => {
  it.each([
    [ARN, ARN, true],
    ['ads/creds', ARN, true],
    ['ads', ARN, false],
    ['ads/creds-AbC123', ARN, false],
  ])('matches %s against the rotated ARN: %s', (secretId, arn, expected) => {
    expect(secretMatches(secretId, arn)).toBe(expected);
  });
});

describe('Function: isRotationEvent', () => {
  it.each([
    [event('testSecret'), true],
    [{}, false],
    [{ Step: 'dropTables', SecretId: ARN, ClientRequestToken: 't' }, false],
    [{ source: 'aws.events' }, false],
  ])('tells %j apart', (candidate, expected) => {
    expect(isRotationEvent(candidate)).toBe(expected);
  });
});
