import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { z } from 'zod';
import type { SessionBrokerProps } from './session-broker-props';

/** Prefix of every context key the app reads. */
export const CONTEXT_PREFIX = 'broker:';

/** What the app builds, read from `cdk.json` context and `-c` flags. */
export interface AppSettings {
  /** `broker:stackName`, default `SessionBroker`. */
  readonly stackName: string;
  /** The broker's props, from the other `broker:*` keys. */
  readonly broker: SessionBrokerProps;
  /**
   * `broker:alarmTopicArn`.
   *
   * @default - no alarm actions
   */
  readonly alarmTopicArn?: string;
  /** `broker:exampleConsumer`, default false. */
  readonly exampleConsumer: boolean;
}

/** `-c key=value` gives strings; `cdk.json` gives JSON values. Take both. */
const flag = z.union([
  z.boolean(),
  z.enum(['true', 'false']).transform((text) => text === 'true'),
]);
const count = z.coerce.number().int().min(0);
const seconds = z.coerce.number().int().positive();
const retention = z.coerce
  .number()
  .refine((days) => Object.values(RetentionDays).includes(days), {
    message: 'must be one of the retention periods CloudWatch Logs offers',
  });
const jsonOr = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value, ctx) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
  }, schema);

const poolSchema = z
  .object({
    name: z.string(),
    secretName: z.string().min(1).optional(),
    cap: z.number().int().optional(),
    allowCapAboveTen: z.boolean().optional(),
    baseUrl: z.string().optional(),
  })
  .strict();

/**
 * The `broker:*` keys. Each maps to the {@link SessionBrokerProps} prop of
 * the same name, in seconds or minutes where the key says so:
 * `secretName` (name or ARN of the `default` pool's secret), `cap`,
 * `allowCapAboveTen`, `pools` (`[{name, secretName?, cap?,
 * allowCapAboveTen?, baseUrl?}]`), `upstreamBaseUrl`,
 * `leaseDefaultSeconds`, `leaseMaxSeconds`, `sessionLifetimeSeconds`,
 * `rotationRateMinutes`, the three concurrency keys, `logRetentionDays`,
 * `logLevel`, `throttlingRateLimit`, `throttlingBurstLimit`, `webAclArn`,
 * `apiGatewayCloudWatchRole`. Besides: `stackName`, `alarmTopicArn`,
 * `retainData` (false lets the table and key go with the stack; for
 * development stacks only) and `exampleConsumer` (adds the example
 * consumer stack).
 */
const contextSchema = z
  .object({
    stackName: z.string().min(1).default('SessionBroker'),
    secretName: z.string().min(1).optional(),
    cap: z.coerce.number().int().optional(),
    allowCapAboveTen: flag.optional(),
    pools: jsonOr(z.array(poolSchema)).optional(),
    upstreamBaseUrl: z.string().optional(),
    leaseDefaultSeconds: seconds.optional(),
    leaseMaxSeconds: seconds.optional(),
    sessionLifetimeSeconds: seconds.optional(),
    rotationRateMinutes: seconds.default(5),
    leaseApiReservedConcurrency: count.optional(),
    leaseApiProvisionedConcurrency: count.optional(),
    rotationReservedConcurrency: count.optional(),
    logRetentionDays: retention.optional(),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).optional(),
    retainData: flag.default(true),
    throttlingRateLimit: z.coerce.number().positive().optional(),
    throttlingBurstLimit: count.optional(),
    alarmTopicArn: z.string().startsWith('arn:').optional(),
    webAclArn: z.string().startsWith('arn:').optional(),
    apiGatewayCloudWatchRole: flag.optional(),
    exampleConsumer: flag.default(false),
  })
  .strict();

type ContextValues = z.infer<typeof contextSchema>;

/**
 * Reads the `broker:*` context keys. Unknown `broker:` keys are refused,
 * so a typo fails the synth instead of silently taking a default.
 *
 * @example
 * npx cdk synth -c broker:secretName=ads/credentials -c broker:cap=5
 */
export const readAppSettings = (node: Node): AppSettings => {
  const all = node.getAllContext() as Record<string, unknown>;
  const raw = Object.fromEntries(
    Object.entries(all)
      .filter(([key]) => key.startsWith(CONTEXT_PREFIX))
      .map(([key, value]) => [key.slice(CONTEXT_PREFIX.length), value]),
  );
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `Invalid cdk context: ${parsed.error.issues
        .map(
          (issue) =>
            `${CONTEXT_PREFIX}${issue.path.join('.')}: ${issue.message}`,
        )
        .join('; ')}`,
    );
  }
  const values = parsed.data;
  return {
    stackName: values.stackName,
    broker: toBrokerProps(values),
    ...(values.alarmTopicArn ? { alarmTopicArn: values.alarmTopicArn } : {}),
    exampleConsumer: values.exampleConsumer,
  };
};

const toBrokerProps = (values: ContextValues): SessionBrokerProps => {
  const secs = (value: number | undefined) =>
    value === undefined ? undefined : Duration.seconds(value);
  const props: SessionBrokerProps = {
    secret: values.secretName,
    cap: values.cap,
    allowCapAboveTen: values.allowCapAboveTen,
    pools: values.pools?.map(({ secretName, ...pool }) => ({
      ...pool,
      ...(secretName ? { secret: secretName } : {}),
    })),
    upstreamBaseUrl: values.upstreamBaseUrl,
    leaseDefault: secs(values.leaseDefaultSeconds),
    leaseMax: secs(values.leaseMaxSeconds),
    sessionLifetime: secs(values.sessionLifetimeSeconds),
    rotationSchedule: Schedule.rate(
      Duration.minutes(values.rotationRateMinutes),
    ),
    leaseApiReservedConcurrency: values.leaseApiReservedConcurrency,
    leaseApiProvisionedConcurrency: values.leaseApiProvisionedConcurrency,
    rotationReservedConcurrency: values.rotationReservedConcurrency,
    logRetention: values.logRetentionDays as RetentionDays | undefined,
    logLevel: values.logLevel,
    removalPolicy: values.retainData
      ? RemovalPolicy.RETAIN
      : RemovalPolicy.DESTROY,
    deletionProtection: values.retainData,
    throttlingRateLimit: values.throttlingRateLimit,
    throttlingBurstLimit: values.throttlingBurstLimit,
    webAclArn: values.webAclArn,
    apiGatewayCloudWatchRole: values.apiGatewayCloudWatchRole,
  };
  // Leave unset keys out, so each prop's own default applies.
  return Object.fromEntries(
    Object.entries(props).filter(([, value]) => value !== undefined),
  ) as SessionBrokerProps;
};
