import { createHash, createHmac } from 'node:crypto';
import { RequestSigner, regionOfEndpoint } from '../../client/signer';

// The example credentials and time from the AWS SigV4 documentation.
const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const signingDate = new Date('2015-08-30T12:36:00Z');

const sha256 = (text: string): string =>
  createHash('sha256').update(text).digest('hex');
const hmac = (key: string | Buffer, text: string): Buffer =>
  createHmac('sha256', key).update(text).digest();

/** SigV4 written out step by step from the AWS documentation. */
const referenceSignature = (request: {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  region: string;
}): { signedHeaders: string; signature: string } => {
  const names = Object.keys(request.headers)
    .map((name) => name.toLowerCase())
    .sort();
  const lower = Object.fromEntries(
    Object.entries(request.headers).map(([k, v]) => [
      k.toLowerCase(),
      v.trim(),
    ]),
  );
  const canonicalRequest = [
    request.method,
    request.path,
    '',
    ...names.map((name) => `${name}:${lower[name]}`),
    '',
    names.join(';'),
    sha256(request.body),
  ].join('\n');
  const scope = `20150830/${request.region}/execute-api/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    '20150830T123600Z',
    scope,
    sha256(canonicalRequest),
  ].join('\n');
  const key = hmac(
    hmac(
      hmac(
        hmac(`AWS4${credentials.secretAccessKey}`, '20150830'),
        request.region,
      ),
      'execute-api',
    ),
    'aws4_request',
  );
  return {
    signedHeaders: names.join(';'),
    signature: createHmac('sha256', key).update(stringToSign).digest('hex'),
  };
};

describe('Class: RequestSigner', () => {
  it('signs exactly as the documented SigV4 algorithm does', async () => {
    // Prepare
    const signer = new RequestSigner({
      region: 'eu-west-1',
      credentials,
      now: () => signingDate,
    });
    const url = new URL(
      'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/v1/pools/default/leases',
    );
    const body = '{"holder":"report","waitSeconds":5}';

    // Act
    const headers = await signer.sign({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      body,
    });

    // Assess
    const expected = referenceSignature({
      method: 'POST',
      path: url.pathname,
      headers: {
        'content-type': 'application/json',
        host: url.host,
        'x-amz-content-sha256': sha256(body),
        'x-amz-date': '20150830T123600Z',
      },
      body,
      region: 'eu-west-1',
    });
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/execute-api/aws4_request, SignedHeaders=${expected.signedHeaders}, Signature=${expected.signature}`,
    );
  });

  it('signs a changed body differently', async () => {
    const signer = new RequestSigner({
      region: 'eu-west-1',
      credentials,
      now: () => signingDate,
    });
    const url = new URL(
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod/v1/pools/p/leases',
    );
    const sign = (body: string) =>
      signer
        .sign({ method: 'POST', url, headers: {}, body })
        .then((h) => h.authorization);

    expect(await sign('{"leaseSeconds":60}')).not.toBe(
      await sign('{"leaseSeconds":61}'),
    );
  });
});

describe('Function: regionOfEndpoint', () => {
  it.each([
    ['https://abc.execute-api.us-east-2.amazonaws.com/prod', 'us-east-2'],
    ['https://broker.example.com', undefined],
  ])('reads the region of %s', (url, region) => {
    expect(regionOfEndpoint(new URL(url))).toBe(region);
  });
});
