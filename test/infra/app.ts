import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { SessionBroker } from '../../infra/session-broker';
import type { SessionBrokerProps } from '../../infra/session-broker-props';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The context `cdk synth` runs with: feature flags and `broker:*` keys. */
export const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8'),
).context;

/** A fixed environment, so ARNs in the template are plain strings. */
export const TEST_ENV = { account: '123456789012', region: 'eu-west-1' };

export const TEST_SECRET_NAME = 'ads/credentials';

/**
 * An app with `cdk.json`'s context that skips bundling, so templates are
 * the ones `cdk synth` writes, minus the esbuild run. The built-in
 * CloudFormation lint costs seconds per synth; the bundle test's real
 * `cdk synth` runs it once for the whole app.
 */
export const testApp = (context: Record<string, unknown> = {}): App =>
  new App({
    builtinCloudFormationValidation: false,
    context: {
      ...CDK_CONTEXT,
      'aws:cdk:bundling-stacks': [],
      ...context,
    },
  });

export interface TestBroker {
  readonly app: App;
  readonly stack: Stack;
  readonly broker: SessionBroker;
}

/** A broker in a stack of its own, with `ads/credentials` unless told. */
export const createTestBroker = (
  props: SessionBrokerProps = {},
): TestBroker => {
  const app = testApp();
  const stack = new Stack(app, 'Test', { env: TEST_ENV });
  const broker = new SessionBroker(stack, 'Broker', {
    ...(props.pools ? {} : { secret: TEST_SECRET_NAME }),
    ...props,
  });
  return { app, stack, broker };
};

/** The resources of one type, by logical id. */
export const resourcesOf = (
  template: Template,
  type: string,
): Record<string, { Properties: Record<string, unknown> }> =>
  template.findResources(type) as Record<
    string,
    { Properties: Record<string, unknown> }
  >;

/** The logical id of the only resource of `type` whose id starts so. */
export const logicalId = (
  template: Template,
  type: string,
  prefix: string,
): string => {
  const ids = Object.keys(template.findResources(type)).filter((id) =>
    id.startsWith(prefix),
  );
  if (ids.length !== 1 || ids[0] === undefined) {
    throw new Error(`expected one ${type} named ${prefix}*, got ${ids}`);
  }
  return ids[0];
};

/** The statements of the policy attached to the role named `rolePrefix`. */
export const statementsOfRole = (
  template: Template,
  rolePrefix: string,
): unknown[] => {
  const roleId = logicalId(template, 'AWS::IAM::Role', rolePrefix);
  const policies = Object.values(
    resourcesOf(template, 'AWS::IAM::Policy'),
  ).filter((policy) =>
    (policy.Properties.Roles as unknown[]).some(
      (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId }),
    ),
  );
  return policies.flatMap(
    (policy) =>
      (policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement,
  );
};

/** `{ Ref }` to the only resource of `type` whose id starts with `prefix`. */
export const refTo = (template: Template, type: string, prefix: string) => ({
  Ref: logicalId(template, type, prefix),
});

/** `{ Fn::GetAtt: [id, 'Arn'] }` of the only such resource. */
export const arnOf = (template: Template, type: string, prefix: string) => ({
  'Fn::GetAtt': [logicalId(template, type, prefix), 'Arn'],
});
