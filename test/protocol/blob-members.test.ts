import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { CompleteLayerUploadCommand, CreateRepositoryCommand, InitiateLayerUploadCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { seededRandom } from '../helpers/random.js';
import { uniqueName } from '../helpers/registry.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// UploadLayerPart's layerPartBlob is decoded from the body as it streams in, never held as one
// string. Whatever the body, the answer must be the one JSON.parse of the whole body and
// Buffer.from(layerPartBlob, 'base64') give: the same bytes stored, the same refusals. Each case
// is sent in pieces of random sizes, with a Content-Length and chunked.

let server: TestServer;
let client: ECRClient;
beforeAll(async () => {
  server = await startTestServer();
  client = server.client();
});
afterAll(() => server.close());

const random = seededRandom(11);
const bytesOf = (length: number) => Buffer.from(Array.from({ length }, () => random.int(256)));
const LARGE = bytesOf(200_000);
const SMALL = bytesOf(1000);
const b64 = (bytes: Buffer) => bytes.toString('base64');

/** What JSON.parse and Buffer.from make of a body: the part's bytes, or a SerializationException. */
function reference(body: string): Buffer | 'SerializationException' {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return 'SerializationException';
  }
  const blob = (value as Record<string, unknown> | null)?.layerPartBlob;
  return typeof blob === 'string' ? Buffer.from(blob, 'base64') : 'SerializationException';
}

/** Where a case's part goes: a repository of its own (the same bytes pushed twice would be LayerAlreadyExists). */
interface Session {
  repositoryName: string;
  uploadId: string;
}

/** The members besides the blob, for a part of `length` bytes. */
const members = ({ repositoryName, uploadId }: Session, length: number) =>
  `"repositoryName":"${repositoryName}","uploadId":"${uploadId}","partFirstByte":0,"partLastByte":${length - 1}`;
/** A body whose blob is `blobJson`, raw JSON (quotes included), so that escapes can be written out. */
const plain = (blobJson: string) => (session: Session, length: number) => `{"layerPartBlob":${blobJson},${members(session, length)}}`;

/** Each case: a body for a session and a part length (taken from the reference, so a sound body is accepted). */
const CASES: Array<[string, (session: Session, length: number) => string]> = [
  ['plain base64', plain(JSON.stringify(b64(LARGE)))],
  ['plain base64 of a small part, one "=" of padding', plain(JSON.stringify(b64(SMALL.subarray(0, 998))))],
  ['base64 without its padding', plain(JSON.stringify(b64(SMALL.subarray(0, 997)).replace(/=+$/, '')))],
  ['the blob last, other members first', (id, length) => `{${members(id, length)},"layerPartBlob":${JSON.stringify(b64(LARGE))}}`],
  ['pretty-printed', (id, length) => JSON.stringify({ layerPartBlob: b64(SMALL), ...id, partFirstByte: 0, partLastByte: length - 1 }, null, 2)],
  ['lines of 76 characters (escaped newlines)', plain(JSON.stringify(b64(LARGE).replace(/.{76}/g, '$&\r\n')))],
  ['spaces inside', plain(JSON.stringify(b64(SMALL).replace(/.{10}/g, '$& ')))],
  ['the URL-safe alphabet', plain(JSON.stringify(LARGE.toString('base64url')))],
  ['"/" written as "\\/"', plain(`"${b64(LARGE).replaceAll('/', '\\/')}"`)],
  ['a letter written as \\u0041', plain(`"\\u0041${b64(SMALL).slice(1)}"`)],
  ['padding in the middle', plain(JSON.stringify(b64(SMALL.subarray(0, 10)) + b64(SMALL.subarray(10))))],
  // Late in a large blob, what is not plain base64 comes after much was decoded on the side.
  ['a space near the end of a large blob', plain(JSON.stringify(`${b64(LARGE).slice(0, -10)} ${b64(LARGE).slice(-10)}`))],
  ['padding late in the middle of a large blob', plain(JSON.stringify(b64(LARGE.subarray(0, 150_001)) + b64(LARGE.subarray(150_001))))],
  ['one "\\/" near the end of a large blob', plain(`"${b64(LARGE).slice(0, 250_000)}${b64(LARGE).slice(250_000).replaceAll('/', '\\/')}"`)],
  ['a character outside ASCII inside', plain(JSON.stringify(`${b64(SMALL).slice(0, 100)}é${b64(SMALL).slice(100)}`))],
  ['layerPartBlob twice: the last counts', (id, length) => `{"layerPartBlob":"${b64(SMALL)}",${members(id, length)},"layerPartBlob":"${b64(LARGE)}"}`],
  ['layerPartBlob twice, the last a number', (id, length) => `{"layerPartBlob":"${b64(SMALL)}",${members(id, length)},"layerPartBlob":5}`],
  ['layerPartBlob twice, the last refused as text', (id, length) => `{"layerPartBlob":"${b64(SMALL)}",${members(id, length)},"layerPartBlob":"QQ==QQ=="}`],
  ['a layerPartBlob nested in another member too', (id, length) => `{"other":{"layerPartBlob":"${b64(SMALL)}"},"layerPartBlob":"${b64(LARGE)}",${members(id, length)}}`],
  ['a raw newline inside the blob', plain(`"${b64(SMALL).slice(0, 50)}\n${b64(SMALL).slice(50)}"`)],
  ['a blob that never closes', (id, length) => `{${members(id, length)},"layerPartBlob":"${b64(LARGE)}`],
  ['something after the object', (id, length) => `${plain(JSON.stringify(b64(SMALL)))(id, length)} x`],
  ['a second object after the first', (id, length) => `${plain(JSON.stringify(b64(SMALL)))(id, length)}{}`],
  ['an array at the top', (id, length) => `[${plain(JSON.stringify(b64(SMALL)))(id, length)}]`],
  ['a quote escaped at the end of the blob', plain(`"${b64(SMALL)}\\"`)],
  ['a byte-order mark first', (id, length) => `\ufeff${plain(JSON.stringify(b64(SMALL)))(id, length)}`],
];

/** POSTs `body` to UploadLayerPart in pieces; with `chunked`, without a Content-Length. */
function post(body: Buffer, chunked: boolean): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'AmazonEC2ContainerRegistry_V20150921.UploadLayerPart',
    };
    if (!chunked) headers['Content-Length'] = body.length;
    const req = request(`${server.endpoint}/`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (let at = 0; at < body.length; ) {
      const size = 1 + random.int(random.pick([10, 1000, 70_000]));
      req.write(body.subarray(at, at + size));
      at += size;
    }
    req.end();
  });
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe.each([
  ['with a Content-Length', false],
  ['chunked', true],
])('UploadLayerPart bodies sent %s', (_, chunked) => {
  test.each(CASES)('%s: answered as JSON.parse and Buffer.from would', async (_name, build) => {
    const repositoryName = uniqueName('protocol/blob-members');
    await client.send(new CreateRepositoryCommand({ repositoryName }));
    const { uploadId } = await client.send(new InitiateLayerUploadCommand({ repositoryName }));
    const session = { repositoryName, uploadId: uploadId! };
    // The part length written into the body must be the one its blob decodes to: found in two passes.
    const expected = reference(build(session, 1));
    const length = expected === 'SerializationException' ? 1 : expected.length;
    const body = build(session, length);
    const answer = await post(Buffer.from(body, 'utf8'), chunked);
    if (expected === 'SerializationException') {
      expect({ status: answer.status, type: answer.json.__type }).toEqual({ status: 400, type: 'SerializationException' });
      return;
    }
    expect(reference(body)).toEqual(expected);
    expect({ status: answer.status, lastByteReceived: answer.json.lastByteReceived }).toEqual({ status: 200, lastByteReceived: expected.length - 1 });
    const { layerDigest } = await client.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256(expected)] }));
    expect(layerDigest).toBe(sha256(expected));
  });
});
