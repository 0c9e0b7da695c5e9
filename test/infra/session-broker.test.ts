import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { loadConfig } from '../../functions/shared/config';
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

    it('gives the rotation function item writes and the rotation actions on the one secret', () => {
      expect(statementsOfRole(template, 'BrokerRotationRole')).toEqual([
        logsStatement('BrokerRotationLogs'),
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
          Action: [
            'secretsmanager:DescribeSecret',
            'secretsmanager:GetSecretValue',
            'secretsmanager:UpdateSecretVersionStage',
          ],
          Resource: SECRET_ARN,
        },
      ]);
    });

    it('lets Secrets Manager of this account invoke the rotation function', () => {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'secretsmanager.amazonaws.com',
        SourceAccount: TEST_ENV.account,
        FunctionName: Match.objectLike({
          'Fn::GetAtt': [
            logicalId(
              template,
              'AWS::Lambda::Function',
              'BrokerRotationFunction',
            ),
            'Arn',
          ],
        }),
      });
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
