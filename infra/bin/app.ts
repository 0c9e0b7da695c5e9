import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readAppSettings } from '../context';
import { ExampleConsumerStack } from '../example-consumer-stack';
import { SessionBrokerStack } from '../session-broker-stack';

/**
 * The CDK app: the broker stack, and the example consumer when
 * `broker:exampleConsumer` is true. Settings come from `cdk.json` context
 * (see `infra/context.ts`). The stacks are environment-agnostic unless the
 * CLI resolved an account and region, so `cdk synth` needs no credentials.
 */
export const buildApp = (app: App = new App()): App => {
  const settings = readAppSettings(app.node);
  const env = {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  };

  const brokerStack = new SessionBrokerStack(app, settings.stackName, {
    description: 'Session broker: leases upstream API sessions to Lambdas',
    env,
    broker: settings.broker,
    ...(settings.alarmTopicArn
      ? { alarmTopicArn: settings.alarmTopicArn }
      : {}),
  });
  if (settings.exampleConsumer) {
    new ExampleConsumerStack(app, `${settings.stackName}ExampleConsumer`, {
      description: 'Example consumer of the session broker',
      env,
      broker: brokerStack.broker,
    });
  }

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
};

if (require.main === module) {
  buildApp().synth();
}
