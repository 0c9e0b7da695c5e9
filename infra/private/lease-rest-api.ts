import { Names, Stack } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type Model,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import {
  AccountRootPrincipal,
  Effect,
  PolicyDocument,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ROUTES } from '../../functions/http/routes';
import type { RequestLimits } from '../../functions/http/schemas';
import { bodyModels } from './body-models';

export interface LeaseRestApiProps {
  /** The lease API function, or its alias, behind every route. */
  readonly handler: IFunction;
  /** The request limits the body models enforce. */
  readonly limits: RequestLimits;
  /** The stage name. */
  readonly stageName: string;
  /** Steady requests per second for the stage. */
  readonly throttlingRateLimit: number;
  /** Burst requests for the stage. */
  readonly throttlingBurstLimit: number;
  /** Where access logs go. */
  readonly accessLogs: ILogGroup;
  /** Whether to set the account's API Gateway CloudWatch role. */
  readonly cloudWatchRole: boolean;
}

/**
 * One access log line per request, as JSON. No headers, no bodies and no
 * query strings: the caller is named by account and principal ARN only,
 * and a lease's token never passes through a field logged here.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: AccessLogField.contextRequestId(),
    extendedRequestId: AccessLogField.contextExtendedRequestId(),
    requestTime: AccessLogField.contextRequestTime(),
    httpMethod: AccessLogField.contextHttpMethod(),
    resourcePath: AccessLogField.contextResourcePath(),
    path: AccessLogField.contextPath(),
    status: AccessLogField.contextStatus(),
    responseLength: AccessLogField.contextResponseLength(),
    responseLatency: AccessLogField.contextResponseLatency(),
    integrationLatency: AccessLogField.contextIntegrationLatency(),
    integrationStatus: AccessLogField.contextIntegrationStatus(),
    errorType: AccessLogField.contextErrorResponseType(),
    errorMessage: AccessLogField.contextErrorMessage(),
    validationError: AccessLogField.contextErrorValidationErrorString(),
    callerAccount: AccessLogField.contextIdentityAccountId(),
    callerArn: AccessLogField.contextIdentityUserArn(),
    sourceIp: AccessLogField.contextIdentitySourceIp(),
    userAgent: AccessLogField.contextIdentityUserAgent(),
  }),
);

/**
 * The broker's answers to requests API Gateway refuses itself, in the
 * lease API's error shape (`code`, `message`).
 */
const GATEWAY_ERRORS = [
  {
    type: ResponseType.BAD_REQUEST_BODY,
    status: '400',
    code: 'INVALID_REQUEST',
    message: "The body does not fit the route's schema",
  },
  {
    type: ResponseType.BAD_REQUEST_PARAMETERS,
    status: '400',
    code: 'INVALID_REQUEST',
    message: 'A path parameter is missing',
  },
  {
    type: ResponseType.THROTTLED,
    status: '429',
    code: 'THROTTLED',
    message: 'The broker API is throttling requests; retry with backoff',
  },
  {
    type: ResponseType.DEFAULT_4XX,
    code: 'GATEWAY_REFUSED',
    message: 'API Gateway refused the request; check the SigV4 signature',
  },
  {
    type: ResponseType.DEFAULT_5XX,
    code: 'GATEWAY_FAILED',
    message: 'API Gateway could not reach the broker',
  },
] as const;

/**
 * The lease API's REST API, its resources built from the handler's own
 * `ROUTES` list. Every method needs SigV4 (`AWS_IAM`), and the resource
 * policy admits only this account's principals, each of which still needs
 * an identity policy (see `SessionBroker.grantLease`).
 */
export class LeaseRestApi extends Construct {
  public readonly api: RestApi;

  public constructor(scope: Construct, id: string, props: LeaseRestApiProps) {
    super(scope, id);

    this.api = new RestApi(this, 'Api', {
      // The name is the ApiName dimension of the API's metrics: unique per
      // stack, so two brokers in one account do not share alarms.
      restApiName: `${Stack.of(this).stackName}-${Names.uniqueId(this)}`,
      description: 'Session broker lease API',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: props.cloudWatchRole,
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({
            effect: Effect.ALLOW,
            principals: [new AccountRootPrincipal()],
            actions: ['execute-api:Invoke'],
            resources: ['execute-api:/*'],
          }),
        ],
      }),
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        accessLogDestination: new LogGroupLogDestination(props.accessLogs),
        accessLogFormat: ACCESS_LOG_FORMAT,
        // Errors only, and never the request or response data.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
    });

    this.addGatewayErrors();
    this.addRoutes(props);
  }

  private addRoutes(props: LeaseRestApiProps): void {
    const validator = this.api.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const integration = new LambdaIntegration(props.handler, {
      allowTestInvoke: false,
    });
    const schemas = bodyModels(props.limits);

    for (const route of ROUTES) {
      const schema = schemas[route.name];
      let model: Model | undefined;
      if (schema) {
        model = this.api.addModel(`${upperFirst(route.name)}Body`, {
          contentType: 'application/json',
          schema,
        });
      }
      const parameters = Object.fromEntries(
        [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => [
          `method.request.path.${match[1]}`,
          true,
        ]),
      );
      this.api.root
        .resourceForPath(route.path)
        .addMethod(route.method, integration, {
          operationName: route.name,
          requestValidator: validator,
          requestParameters: parameters,
          ...(model ? { requestModels: { 'application/json': model } } : {}),
        });
    }
  }

  private addGatewayErrors(): void {
    for (const error of GATEWAY_ERRORS) {
      this.api.addGatewayResponse(pascalCase(error.type.responseType), {
        type: error.type,
        ...('status' in error ? { statusCode: error.status } : {}),
        responseHeaders: { 'cache-control': "'no-store'" },
        templates: {
          'application/json': JSON.stringify({
            code: error.code,
            message: error.message,
          }),
        },
      });
    }
  }
}

const upperFirst = (text: string): string =>
  text.charAt(0).toUpperCase() + text.slice(1);

/** `BAD_REQUEST_BODY` to `BadRequestBody`, for construct ids. */
const pascalCase = (text: string): string =>
  text.toLowerCase().split('_').map(upperFirst).join('');
