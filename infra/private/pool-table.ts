import { type RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Effect, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * Item attribute DynamoDB's TTL deletes by. It only collects garbage: TTL
 * deletes days late, so no lease or session is ever decided by it.
 */
export const TTL_ATTRIBUTE = 'ttl';

/** The pool table's item operations, named so grants stay exact. */
export type PoolTableAction = 'GetItem' | 'PutItem' | 'UpdateItem';

export interface PoolTableProps {
  /** What happens to the table and its key when they leave the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** DynamoDB deletion protection. */
  readonly deletionProtection: boolean;
}

/**
 * One item per pool, keyed by `pool`, encrypted with a key of its own.
 * Every cap-keeping write is a conditional `UpdateItem` on that one item.
 */
export class PoolTable extends Construct {
  public readonly table: Table;
  public readonly key: Key;

  public constructor(scope: Construct, id: string, props: PoolTableProps) {
    super(scope, id);

    this.key = new Key(this, 'Key', {
      description: 'Encrypts the session broker pool table',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });

    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pool', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });
  }

  /**
   * Grants exactly the given item operations on the table, and the use of
   * its key through DynamoDB.
   */
  public grantItems(
    grantee: IGrantable,
    actions: readonly PoolTableAction[],
  ): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: actions.map((action) => `dynamodb:${action}`),
        resources: [this.table.tableArn],
      }),
    );
    const stack = Stack.of(this);
    // DynamoDB decrypts the table key with the caller's credentials when
    // its per-principal cache is cold; items are then encrypted and
    // decrypted with that table key inside DynamoDB, so Decrypt is the
    // only KMS call made on the caller's behalf.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': `dynamodb.${stack.region}.${stack.urlSuffix}`,
          },
        },
      }),
    );
  }
}
