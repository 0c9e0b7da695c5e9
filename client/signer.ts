import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
} from '@smithy/types';

export interface SignerOptions {
  readonly region: string;
  /** @default the SDK's default chain: the Lambda role's credentials */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Injectable for tests. @default the system clock */
  readonly now?: () => Date;
}

export interface RequestToSign {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/**
 * Signs requests for API Gateway's IAM authorization (SigV4, service
 * `execute-api`). The body hash is signed too, so a body cannot be swapped
 * in transit.
 */
export class RequestSigner {
  readonly #signer: SignatureV4;
  readonly #now: () => Date;

  public constructor(options: SignerOptions) {
    this.#now = options.now ?? (() => new Date());
    this.#signer = new SignatureV4({
      service: 'execute-api',
      region: options.region,
      credentials: options.credentials ?? defaultProvider(),
      sha256: Sha256,
      applyChecksum: true,
    });
  }

  public async sign(request: RequestToSign): Promise<Record<string, string>> {
    const query: Record<string, string> = {};
    for (const [key, value] of request.url.searchParams) query[key] = value;
    const signed = await this.#signer.sign(
      new HttpRequest({
        method: request.method,
        protocol: request.url.protocol,
        hostname: request.url.hostname,
        ...(request.url.port ? { port: Number(request.url.port) } : {}),
        path: request.url.pathname,
        query,
        headers: { ...request.headers, host: request.url.host },
        ...(request.body === undefined ? {} : { body: request.body }),
      }),
      { signingDate: this.#now() },
    );
    return signed.headers;
  }
}

/** The region in an `execute-api` host name, if it is one. */
export const regionOfEndpoint = (url: URL): string | undefined =>
  /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname)?.[1];
