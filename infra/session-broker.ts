import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Alarm, Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import {
  Effect,
  Grant,
  type IGrantable,
  PolicyStatement,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import {
  Alias,
  type IFunction,
  Function as LambdaFn,
} from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ROUTES } from '../functions/http/routes';
import { newLeaseId, newSlotId } from '../functions/pool/ids';
import {
  DEFAULT_WAIT_MAX_SECONDS,
  DEFAULT_WAIT_SECONDS,
} from '../functions/shared/config';
import { SessionBrokerPropsError } from './errors';
import { BrokerFunction } from './private/broker-function';
import {
  brokerEnvironment,
  poolsSetting,
} from './private/function-environment';
import { LeaseRestApi } from './private/lease-rest-api';
import { Monitoring } from './private/monitoring';
import { PoolTable } from './private/pool-table';
import { type ResolvedProps, resolveProps } from './private/resolve-props';
import type { SessionBrokerProps } from './session-broker-props';

/** Environment variables `grantLease` sets on a consumer function. */
export const CONSUMER_ENV = {
  endpoint: 'BROKER_ENDPOINT',
  pool: 'BROKER_POOL',
} as const;

/**
 * IAM's `?` matches one character, and lease ids have one fixed length, so
 * a lease route's ARN can name the id's shape exactly instead of using `*`.
 */
const LEASE_ID_PATTERN = '?'.repeat(newLeaseId(newSlotId()).length);

/**
 * The session broker: a DynamoDB pool table, the lease API behind an
 * IAM-authenticated REST API, the scheduled rotation function, and the
 * alarms and dashboard that watch them.
 *
 * @example
 * const broker = new SessionBroker(stack, 'Broker', {
 *   secret: 'session-broker/upstream',
 * });
 * broker.grantLease(myFunction);
 */
export class SessionBroker extends Construct {
  /** The pool table; its key is {@link SessionBroker.tableKey}. */
  public readonly table: Table;
  /** The lease API function. */
  public readonly leaseApiFunction: NodejsFunction;
  /** The scheduled rotation function. */
  public readonly rotationFunction: NodejsFunction;
  /** The REST API consumers call. */
  public readonly api: RestApi;
  /** The stage URL, without a trailing slash. */
  public readonly endpoint: string;
  /** The schedule that invokes the rotation function. */
  public readonly rotationRule: Rule;
  /** Every alarm, pools first. */
  public readonly alarms: readonly Alarm[];
  /** The broker's CloudWatch dashboard. */
  public readonly dashboard: Dashboard;
  /** The console address of {@link SessionBroker.dashboard}. */
  public readonly dashboardUrl: string;
  /** The pool names, in the order given. */
  public readonly poolNames: readonly string[];

  readonly #settings: ResolvedProps;

  public constructor(scope: Construct, id: string, props: SessionBrokerProps) {
    super(scope, id);
    const settings = resolveProps(this, props);
    this.#settings = settings;
    this.poolNames = settings.pools.map((pool) => pool.name);

    const poolTable = new PoolTable(this, 'Pools', settings);
    this.table = poolTable.table;

    const environment = this.functionEnvironment(this.table.tableName);
    const leaseApi = new BrokerFunction(this, 'LeaseApi', {
      entry: 'functions/handlers/lease-api.ts',
      description: 'Session broker lease API',
      memorySize: 512,
      // API Gateway gives up at 29 s; the function's own budget is 28 s.
      timeout: Duration.seconds(29),
      environment: {
        ...environment,
        POWERTOOLS_SERVICE_NAME: 'session-broker',
      },
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
      ...(settings.leaseApiReservedConcurrency === undefined
        ? {}
        : { reservedConcurrency: settings.leaseApiReservedConcurrency }),
    });
    const rotation = new BrokerFunction(this, 'Rotation', {
      entry: 'functions/handlers/rotation.ts',
      description: 'Session broker rotation: sweeps every pool',
      memorySize: 256,
      timeout: Duration.minutes(1),
      environment: {
        ...environment,
        POWERTOOLS_SERVICE_NAME: 'session-broker-rotation',
      },
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
      ...(settings.rotationReservedConcurrency === undefined
        ? {}
        : { reservedConcurrency: settings.rotationReservedConcurrency }),
    });
    this.leaseApiFunction = leaseApi.function;
    this.rotationFunction = rotation.function;

    poolTable.grantItems(leaseApi.role, ['GetItem', 'PutItem', 'UpdateItem']);
    // The sweep logs in successors (and may write a pool's first item).
    poolTable.grantItems(rotation.role, ['GetItem', 'PutItem', 'UpdateItem']);
    this.grantSecretReads(leaseApi.role, ['secretsmanager:GetSecretValue']);
    // Secrets Manager rotation: check the staged value, then promote it.
    this.grantSecretReads(rotation.role, [
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
    ]);
    rotation.function.addPermission('SecretsManagerRotation', {
      principal: new ServicePrincipal('secretsmanager.amazonaws.com'),
      sourceAccount: Stack.of(this).account,
    });

    const restApi = new LeaseRestApi(this, 'LeaseApiGateway', {
      handler: this.leaseApiTarget(leaseApi.function),
      limits: {
        leaseDefaultSeconds: settings.leaseDefaultSeconds,
        leaseMaxSeconds: settings.leaseMaxSeconds,
        waitDefaultSeconds: DEFAULT_WAIT_SECONDS,
        waitMaxSeconds: DEFAULT_WAIT_MAX_SECONDS,
      },
      stageName: settings.stageName,
      throttlingRateLimit: settings.throttlingRateLimit,
      throttlingBurstLimit: settings.throttlingBurstLimit,
      accessLogs: new LogGroup(this, 'AccessLogs', {
        retention: settings.logRetention,
        removalPolicy: settings.removalPolicy,
      }),
      cloudWatchRole: settings.apiGatewayCloudWatchRole,
    });
    this.api = restApi.api;
    this.endpoint = this.stageUrl();
    // RestApi adds an `Endpoint` output ending in `/`; the stack's own
    // `ApiUrl` output is the one consumers read.
    this.api.node.tryRemoveChild('Endpoint');
    this.protectApi(props.webAclArn);

    this.rotationRule = new Rule(this, 'RotationSchedule', {
      description: 'Invokes the session broker rotation function',
      schedule: settings.rotationSchedule,
      targets: [
        new LambdaFunction(rotation.function, {
          // A missed sweep is made up by the next one: never queue old runs.
          maxEventAge: Duration.minutes(5),
          retryAttempts: 1,
        }),
      ],
    });

    const monitoring = new Monitoring(this, 'Monitoring', {
      pools: settings.pools,
      functions: { LeaseApi: leaseApi.function, Rotation: rotation.function },
      table: this.table,
      api: this.api,
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
    });
    this.alarms = monitoring.alarms;
    this.dashboard = monitoring.dashboard;
    this.dashboardUrl = monitoring.dashboardUrl;
  }

  /**
   * Lets `grantee` lease sessions from one pool: `execute-api:Invoke` on
   * that pool's check-out, renew, check-in and status routes of this stage,
   * and nothing else. When `grantee` is a Lambda function, it also gets the
   * `BROKER_ENDPOINT` and `BROKER_POOL` environment variables the broker
   * client reads.
   *
   * @param grantee the principal, or the function, that will call the broker
   * @param pool the pool to lease from; defaults to the only pool, and must
   *   be named when there are several
   * @returns the grant, whose statement is on the grantee's policy
   * @example
   * broker.grantLease(reportFunction, 'default');
   */
  public grantLease(grantee: IGrantable, pool?: string): Grant {
    const poolName = this.pickPool(pool);
    const stage = this.#settings.stageName;
    const resources = ROUTES.map((route) =>
      this.api.arnForExecuteApi(
        route.method,
        route.path
          .replace('{pool}', poolName)
          .replace('{leaseId}', LEASE_ID_PATTERN),
        stage,
      ),
    );

    const grant = Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: resources,
    });
    if (grantee instanceof LambdaFn) {
      grantee.addEnvironment(CONSUMER_ENV.endpoint, this.endpoint);
      grantee.addEnvironment(CONSUMER_ENV.pool, poolName);
    }
    return grant;
  }

  private pickPool(pool: string | undefined): string {
    const names = this.poolNames;
    if (pool === undefined && names.length === 1 && names[0] !== undefined) {
      return names[0];
    }
    if (pool !== undefined && names.includes(pool)) return pool;
    throw new SessionBrokerPropsError(this, [
      pool === undefined
        ? `grantLease needs a pool name: the broker has ${names.length} pools (${names.join(', ')})`
        : `grantLease: no pool named ${JSON.stringify(pool)} (pools: ${names.join(', ')})`,
    ]);
  }

  private functionEnvironment(tableName: string): Record<string, string> {
    const settings = this.#settings;
    return brokerEnvironment(
      settings,
      tableName,
      Stack.of(this).toJsonString(poolsSetting(settings.pools)),
    );
  }

  /** `actions` on each pool's secret, and decrypt on its key when it has one. */
  private grantSecretReads(grantee: IGrantable, actions: string[]): void {
    for (const pool of this.#settings.pools) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions,
          resources: [secretArnForPolicies(pool.secret)],
        }),
      );
      pool.secret.encryptionKey?.grantDecrypt(grantee);
    }
  }

  /** `$LATEST`, or the `live` alias when provisioned concurrency is set. */
  private leaseApiTarget(fn: NodejsFunction): IFunction {
    const provisioned = this.#settings.leaseApiProvisionedConcurrency;
    if (provisioned === undefined) return fn;
    return new Alias(this, 'LeaseApiLive', {
      aliasName: 'live',
      version: fn.currentVersion,
      provisionedConcurrentExecutions: provisioned,
    });
  }

  private stageUrl(): string {
    const stack = Stack.of(this);
    return `https://${this.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${this.#settings.stageName}`;
  }

  private protectApi(webAclArn: string | undefined): void {
    if (this.#settings.apiGatewayCloudWatchRole) {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-wide logging role must write to any of the " +
          "account's API log groups; AWS maintains this managed policy for " +
          'exactly that role and nothing else.',
      });
    }
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Callers are Lambda functions signing with SigV4 under their IAM ' +
        'roles (AWS_IAM on every method); there are no end users to put in ' +
        'a Cognito user pool.',
    });
    if (webAclArn !== undefined) {
      new CfnWebACLAssociation(this, 'WebAcl', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn,
      });
      return;
    }
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'Every method requires SigV4 and the resource policy admits only ' +
        "this account's principals, so unsigned traffic is refused before " +
        'any integration runs; set webAclArn to add a web ACL on top.',
    });
  }
}

/**
 * A secret imported by name or partial ARN is known without the six
 * characters Secrets Manager appends to its ARN; `-??????` matches exactly
 * those, where `*` would match other secrets sharing the prefix.
 */
const secretArnForPolicies = (secret: ISecret): string =>
  secret.secretFullArn ?? `${secret.secretArn}-??????`;
