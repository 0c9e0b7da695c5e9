import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Schedule } from 'aws-cdk-lib/aws-events';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';

/**
 * A pool's credentials secret: an `ISecret`, or a secret name or ARN to
 * import. The secret holds JSON `{username, password, apiKey, baseUrl?}`.
 *
 * A secret encrypted with a customer-managed KMS key must be passed as an
 * `ISecret` that carries the key (`Secret.fromSecretAttributes` with
 * `encryptionKey`), so the lease API is granted `kms:Decrypt` on it; a name
 * or ARN alone assumes the account's default `aws/secretsmanager` key.
 */
export type BrokerSecret = ISecret | string;

/** One set of upstream credentials and its cap. */
export interface BrokerPoolProps {
  /**
   * The pool's name: the `{pool}` in the API's paths and the `pool`
   * dimension of its metrics. Letters, digits, `_` and `-`, 1 to 64.
   */
  readonly name: string;

  /**
   * The pool's credentials. Two pools must not share a secret: each would
   * count its own sessions against the same upstream limit.
   *
   * @default - the broker's `secret`
   */
  readonly secret?: BrokerSecret;

  /**
   * Most live upstream sessions for this pool.
   *
   * @default - the broker's `cap`, which defaults to 10
   */
  readonly cap?: number;

  /**
   * Lets `cap` go above the upstream's documented 10.
   *
   * @default - the broker's `allowCapAboveTen`, which defaults to false
   */
  readonly allowCapAboveTen?: boolean;

  /**
   * The upstream's base URL for this pool, `https` only.
   *
   * @default - the secret's `baseUrl`, then the broker's `upstreamBaseUrl`
   */
  readonly baseUrl?: string;
}

/** Settings of a {@link SessionBroker}. */
export interface SessionBrokerProps {
  /**
   * The credentials of the pool named `default`, used when `pools` is not
   * given, and the secret of any pool in `pools` that names none.
   *
   * @default - none: every pool in `pools` must name its own secret
   */
  readonly secret?: BrokerSecret;

  /**
   * Most live upstream sessions per pool. The upstream documents 10; a
   * higher value needs `allowCapAboveTen`.
   *
   * @default 10
   */
  readonly cap?: number;

  /**
   * Lets `cap` go above 10, for an account whose upstream limit is known
   * to be higher. The broker cannot detect the real limit: set this only
   * with the upstream's written word.
   *
   * @default false
   */
  readonly allowCapAboveTen?: boolean;

  /**
   * The pools, each with its own credentials and cap.
   *
   * @default - one pool named `default`, with `secret` and `cap`
   */
  readonly pools?: readonly BrokerPoolProps[];

  /**
   * The upstream's base URL for pools whose secret and props name none,
   * `https` only, e.g. `https://adapi.sizmek.com/sas`.
   *
   * @default - each secret's `baseUrl`
   */
  readonly upstreamBaseUrl?: string;

  /**
   * Lease length when a check-out asks for none. Whole seconds.
   *
   * @default Duration.seconds(60)
   */
  readonly leaseDefault?: Duration;

  /**
   * Longest lease a caller may ask for. Whole seconds. It must fit in the
   * session lifetime minus twice the clock-skew margin (60 s).
   *
   * @default Duration.minutes(15)
   */
  readonly leaseMax?: Duration;

  /**
   * How long an upstream session lives from its login. Whole seconds.
   *
   * @default Duration.hours(3)
   */
  readonly sessionLifetime?: Duration;

  /**
   * How often the rotation function sweeps every pool.
   *
   * @default Schedule.rate(Duration.minutes(5))
   */
  readonly rotationSchedule?: Schedule;

  /**
   * Reserved concurrency of the lease API function.
   *
   * @default - none: the function draws on the account's unreserved pool
   */
  readonly leaseApiReservedConcurrency?: number;

  /**
   * Provisioned concurrency of the lease API function, on an alias named
   * `live` that API Gateway then invokes. At most the reserved concurrency
   * when both are set.
   *
   * @default - none: API Gateway invokes `$LATEST`
   */
  readonly leaseApiProvisionedConcurrency?: number;

  /**
   * Reserved concurrency of the rotation function.
   *
   * @default - none: the function draws on the account's unreserved pool
   */
  readonly rotationReservedConcurrency?: number;

  /**
   * Retention of the functions' logs and the API's access logs.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * `POWERTOOLS_LOG_LEVEL` of both functions.
   *
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

  /**
   * What happens to the table and its KMS key when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * DynamoDB deletion protection on the table.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * The API Gateway stage name, the last segment of the endpoint URL.
   *
   * @default 'prod'
   */
  readonly stageName?: string;

  /**
   * Steady-state requests per second the stage accepts, all callers
   * together.
   *
   * @default 50
   */
  readonly throttlingRateLimit?: number;

  /**
   * Requests the stage accepts in a burst, all callers together.
   *
   * @default 100
   */
  readonly throttlingBurstLimit?: number;

  /**
   * Where alarms notify, on entering `ALARM` and on returning to `OK`.
   *
   * @default - no action: alarms show in the console and on the dashboard
   */
  readonly alarmTopic?: ITopic;

  /**
   * A regional AWS WAFv2 web ACL to associate with the API stage.
   *
   * @default - none: the API answers only SigV4-signed requests from this
   * account's principals
   */
  readonly webAclArn?: string;

  /**
   * Whether to set this account and region's API Gateway CloudWatch role,
   * which access logging needs. Turn it off when the account already has
   * one set by another stack.
   *
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
}
