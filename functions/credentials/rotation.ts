import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { BrokerError } from '../shared/errors';
import { type Credentials, parseSecret } from './source';

/** The event Secrets Manager sends a rotation function, once per step. */
export interface RotationEvent {
  readonly Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
  readonly SecretId: string;
  readonly ClientRequestToken: string;
}

export const isRotationEvent = (event: unknown): event is RotationEvent => {
  const candidate = event as Partial<RotationEvent> | null;
  return (
    typeof candidate?.SecretId === 'string' &&
    typeof candidate.ClientRequestToken === 'string' &&
    ['createSecret', 'setSecret', 'testSecret', 'finishSecret'].includes(
      candidate.Step as string,
    )
  );
};

/** A rotation step that cannot go on; Secrets Manager reports it. */
export class RotationError extends BrokerError {
  public readonly code = 'ROTATION_FAILED';
  public readonly status = 500;
}

export interface RotationDependencies {
  readonly client: SecretsManagerClient;
  readonly logger: Logger;
  /** Base URL for secrets that name none. */
  readonly defaultBaseUrl?: string;
  /** Logs in once with the staged value; resolves when it worked. */
  readonly testLogin: (credentials: Credentials) => Promise<void>;
  /** Runs after promotion: drains the old version, closes the breaker. */
  readonly afterPromotion: () => Promise<void>;
}

/**
 * Secrets Manager rotation for a credentials secret. The upstream has no
 * API to change a password, so this never invents one: an operator changes
 * the password upstream, stages the new value as `AWSPENDING`, and starts
 * the rotation with the same token. The steps then check that value, log in
 * with it once (a login like any other, counted against the cap), and
 * promote it.
 */
export const rotateSecret = async (
  event: RotationEvent,
  deps: RotationDependencies,
): Promise<void> => {
  const { client, logger } = deps;
  const token = event.ClientRequestToken;
  const described = await client.send(
    new DescribeSecretCommand({ SecretId: event.SecretId }),
  );
  const stages = described.VersionIdsToStages?.[token];
  if (!stages) {
    throw new RotationError(
      `No version ${token} is staged: put the new value with --version-stages AWSPENDING and this token, then rotate`,
    );
  }
  if (stages.includes('AWSCURRENT')) {
    logger.info('rotation step: version already current', { step: event.Step });
    return;
  }
  if (!stages.includes('AWSPENDING')) {
    throw new RotationError(`Version ${token} is not staged as AWSPENDING`);
  }

  switch (event.Step) {
    case 'createSecret':
    case 'setSecret':
      // The staged value must parse now, not fail the first check-out later.
      await staged(event, deps);
      logger.info('rotation step: staged value accepted', { step: event.Step });
      return;
    case 'testSecret':
      await deps.testLogin(await staged(event, deps));
      logger.info('rotation step: staged value logged in', {
        step: event.Step,
      });
      return;
    case 'finishSecret': {
      const current = Object.entries(described.VersionIdsToStages ?? {}).find(
        ([, versionStages]) => versionStages.includes('AWSCURRENT'),
      )?.[0];
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: event.SecretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: token,
          ...(current ? { RemoveFromVersionId: current } : {}),
        }),
      );
      logger.info('rotation step: promoted', { step: event.Step });
      await deps.afterPromotion();
      return;
    }
  }
};

const staged = async (
  event: RotationEvent,
  deps: RotationDependencies,
): Promise<Credentials> => {
  const output = await deps.client.send(
    new GetSecretValueCommand({
      SecretId: event.SecretId,
      VersionId: event.ClientRequestToken,
      VersionStage: 'AWSPENDING',
    }),
  );
  return parseSecret(
    output.SecretString,
    event.ClientRequestToken,
    deps.defaultBaseUrl,
  );
};

/** True when `secretId` (a name or ARN from settings) names `arn`. */
export const secretMatches = (secretId: string, arn: string): boolean => {
  if (secretId === arn) return true;
  // Secrets Manager appends a dash and six characters to a secret's name.
  const name = /:secret:(.+)-[A-Za-z0-9]{6}$/.exec(arn)?.[1];
  return name !== undefined && name === secretId;
};
