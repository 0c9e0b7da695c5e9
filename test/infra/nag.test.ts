import { type App, Stack, Validations } from 'aws-cdk-lib';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../infra/bin/app';
import { testApp } from './app';

/** Every acknowledgement recorded in the tree, with where it was made. */
const acknowledgements = (root: IConstruct) =>
  root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter(
        (entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY,
      )
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(
          ([id, reason]) => ({
            id: id.replace(/^annotation::/i, ''),
            reason,
            path: construct.node.path,
          }),
        ),
      ),
  );

describe('cdk-nag: AwsSolutionsChecks', () => {
  let app: App;

  beforeAll(() => {
    app = buildApp(testApp({ 'broker:exampleConsumer': true }));
  });

  it('finds no unacknowledged error or warning in the app', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(app);

    // Assess
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges three findings, each on the API, each with its reason', () => {
    const found = acknowledgements(app);

    expect(found.map((ack) => ack.id).sort()).toEqual([
      'AwsSolutions-APIG3',
      'AwsSolutions-COG4',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    ]);
    for (const ack of found) {
      expect(ack.path).toBe('SessionBroker/Broker/LeaseApiGateway/Api');
      expect(ack.reason.length).toBeGreaterThan(80);
    }
  });

  it('runs on every synth: the clean app passes, a finding fails it', () => {
    // Prepare
    const clean = buildApp(testApp());
    const dirty = buildApp(testApp());
    const rogue = new Stack(dirty, 'Rogue');
    new RestApi(rogue, 'Open').root.addMethod('GET');

    // Act & Assess
    expect(() => clean.synth()).not.toThrow();
    expect(() => dirty.synth()).toThrow(/AwsSolutions-APIG4/);
  });
});
