import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { SessionBrokerPropsError } from '../../infra/errors';
import { SessionBroker } from '../../infra/session-broker';
import type { SessionBrokerProps } from '../../infra/session-broker-props';
import { createTestBroker, statementsOfRole, TEST_ENV, testApp } from './app';

const { account, region } = TEST_ENV;

const build = (props: SessionBrokerProps): SessionBroker => {
  const stack = new Stack(new App(), 'Props', { env: TEST_ENV });
  return new SessionBroker(stack, 'Broker', props);
};

const refusal = (props: SessionBrokerProps): SessionBrokerPropsError => {
  try {
    build(props);
  } catch (error) {
    if (error instanceof SessionBrokerPropsError) return error;
    throw error;
  }
  throw new Error('the props were accepted');
};

describe('Props: SessionBroker', () => {
  it.each<[string, SessionBrokerProps, RegExp]>([
    [
      'a cap above 10 without the override',
      { secret: 's', cap: 11 },
      /cap 11 is above the upstream's 10; set allowCapAboveTen/,
    ],
    ['a cap of zero', { secret: 's', cap: 0 }, /pool "default": cap: /],
    ['a fractional cap', { secret: 's', cap: 2.5 }, /pool "default": cap: /],
    [
      'a pool cap above 10',
      { pools: [{ name: 'a', secret: 's', cap: 12 }] },
      /pool a: cap 12 is above/,
    ],
    ['no secret at all', {}, /pool "default" has no secret/],
    ['an empty pool list', { secret: 's', pools: [] }, /at least one pool/],
    [
      'a pool name with a slash',
      { secret: 's', pools: [{ name: 'a/b' }] },
      /pool "a\/b": the name must be 1 to 64 letters/,
    ],
    [
      'two pools with one name',
      {
        pools: [
          { name: 'a', secret: 's1' },
          { name: 'a', secret: 's2' },
        ],
      },
      /pool a is listed twice/,
    ],
    [
      'two pools sharing a secret',
      { secret: 'shared', pools: [{ name: 'a' }, { name: 'b' }] },
      /pool "b" uses the same secret as pool "a"/,
    ],
    [
      'a default lease longer than the maximum',
      {
        secret: 's',
        leaseDefault: Duration.minutes(20),
        leaseMax: Duration.minutes(10),
      },
      /the default lease is longer than the maximum lease/,
    ],
    [
      'a maximum lease the session lifetime cannot cover',
      {
        secret: 's',
        sessionLifetime: Duration.minutes(10),
        leaseMax: Duration.minutes(10),
      },
      /the session lifetime minus twice the clock skew must cover the maximum lease/,
    ],
    [
      'a lease in fractions of a second',
      { secret: 's', leaseDefault: Duration.millis(1500) },
      /leaseDefault must be a whole number of seconds/,
    ],
    [
      'a plain-http upstream',
      { secret: 's', upstreamBaseUrl: 'http://adapi.sizmek.com/sas' },
      /upstreamBaseUrl is refused: .*https/,
    ],
    [
      'a loopback upstream',
      { secret: 's', upstreamBaseUrl: 'http://127.0.0.1:8080' },
      /upstreamBaseUrl must use https/,
    ],
    [
      'more provisioned than reserved concurrency',
      {
        secret: 's',
        leaseApiReservedConcurrency: 2,
        leaseApiProvisionedConcurrency: 3,
      },
      /leaseApiProvisionedConcurrency must not exceed/,
    ],
    [
      'a negative reserved concurrency',
      { secret: 's', rotationReservedConcurrency: -1 },
      /rotationReservedConcurrency must be a whole number/,
    ],
    [
      'a zero throttling rate',
      { secret: 's', throttlingRateLimit: 0 },
      /throttlingRateLimit must be a number above zero/,
    ],
  ])('refuses %s', (_title, props, message) => {
    // Act
    const error = refusal(props);

    // Assess
    expect(error.code).toBe('SESSION_BROKER_PROPS_INVALID');
    expect(error.path).toBe('Props/Broker');
    expect(error.message).toMatch(
      /^Props\/Broker: invalid SessionBroker props: /,
    );
    expect(error.message).toMatch(message);
  });

  it('lists every problem at once', () => {
    const error = refusal({ cap: 0, throttlingRateLimit: -1 });

    expect(error.problems).toEqual([
      'pool "default" has no secret; set secret or pools[].secret',
      'throttlingRateLimit must be a number above zero',
    ]);
  });

  it('accepts a cap above 10 with the explicit override', () => {
    // Act
    const { stack } = createTestBroker({ cap: 15, allowCapAboveTen: true });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          BROKER_POOLS: JSON.stringify([
            {
              name: 'default',
              cap: 15,
              allowCapAboveTen: true,
              secretId: 'ads/credentials',
            },
          ]),
        },
      },
    });
  });
});

describe('Props: secrets', () => {
  it('imports a complete ARN as it is, and a name with its random suffix', () => {
    // Prepare
    const fullArn = `arn:aws:secretsmanager:${region}:${account}:secret:ads/alpha-AbC123`;
    const { stack } = createTestBroker({
      pools: [
        { name: 'alpha', secret: fullArn },
        { name: 'beta', secret: 'ads/beta', cap: 4 },
      ],
    });

    // Act
    const template = Template.fromStack(stack);

    // Assess
    expect(statementsOfRole(template, 'BrokerLeaseApiRole')).toContainEqual({
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: [
        fullArn,
        `arn:aws:secretsmanager:${region}:${account}:secret:ads/beta-??????`,
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          BROKER_POOLS: JSON.stringify([
            { name: 'alpha', cap: 10, secretId: fullArn },
            { name: 'beta', cap: 4, secretId: 'ads/beta' },
          ]),
        },
      },
    });
  });

  it('grants Decrypt on the key of a secret that has one', () => {
    // Prepare
    const app = testApp();
    const stack = new Stack(app, 'Keyed', { env: TEST_ENV });
    const key = new Key(stack, 'SecretKey');
    const secret = new Secret(stack, 'Credentials', { encryptionKey: key });

    // Act
    new SessionBroker(stack, 'Broker', { secret });

    // Assess
    const template = Template.fromStack(stack);
    const statements = statementsOfRole(template, 'BrokerLeaseApiRole');
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: { Ref: expect.stringMatching(/^Credentials/) },
    });
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'kms:Decrypt',
        Resource: {
          'Fn::GetAtt': [expect.stringMatching(/^SecretKey/), 'Arn'],
        },
      }),
    );
  });
});
