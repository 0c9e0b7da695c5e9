import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import {
  ConfigError,
  DEFAULT_CAP,
  DEFAULT_LEASE_MAX_SECONDS,
  DEFAULT_LEASE_SECONDS,
  DEFAULT_SESSION_LIFETIME_SECONDS,
  loadConfig,
  poolConfigSchema,
} from '../../functions/shared/config';
import { parseBaseUrl } from '../../functions/upstream/base-url';
import { SessionBrokerPropsError } from '../errors';
import type { BrokerSecret, SessionBrokerProps } from '../session-broker-props';
import {
  brokerEnvironment,
  type EnvironmentSettings,
  poolsSetting,
} from './function-environment';

/** The pool named when `pools` is not given. */
export const DEFAULT_POOL_NAME = 'default';

/** One pool with every default filled in and its secret imported. */
export interface ResolvedPool {
  /** The pool's name, checked against the functions' own pattern. */
  readonly name: string;
  /** The pool's secret, imported when given by name or ARN. */
  readonly secret: ISecret;
  /** What the functions pass to `GetSecretValue`: a name or an ARN. */
  readonly secretId: string;
  /** Most live upstream sessions. */
  readonly cap: number;
  /** Whether `cap` may exceed 10. */
  readonly allowCapAboveTen: boolean;
  /**
   * The pool's upstream base URL, normalised.
   *
   * @default - the secret's, then the broker's
   */
  readonly baseUrl?: string;
}

/**
 * {@link SessionBrokerProps} with every default filled in: each field is
 * the prop of the same name (durations in whole seconds), documented there.
 */
export interface ResolvedProps extends EnvironmentSettings {
  readonly rotationSchedule: Schedule;
  readonly leaseApiReservedConcurrency?: number;
  readonly leaseApiProvisionedConcurrency?: number;
  readonly rotationReservedConcurrency?: number;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
  readonly stageName: string;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly apiGatewayCloudWatchRole: boolean;
}

/**
 * Fills in the defaults and refuses props that cannot work, with every
 * problem in one error. The cap and timing rules are the functions' own
 * (`loadConfig`), so a synthesised stack never fails its cold start.
 */
export const resolveProps = (
  scope: Construct,
  props: SessionBrokerProps,
): ResolvedProps => {
  const problems: string[] = [];
  const seconds = wholeSeconds(problems);

  const leaseDefaultSeconds = seconds(
    'leaseDefault',
    props.leaseDefault,
    DEFAULT_LEASE_SECONDS,
  );
  const leaseMaxSeconds = seconds(
    'leaseMax',
    props.leaseMax,
    DEFAULT_LEASE_MAX_SECONDS,
  );
  const sessionLifetimeSeconds = seconds(
    'sessionLifetime',
    props.sessionLifetime,
    DEFAULT_SESSION_LIFETIME_SECONDS,
  );
  const upstreamBaseUrl = checkBaseUrl(
    problems,
    'upstreamBaseUrl',
    props.upstreamBaseUrl,
  );
  const pools = resolvePools(scope, props, problems);

  checkConcurrency(problems, props);
  checkPositive(problems, 'throttlingRateLimit', props.throttlingRateLimit);
  checkPositive(problems, 'throttlingBurstLimit', props.throttlingBurstLimit);

  const resolved: ResolvedProps = {
    pools,
    ...(upstreamBaseUrl ? { upstreamBaseUrl } : {}),
    leaseDefaultSeconds,
    leaseMaxSeconds,
    sessionLifetimeSeconds,
    rotationSchedule:
      props.rotationSchedule ?? Schedule.rate(Duration.minutes(5)),
    ...optional('leaseApiReservedConcurrency', props),
    ...optional('leaseApiProvisionedConcurrency', props),
    ...optional('rotationReservedConcurrency', props),
    logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
    logLevel: props.logLevel ?? 'INFO',
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    deletionProtection: props.deletionProtection ?? true,
    stageName: props.stageName ?? 'prod',
    throttlingRateLimit: props.throttlingRateLimit ?? 50,
    throttlingBurstLimit: props.throttlingBurstLimit ?? 100,
    apiGatewayCloudWatchRole: props.apiGatewayCloudWatchRole ?? true,
  };

  if (problems.length === 0) problems.push(...runtimeProblems(resolved));
  if (problems.length > 0) throw new SessionBrokerPropsError(scope, problems);
  return resolved;
};

const resolvePools = (
  scope: Construct,
  props: SessionBrokerProps,
  problems: string[],
): ResolvedPool[] => {
  const given = props.pools ?? [{ name: DEFAULT_POOL_NAME }];
  if (given.length === 0) problems.push('pools must list at least one pool');

  const namesSeen = new Set<string>();
  const secretsSeen = new Map<string, string>();
  const pools: ResolvedPool[] = [];
  for (const pool of given) {
    const label = `pool ${JSON.stringify(pool.name)}`;
    if (!poolConfigSchema.shape.name.safeParse(pool.name).success) {
      problems.push(
        `${label}: the name must be 1 to 64 letters, digits, _ or -`,
      );
      continue;
    }
    if (namesSeen.has(pool.name)) {
      problems.push(`pool ${pool.name} is listed twice`);
      continue;
    }
    namesSeen.add(pool.name);
    const source = pool.secret ?? props.secret;
    if (source === undefined) {
      problems.push(`${label} has no secret; set secret or pools[].secret`);
      continue;
    }
    const secret = importSecret(scope, pool.name, source);
    // GetSecretValue takes a name, a partial ARN or a complete ARN; an
    // imported secret's `secretArn` may end in `-??????`, which it refuses.
    const secretId =
      typeof source === 'string'
        ? source
        : (secret.secretFullArn ?? secret.secretName);

    const identity = secretIdentity(source, secret);
    const twin = secretsSeen.get(identity);
    if (twin !== undefined) {
      problems.push(
        `${label} uses the same secret as pool ${JSON.stringify(twin)}; ` +
          'pools sharing credentials would each count up to their own cap',
      );
    }
    secretsSeen.set(identity, pool.name);

    const baseUrl = checkBaseUrl(problems, `${label} baseUrl`, pool.baseUrl);
    const parsed = poolConfigSchema.safeParse({
      name: pool.name,
      cap: pool.cap ?? props.cap ?? DEFAULT_CAP,
      allowCapAboveTen: pool.allowCapAboveTen ?? props.allowCapAboveTen,
      secretId,
      ...(baseUrl ? { baseUrl } : {}),
    });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push(`${label}: ${issue.path.join('.')}: ${issue.message}`);
      }
      continue;
    }
    pools.push({
      name: parsed.data.name,
      secret,
      secretId,
      cap: parsed.data.cap,
      allowCapAboveTen: parsed.data.allowCapAboveTen,
      ...(baseUrl ? { baseUrl } : {}),
    });
  }
  return pools;
};

/**
 * Imports a secret given by name or ARN. A complete ARN ends in `-` and six
 * characters that Secrets Manager appended; anything else starting `arn:`
 * is a partial ARN, and the rest are names.
 */
const importSecret = (
  scope: Construct,
  poolName: string,
  source: BrokerSecret,
): ISecret => {
  if (typeof source !== 'string') return source;
  const id = `Secret-${poolName}`;
  if (!source.startsWith('arn:')) {
    return Secret.fromSecretNameV2(scope, id, source);
  }
  return /-[A-Za-z0-9]{6}$/.test(source)
    ? Secret.fromSecretCompleteArn(scope, id, source)
    : Secret.fromSecretPartialArn(scope, id, source);
};

const secretIdentity = (source: BrokerSecret, secret: ISecret): string => {
  if (typeof source === 'string') return source;
  return Token.isUnresolved(secret.secretArn)
    ? secret.node.path
    : secret.secretArn;
};

const wholeSeconds =
  (problems: string[]) =>
  (name: string, value: Duration | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    try {
      const result = value.toSeconds();
      if (result > 0) return result;
      problems.push(`${name} must be longer than zero`);
    } catch {
      problems.push(`${name} must be a whole number of seconds`);
    }
    return fallback;
  };

const checkBaseUrl = (
  problems: string[],
  name: string,
  value: string | undefined,
): string | undefined => {
  if (value === undefined) return undefined;
  try {
    const url = parseBaseUrl(value);
    if (url.startsWith('https:')) return url;
    problems.push(`${name} must use https`);
  } catch (error) {
    problems.push(`${name} is refused: ${(error as Error).message}`);
  }
  return undefined;
};

const checkConcurrency = (
  problems: string[],
  props: SessionBrokerProps,
): void => {
  const names = [
    'leaseApiReservedConcurrency',
    'leaseApiProvisionedConcurrency',
    'rotationReservedConcurrency',
  ] as const;
  for (const name of names) {
    const value = props[name];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      problems.push(`${name} must be a whole number, zero or more`);
    }
  }
  const reserved = props.leaseApiReservedConcurrency;
  const provisioned = props.leaseApiProvisionedConcurrency;
  if (
    reserved !== undefined &&
    provisioned !== undefined &&
    provisioned > reserved
  ) {
    problems.push(
      'leaseApiProvisionedConcurrency must not exceed leaseApiReservedConcurrency',
    );
  }
};

const checkPositive = (
  problems: string[],
  name: string,
  value: number | undefined,
): void => {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    problems.push(`${name} must be a number above zero`);
  }
};

/**
 * The functions' own start-up check, run on the environment they will get.
 * Secrets created in the same stack are only known at deploy time; a
 * placeholder stands in for their ids.
 */
const runtimeProblems = (settings: EnvironmentSettings): string[] => {
  const pools = poolsSetting(settings.pools).map((pool) => ({
    ...pool,
    secretId: Token.isUnresolved(pool.secretId)
      ? 'resolved-at-deploy-time'
      : pool.secretId,
  }));
  try {
    loadConfig(
      brokerEnvironment(
        settings,
        'resolved-at-deploy-time',
        JSON.stringify(pools),
      ),
    );
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [error.message];
    throw error;
  }
};

const optional = <K extends keyof SessionBrokerProps>(
  key: K,
  props: SessionBrokerProps,
): Partial<Pick<SessionBrokerProps, K>> =>
  props[key] === undefined
    ? {}
    : ({ [key]: props[key] } as Pick<SessionBrokerProps, K>);
