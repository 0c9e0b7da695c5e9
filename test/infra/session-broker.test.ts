import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { ROUTES } from '../../functions/http/routes';
import { loadConfig } from '../../functions/shared/config';
import { BrokerMetric, METRICS_NAMESPACE } from '../../infra/metrics';
import { BROKER_RUNTIME } from '../../infra/private/broker-function';
import {
  createTestBroker,
  logicalId,
  resourcesOf,
  statementsOfRole,
  TEST_ENV,
} from './app';

const { account, region } = TEST_ENV;
const SECRET_ARN = `arn:aws:secretsmanager:${region}:${account}:secret:ads/credentials-??????`;

describe('Construct: SessionBroker', () => {
  let template: Template;

  beforeAll(() => {
    template = Template.fromStack(createTestBroker().stack);
  });

  const ref = (type: string, prefix: string) => ({
    Ref: logicalId(template, type, prefix),
  });
  const arnOf = (type: string, prefix: string) => ({
    'Fn::GetAtt': [logicalId(template, type, prefix), 'Arn'],
  });
  const functionEnv = (prefix: string): Record<string, unknown> =>
    (
      template.findResources('AWS::Lambda::Function')[
        logicalId(template, 'AWS::Lambda::Function', prefix)
      ] as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      }
    ).Properties.Environment.Variables;

  describe('Table', () => {
    it('is on-demand, keyed by pool, with PITR, its own KMS key and a GC-only TTL', () => {
      template.resourceCountIs('AWS::DynamoDB::Table', 1);
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'pool', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pool', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: arnOf('AWS::KMS::Key', 'BrokerPoolsKey'),
        },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        DeletionProtectionEnabled: true,
      });
    });

    it('keeps the table and its rotating key when the stack lets go of them', () => {
      template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
      template.hasResource('AWS::KMS::Key', {
        Properties: Match.objectLike({ EnableKeyRotation: true }),
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });
  });

  describe('Functions', () => {
    it('uses the newest Node.js runtime aws-cdk-lib offers', () => {
      const newest = Object.keys(Runtime)
        .map((name) => /^NODEJS_(\d+)_X$/.exec(name)?.[1])
        .filter((major): major is string => major !== undefined)
        .map(Number)
        .sort((a, b) => b - a)[0];
      expect(BROKER_RUNTIME.name).toBe(`nodejs${newest}.x`);
    });

    it.each([
      ['BrokerLeaseApiFunction', 512, 29],
      ['BrokerRotationFunction', 256, 60],
    ])(
      '%s runs on ARM64 with source maps and its own log group',
      (prefix, memory, timeout) => {
        template.hasResourceProperties('AWS::Lambda::Function', {
          Architectures: ['arm64'],
          Runtime: BROKER_RUNTIME.name,
          Handler: 'index.handler',
          MemorySize: memory,
          Timeout: timeout,
          Environment: {
            Variables: Match.objectLike({
              NODE_OPTIONS: '--enable-source-maps',
            }),
          },
          LoggingConfig: {
            LogGroup: ref(
              'AWS::Logs::LogGroup',
              prefix.replace('Function', 'Logs'),
            ),
          },
        });
      },
    );

    it('keeps every log group for 30 days, retained with the data', () => {
      const groups = Object.values(
        resourcesOf(template, 'AWS::Logs::LogGroup'),
      );
      expect(groups).toHaveLength(3);
      template.allResources('AWS::Logs::LogGroup', {
        Properties: { RetentionInDays: 30 },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    it.each(['BrokerLeaseApiFunction', 'BrokerRotationFunction'])(
      "%s gets an environment the functions' own loadConfig accepts",
      (prefix) => {
        // Prepare
        const env = functionEnv(prefix);

        // Act
        const config = loadConfig({
          ...(env as Record<string, string>),
          BROKER_TABLE_NAME: 'from-the-template',
        });

        // Assess
        expect(env.BROKER_TABLE_NAME).toEqual(
          ref('AWS::DynamoDB::Table', 'BrokerPoolsTable'),
        );
        expect(config.pools).toEqual([
          {
            name: 'default',
            cap: 10,
            allowCapAboveTen: false,
            secretId: 'ads/credentials',
          },
        ]);
        expect(config.leaseDefaultSeconds).toBe(60);
        expect(config.leaseMaxSeconds).toBe(900);
        expect(config.sessionLifetimeMs).toBe(3 * 60 * 60 * 1000);
      },
    );
  });

  describe('IAM', () => {
    const logsStatement = (prefix: string) => ({
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: arnOf('AWS::Logs::LogGroup', prefix),
    });
    const kmsStatement = () => ({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: arnOf('AWS::KMS::Key', 'BrokerPoolsKey'),
      Condition: {
        StringEquals: {
          'kms:ViaService': {
            'Fn::Join': [
              '',
              [`dynamodb.${region}.`, { Ref: 'AWS::URLSuffix' }],
            ],
          },
        },
      },
    });

    it('gives the lease API item reads and writes, the key through DynamoDB, and the one secret', () => {
      expect(statementsOfRole(template, 'BrokerLeaseApiRole')).toEqual([
        logsStatement('BrokerLeaseApiLogs'),
        {
          Effect: 'Allow',
          Action: [
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
          ],
          Resource: arnOf('AWS::DynamoDB::Table', 'BrokerPoolsTable'),
        },
        kmsStatement(),
        {
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: SECRET_ARN,
        },
      ]);
    });

    it('gives the rotation function GetItem and UpdateItem only, and no secret', () => {
      expect(statementsOfRole(template, 'BrokerRotationRole')).toEqual([
        logsStatement('BrokerRotationLogs'),
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          Resource: arnOf('AWS::DynamoDB::Table', 'BrokerPoolsTable'),
        },
        kmsStatement(),
      ]);
    });

    it('attaches no managed policy to the function roles', () => {
      for (const prefix of ['BrokerLeaseApiRole', 'BrokerRotationRole']) {
        const role = resourcesOf(template, 'AWS::IAM::Role')[
          logicalId(template, 'AWS::IAM::Role', prefix)
        ];
        expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });

    it('names every resource: no IAM statement allows `*`', () => {
      const statements = Object.values(
        resourcesOf(template, 'AWS::IAM::Policy'),
      ).flatMap(
        (policy) =>
          (policy.Properties.PolicyDocument as { Statement: unknown[] })
            .Statement,
      );
      expect(statements.length).toBeGreaterThan(0);
      expect(JSON.stringify(statements)).not.toContain('*');
    });
  });

  describe('API', () => {
    it('builds one method per route, each requiring AWS_IAM', () => {
      const methods = Object.values(
        resourcesOf(template, 'AWS::ApiGateway::Method'),
      ).map((method) => method.Properties);

      expect(
        methods.map((m) => [m.OperationName, m.HttpMethod]).sort(),
      ).toEqual(ROUTES.map((route) => [route.name, route.method]).sort());
      for (const method of methods) {
        expect(method.AuthorizationType).toBe('AWS_IAM');
        expect(method.Integration).toMatchObject({ Type: 'AWS_PROXY' });
      }
    });

    it('validates parameters and bodies, with models derived from the zod schemas', () => {
      template.resourceCountIs('AWS::ApiGateway::RequestValidator', 1);
      template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
        ValidateRequestBody: true,
        ValidateRequestParameters: true,
      });
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        OperationName: 'renew',
        RequestValidatorId: ref('AWS::ApiGateway::RequestValidator', 'Broker'),
        RequestParameters: {
          'method.request.path.pool': true,
          'method.request.path.leaseId': true,
        },
        RequestModels: {
          'application/json': ref(
            'AWS::ApiGateway::Model',
            'BrokerLeaseApiGatewayApiRenewBody',
          ),
        },
      });
      template.hasResourceProperties('AWS::ApiGateway::Model', {
        ContentType: 'application/json',
        Schema: Match.objectLike({
          $schema: 'http://json-schema.org/draft-04/schema#',
          required: ['generation'],
          additionalProperties: false,
          properties: Match.objectLike({
            leaseSeconds: Match.objectLike({ minimum: 1, maximum: 900 }),
          }),
        }),
      });
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        OperationName: 'checkIn',
        RequestModels: {
          'application/json': ref(
            'AWS::ApiGateway::Model',
            'BrokerLeaseApiGatewayApiCheckInBody',
          ),
        },
      });
    });

    it('admits only principals of its own account', () => {
      template.hasResourceProperties('AWS::ApiGateway::RestApi', {
        EndpointConfiguration: { Types: ['REGIONAL'] },
        Policy: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${account}:root` },
              Action: 'execute-api:Invoke',
              Resource: 'execute-api:/*',
            },
          ],
        },
      });
    });

    it('throttles the stage and logs errors without request data', () => {
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'prod',
        MethodSettings: [
          {
            HttpMethod: '*',
            ResourcePath: '/*',
            ThrottlingRateLimit: 50,
            ThrottlingBurstLimit: 100,
            LoggingLevel: 'ERROR',
            DataTraceEnabled: false,
            MetricsEnabled: true,
          },
        ],
      });
    });

    it('writes JSON access logs without headers, bodies or tokens', () => {
      const stage = Object.values(
        resourcesOf(template, 'AWS::ApiGateway::Stage'),
      )[0];
      const setting = stage?.Properties.AccessLogSetting as {
        Format: string;
        DestinationArn: unknown;
      };
      const fields = JSON.parse(setting.Format) as Record<string, string>;

      expect(Object.keys(fields)).toEqual(
        expect.arrayContaining([
          'requestId',
          'status',
          'callerArn',
          'resourcePath',
        ]),
      );
      for (const value of Object.values(fields)) {
        expect(value).toMatch(/^\$context\.[A-Za-z.]+$/);
        expect(value).not.toMatch(/header|body|input|apiKey|authorizer|token/i);
      }
      expect(JSON.stringify(setting.DestinationArn)).toContain(
        logicalId(template, 'AWS::Logs::LogGroup', 'BrokerAccessLogs'),
      );
    });

    it("answers API Gateway's own refusals in the broker's error shape", () => {
      for (const [type, code] of [
        ['BAD_REQUEST_BODY', 'INVALID_REQUEST'],
        ['THROTTLED', 'THROTTLED'],
        ['DEFAULT_4XX', 'GATEWAY_REFUSED'],
        ['DEFAULT_5XX', 'GATEWAY_FAILED'],
      ]) {
        template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
          ResponseType: type,
          ResponseTemplates: {
            'application/json': Match.serializedJson(
              Match.objectLike({ code }),
            ),
          },
        });
      }
    });

    it('lets API Gateway invoke the lease API only per route of its own stage', () => {
      const permissions = Object.values(
        resourcesOf(template, 'AWS::Lambda::Permission'),
      ).filter((p) => p.Properties.Principal === 'apigateway.amazonaws.com');

      expect(permissions).toHaveLength(ROUTES.length);
      for (const permission of permissions) {
        expect(permission.Properties.FunctionName).toEqual(
          arnOf('AWS::Lambda::Function', 'BrokerLeaseApiFunction'),
        );
        const sourceArn = JSON.stringify(permission.Properties.SourceArn);
        expect(sourceArn).toContain(
          logicalId(
            template,
            'AWS::ApiGateway::Stage',
            'BrokerLeaseApiGatewayApiDeploymentStageprod',
          ),
        );
        expect(sourceArn).toMatch(/\/(POST|GET|DELETE)\/v1\/pools\//);
      }
    });
  });

  describe('Schedule', () => {
    it('invokes the rotation function every 5 minutes, dropping stale runs', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: arnOf('AWS::Lambda::Function', 'BrokerRotationFunction'),
            RetryPolicy: {
              MaximumEventAgeInSeconds: 300,
              MaximumRetryAttempts: 1,
            },
          }),
        ],
      });
    });
  });

  describe('Alarms', () => {
    it.each([
      ['PoolSaturated', BrokerMetric.CheckOutExhausted, 'Sum', 300, 1, 3],
      ['LoginRejected', BrokerMetric.LoginRejected, 'Sum', 300, 1, 1],
      ['LoginFailing', BrokerMetric.LoginFailed, 'Sum', 300, 3, 1],
      ['BreakerOpen', BrokerMetric.BreakerOpen, 'Maximum', 60, 1, 1],
    ])(
      'alarms on %s from the broker metric %s of the pool',
      (name, metric, statistic, period, threshold, periods) => {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `Test-default-${name}`,
          Namespace: METRICS_NAMESPACE,
          MetricName: metric,
          Dimensions: [{ Name: 'pool', Value: 'default' }],
          Statistic: statistic,
          Period: period,
          Threshold: threshold,
          EvaluationPeriods: periods,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          AlarmDescription: Match.stringLikeRegexp('Pool default: .{60,}'),
        });
      },
    );

    it.each([
      ['LeaseApi', 'BrokerLeaseApiFunction'],
      ['Rotation', 'BrokerRotationFunction'],
    ])('alarms on %s errors and throttles', (name, prefix) => {
      for (const metric of ['Errors', 'Throttles']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `Test-${name}-${metric}`,
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [
            {
              Name: 'FunctionName',
              Value: ref('AWS::Lambda::Function', prefix),
            },
          ],
          Statistic: 'Sum',
          Threshold: 1,
        });
      }
    });

    it('alarms on DynamoDB throttles of each operation the broker uses, zero-filled', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'Test-Table-Throttles',
        Threshold: 1,
        Metrics: Match.arrayWith([
          Match.objectLike({
            Expression:
              'FILL(getitem, 0) + FILL(putitem, 0) + FILL(updateitem, 0)',
          }),
          ...['GetItem', 'PutItem', 'UpdateItem'].map((operation) =>
            Match.objectLike({
              Id: operation.toLowerCase(),
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/DynamoDB',
                  MetricName: 'ThrottledRequests',
                  Dimensions: Match.arrayWith([
                    { Name: 'Operation', Value: operation },
                    {
                      Name: 'TableName',
                      Value: ref('AWS::DynamoDB::Table', 'BrokerPoolsTable'),
                    },
                  ]),
                },
                Period: 300,
                Stat: 'Sum',
              },
            }),
          ),
        ]),
      });
    });

    it('has exactly the pool, function, table and API alarms, none with actions', () => {
      const alarms = Object.values(
        resourcesOf(template, 'AWS::CloudWatch::Alarm'),
      );
      expect(alarms.map((a) => a.Properties.AlarmName).sort()).toEqual(
        [
          'Test-Api-5xx',
          'Test-LeaseApi-Errors',
          'Test-LeaseApi-Throttles',
          'Test-Rotation-Errors',
          'Test-Rotation-Throttles',
          'Test-Table-Throttles',
          'Test-default-BreakerOpen',
          'Test-default-LoginFailing',
          'Test-default-LoginRejected',
          'Test-default-PoolSaturated',
        ].sort(),
      );
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmActions).toBeUndefined();
      }
    });
  });

  describe('Dashboard', () => {
    it('shows live and leased sessions against the cap, latency and waits', () => {
      const dashboard = Object.values(
        resourcesOf(template, 'AWS::CloudWatch::Dashboard'),
      )[0];
      const body = JSON.stringify(dashboard?.Properties.DashboardBody);

      for (const metric of Object.values(BrokerMetric)) {
        expect(body).toContain(`\\"${metric}\\"`);
      }
      expect(body).toContain('\\"value\\":10');
      expect(body).toContain('\\"label\\":\\"cap 10\\"');
      expect(body).toContain('p99');
    });
  });
});

describe('Construct: SessionBroker with props', () => {
  it('lets data go with the stack when told to', () => {
    // Prepare
    const { stack } = createTestBroker({
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
    });

    // Act
    const template = Template.fromStack(stack);

    // Assess
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      DeletionPolicy: 'Delete',
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  it('takes the lease limits, lifetime and schedule from props', () => {
    // Prepare
    const { stack } = createTestBroker({
      leaseDefault: Duration.seconds(30),
      leaseMax: Duration.minutes(5),
      sessionLifetime: Duration.hours(1),
      rotationSchedule: Schedule.rate(Duration.minutes(2)),
      upstreamBaseUrl: 'https://adapi.sizmek.com/sas',
      logLevel: 'DEBUG',
    });

    // Act
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          BROKER_LEASE_DEFAULT_SECONDS: '30',
          BROKER_LEASE_MAX_SECONDS: '300',
          BROKER_SESSION_LIFETIME_SECONDS: '3600',
          BROKER_UPSTREAM_BASE_URL: 'https://adapi.sizmek.com/sas',
          POWERTOOLS_LOG_LEVEL: 'DEBUG',
        }),
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(2 minutes)',
    });
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: Match.objectLike({
        properties: Match.objectLike({
          leaseSeconds: {
            default: 30,
            type: 'integer',
            minimum: 1,
            maximum: 300,
          },
        }),
      }),
    });
  });

  it('reserves and provisions concurrency, API Gateway invoking the live alias', () => {
    // Prepare
    const { stack } = createTestBroker({
      leaseApiReservedConcurrency: 20,
      leaseApiProvisionedConcurrency: 2,
      rotationReservedConcurrency: 1,
    });

    // Act
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Session broker lease API',
      ReservedConcurrentExecutions: 20,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Session broker rotation: sweeps every pool',
      ReservedConcurrentExecutions: 1,
    });
    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    const aliasId = logicalId(
      template,
      'AWS::Lambda::Alias',
      'BrokerLeaseApiLive',
    );
    for (const method of Object.values(
      resourcesOf(template, 'AWS::ApiGateway::Method'),
    )) {
      expect(JSON.stringify(method.Properties.Integration)).toContain(aliasId);
    }
  });

  it('associates a web ACL when given one', () => {
    // Prepare
    const webAclArn = `arn:aws:wafv2:${region}:${account}:regional/webacl/broker/abc`;

    // Act
    const template = Template.fromStack(createTestBroker({ webAclArn }).stack);

    // Assess
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: webAclArn,
    });
  });

  it("leaves the account's API Gateway logging role alone when told to", () => {
    const template = Template.fromStack(
      createTestBroker({ apiGatewayCloudWatchRole: false }).stack,
    );

    template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });
});
