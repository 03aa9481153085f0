import { createHash, randomBytes } from 'node:crypto';
import { CompleteLayerUploadCommand, CreateRepositoryCommand, InitiateLayerUploadCommand, UploadLayerPartCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { sendPartAndHangUp } from '../helpers/hang-up.js';
import { captureLogs, LEVEL, waitForLine, type LogLine } from '../helpers/logs.js';
import { uniqueName } from '../helpers/registry.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// A client that leaves mid-request is not a fault of the server's: a debug line, no error with
// a stack, and the server carries on. One that was sending a layer part is an aborted upload
// (info). The registry's aborted uploads are in test/registry/aborted-upload-log.test.ts.

const { logger, lines } = captureLogs('debug');
let server: TestServer;
let client: ECRClient;
beforeAll(async () => {
  server = await startTestServer({}, logger);
  client = server.client();
});
afterAll(() => server.close());
beforeEach(() => {
  lines.length = 0;
});

const CLIENT_LEFT = 'client left before the end of the request';
const UPLOAD_ABORTED = 'upload aborted: the client left before the end of the request body';
const apiHeaders = (operation: string, contentLength: number) => ({
  'Content-Type': 'application/x-amz-json-1.1',
  'X-Amz-Target': `AmazonEC2ContainerRegistry_V20150921.${operation}`,
  'Content-Length': contentLength,
});

/** The server still answers, and nothing was logged at warn or above. */
async function expectHealthyAndQuiet(): Promise<void> {
  expect((await fetch(`${server.endpoint}/_berth/health`)).status).toBe(200);
  expect(lines.filter((line) => line.level >= LEVEL.warn)).toEqual([]);
}

const withMessage = (message: string) => (line: LogLine) => line.msg === message;

test('an API call whose client leaves mid-body is one debug line, and the server carries on', async () => {
  const partialBody = Buffer.from('{"repositoryName":"left-half');
  await sendPartAndHangUp(server.endpoint, { method: 'POST', path: '/', headers: apiHeaders('CreateRepository', 1000), partialBody });
  const line = await waitForLine(lines, withMessage(CLIENT_LEFT));
  expect(line).toMatchObject({ level: LEVEL.debug, operation: 'CreateRepository' });
  await expectHealthyAndQuiet();
  expect(lines.filter(withMessage(CLIENT_LEFT))).toHaveLength(1);
});

test('a /v2 request whose client leaves mid-body is one debug line, and the server carries on', async () => {
  const repositoryName = uniqueName('gone/manifest');
  await client.send(new CreateRepositoryCommand({ repositoryName }));
  const partialBody = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"');
  await sendPartAndHangUp(server.endpoint, {
    method: 'PUT',
    path: `/v2/${repositoryName}/manifests/latest`,
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Content-Length': 1000 },
    partialBody,
  });
  const line = await waitForLine(lines, withMessage(CLIENT_LEFT));
  expect(line).toMatchObject({ level: LEVEL.debug, method: 'PUT', url: `/v2/${repositoryName}/manifests/latest` });
  await expectHealthyAndQuiet();
  expect(lines.filter(withMessage(CLIENT_LEFT))).toHaveLength(1);
});

test('UploadLayerPart cut off is one info line with the bytes received, and the upload carries on', async () => {
  const repositoryName = uniqueName('gone/layer');
  await client.send(new CreateRepositoryCommand({ repositoryName }));
  const { uploadId } = await client.send(new InitiateLayerUploadCommand({ repositoryName }));
  const part = randomBytes(300_000);
  // The members the log can name come first here; the SDK sends layerPartBlob first.
  const body = Buffer.from(
    JSON.stringify({ uploadId, repositoryName, partFirstByte: 0, partLastByte: part.length - 1, layerPartBlob: part.toString('base64') }),
  );
  const partialBody = body.subarray(0, 200_000);
  await sendPartAndHangUp(server.endpoint, { method: 'POST', path: '/', headers: apiHeaders('UploadLayerPart', body.length), partialBody });
  const line = await waitForLine(lines, withMessage(UPLOAD_ABORTED));
  expect(line).toMatchObject({ level: LEVEL.info, operation: 'UploadLayerPart', bytesReceived: partialBody.length, input: { uploadId, repositoryName } });
  await expectHealthyAndQuiet();
  expect(lines.filter((entry) => entry.msg === UPLOAD_ABORTED || entry.msg === CLIENT_LEFT)).toHaveLength(1);

  // Nothing of the cut part was stored: the whole part goes again from byte 0.
  const sent = await client.send(
    new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 0, partLastByte: part.length - 1, layerPartBlob: part }),
  );
  expect(sent.lastByteReceived).toBe(part.length - 1);
  const digest = `sha256:${createHash('sha256').update(part).digest('hex')}`;
  const { layerDigest } = await client.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digest] }));
  expect(layerDigest).toBe(digest);
});
