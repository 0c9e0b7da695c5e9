import { Match, Template } from 'aws-cdk-lib/assertions';
import { ROUTES } from '../../functions/http/routes';
import {
  arnOf as arnOfResource,
  createTestBroker,
  logicalId,
  refTo,
  resourcesOf,
  TEST_ENV,
} from './app';

const { account } = TEST_ENV;

describe('Construct: SessionBroker, lease API', () => {
  let template: Template;

  beforeAll(() => {
    template = Template.fromStack(createTestBroker().stack);
  });

  const ref = (type: string, prefix: string) => refTo(template, type, prefix);
  const arnOf = (type: string, prefix: string) =>
    arnOfResource(template, type, prefix);

  it('builds one method per route, each requiring AWS_IAM', () => {
    const methods = Object.values(
      resourcesOf(template, 'AWS::ApiGateway::Method'),
    ).map((method) => method.Properties);

    expect(methods.map((m) => [m.OperationName, m.HttpMethod]).sort()).toEqual(
      ROUTES.map((route) => [route.name, route.method]).sort(),
    );
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
          'application/json': Match.serializedJson(Match.objectLike({ code })),
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
