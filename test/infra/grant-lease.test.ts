import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Code, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { newLeaseId, newSlotId } from '../../functions/pool/ids';
import { SessionBrokerPropsError } from '../../infra/errors';
import { BROKER_RUNTIME } from '../../infra/private/broker-function';
import { createTestBroker, logicalId, statementsOfRole, TEST_ENV } from './app';

const { account, region } = TEST_ENV;

/** IAM's wildcards, as a regular expression over a whole ARN. */
const iamPattern = (arn: string): RegExp =>
  new RegExp(
    `^${arn
      .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
      .replace(/\?/g, '.')
      .replace(/\*/g, '.*')}$`,
  );

const consumerIn = (scope: ReturnType<typeof createTestBroker>['stack']) =>
  new LambdaFunction(scope, 'Consumer', {
    runtime: BROKER_RUNTIME,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => ({});'),
  });

describe('Method: SessionBroker.grantLease', () => {
  it("grants Invoke on exactly the pool's four routes of the stage", () => {
    // Prepare
    const { stack, broker } = createTestBroker();
    const consumer = consumerIn(stack);

    // Act
    broker.grantLease(consumer);

    // Assess
    const template = Template.fromStack(stack);
    const apiId = logicalId(
      template,
      'AWS::ApiGateway::RestApi',
      'BrokerLeaseApiGatewayApi',
    );
    const arn = (tail: string) => ({
      'Fn::Join': [
        '',
        [
          `arn:aws:execute-api:${region}:${account}:`,
          { Ref: apiId },
          `/prod/${tail}`,
        ],
      ],
    });
    const leaseId = '?'.repeat(45);
    const expected = [
      arn('POST/v1/pools/default/leases'),
      arn(`POST/v1/pools/default/leases/${leaseId}/renew`),
      arn(`DELETE/v1/pools/default/leases/${leaseId}`),
      arn('GET/v1/pools/default'),
    ];
    const statements = statementsOfRole(template, 'ConsumerServiceRole');
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Resource: expect.arrayContaining(expected),
      },
    ]);
    expect((statements[0] as { Resource: unknown[] }).Resource).toHaveLength(
      expected.length,
    );
  });

  it('matches every lease id the broker mints, and nothing longer', () => {
    // Prepare
    const leaseId = newLeaseId(newSlotId());
    const pattern = iamPattern(
      `arn:aws:execute-api:r:a:api/prod/DELETE/v1/pools/default/leases/${'?'.repeat(leaseId.length)}`,
    );
    const arn = (id: string) =>
      `arn:aws:execute-api:r:a:api/prod/DELETE/v1/pools/default/leases/${id}`;

    // Act & Assess
    expect(leaseId).toHaveLength(45);
    expect(arn(leaseId)).toMatch(pattern);
    expect(arn(`${leaseId}/x`)).not.toMatch(pattern);
    expect(
      `arn:aws:execute-api:r:a:api/prod/DELETE/v1/pools/other/leases/${leaseId}`,
    ).not.toMatch(pattern);
  });

  it('sets BROKER_ENDPOINT and BROKER_POOL on a function', () => {
    // Prepare
    const { stack, broker } = createTestBroker();
    const consumer = consumerIn(stack);

    // Act
    broker.grantLease(consumer, 'default');

    // Assess
    const template = Template.fromStack(stack);
    const apiId = logicalId(
      template,
      'AWS::ApiGateway::RestApi',
      'BrokerLeaseApiGatewayApi',
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Code: { ZipFile: Match.anyValue() },
      Environment: {
        Variables: {
          BROKER_POOL: 'default',
          BROKER_ENDPOINT: {
            'Fn::Join': [
              '',
              [
                'https://',
                { Ref: apiId },
                `.execute-api.${region}.`,
                { Ref: 'AWS::URLSuffix' },
                '/prod',
              ],
            ],
          },
        },
      },
    });
  });

  it('grants a role that is not a function, returning the grant', () => {
    // Prepare
    const { stack, broker } = createTestBroker();
    const role = new Role(stack, 'Caller', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
    });

    // Act
    const grant = broker.grantLease(role);

    // Assess
    expect(grant.success).toBe(true);
    const statements = statementsOfRole(Template.fromStack(stack), 'Caller');
    expect(statements).toEqual([
      expect.objectContaining({ Action: 'execute-api:Invoke' }),
    ]);
  });

  describe('with several pools', () => {
    const pools = [
      { name: 'alpha', secret: 'ads/alpha' },
      { name: 'beta', secret: 'ads/beta' },
    ];

    it('grants the named pool only', () => {
      // Prepare
      const { stack, broker } = createTestBroker({ pools });
      const consumer = consumerIn(stack);

      // Act
      broker.grantLease(consumer, 'beta');

      // Assess
      const resources = JSON.stringify(
        statementsOfRole(Template.fromStack(stack), 'ConsumerServiceRole'),
      );
      expect(resources).toContain('/v1/pools/beta/leases');
      expect(resources).not.toContain('alpha');
    });

    it.each([
      [undefined, /needs a pool name: the broker has 2 pools \(alpha, beta\)/],
      ['gamma', /no pool named "gamma" \(pools: alpha, beta\)/],
    ])('refuses pool %s', (pool, message) => {
      // Prepare
      const { stack, broker } = createTestBroker({ pools });

      // Act
      const consumer = consumerIn(stack);
      const act = () => broker.grantLease(consumer, pool);

      // Assess
      expect(act).toThrow(SessionBrokerPropsError);
      expect(act).toThrow(message);
    });
  });
});
