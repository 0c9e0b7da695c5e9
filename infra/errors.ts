import type { IConstruct } from 'constructs';

/**
 * Props that cannot make a working broker, raised while the construct is
 * built so `cdk synth` fails before anything reaches AWS. `code` is stable;
 * `path` is the construct that refused them.
 */
export class SessionBrokerPropsError extends Error {
  /** Stable identifier for tests and tooling. */
  public readonly code = 'SESSION_BROKER_PROPS_INVALID';
  /** Construct path of the broker whose props were refused. */
  public readonly path: string;
  /** Each problem, one sentence apiece. */
  public readonly problems: readonly string[];

  public constructor(
    scope: IConstruct,
    problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      `${scope.node.path}: invalid SessionBroker props: ${problems.join('; ')}`,
      options,
    );
    this.name = new.target.name;
    this.path = scope.node.path;
    this.problems = problems;
  }
}
