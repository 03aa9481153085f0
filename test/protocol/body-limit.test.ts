import { request } from 'node:http';
import { CreateRepositoryCommand, DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { rawCall, startTestServer, type TestServer } from '../helpers/server.js';

const TARGET = 'AmazonEC2ContainerRegistry_V20150921.CreateRepository';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

/**
 * A POST through node:http, so the test controls framing: a declared Content-Length with
 * `send` bytes actually written, or chunked transfer (no length) when `declaredLength` is
 * undefined.
 */
function post(server: TestServer, send: Buffer, declaredLength?: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': TARGET };
    if (declaredLength !== undefined) headers['Content-Length'] = declaredLength;
    const req = request(`${server.endpoint}/`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        req.destroy();
      });
      res.on('error', reject);
    });
    // The server may answer and close before the whole body is written.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    if (declaredLength === undefined) {
      // Chunked: several writes, no Content-Length.
      for (let offset = 0; offset < send.length; offset += 16) req.write(send.subarray(offset, offset + 16));
      req.end();
    } else if (send.length) {
      req.write(send);
      if (send.length >= declaredLength) req.end();
    } else {
      req.flushHeaders();
    }
  });
}

function expectTooLarge(answer: Answer): void {
  expect(answer.status).toBe(413);
  expect(answer.json.__type).toBe('RequestEntityTooLargeException');
  expect(answer.json.message).toEqual(expect.any(String));
  expect(answer.headers['x-amzn-errortype']).toBe('RequestEntityTooLargeException');
  expect(answer.headers['x-amzn-requestid']).toEqual(expect.any(String));
}

const bodyOf = (repositoryName: string, padTo = 0): Buffer => {
  const base = { repositoryName, padding: '' };
  const size = Buffer.byteLength(JSON.stringify(base));
  return Buffer.from(JSON.stringify({ ...base, padding: 'x'.repeat(Math.max(0, padTo - size)) }));
};

async function names(server: TestServer): Promise<string[]> {
  const { repositories } = await server.client().send(new DescribeRepositoriesCommand({}));
  return (repositories ?? []).map((r) => r.repositoryName!).sort();
}

describe('a small maxBodyBytes', () => {
  const LIMIT = 256;
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ maxBodyBytes: LIMIT });
    await server.client().send(new CreateRepositoryCommand({ repositoryName: 'before' }));
  });
  afterAll(() => server.close());

  test('a body at the limit is served', async () => {
    const body = bodyOf('at-limit', LIMIT);
    expect(body.length).toBe(LIMIT);
    const answer = await post(server, body, body.length);
    expect(answer.status).toBe(200);
    expect(await names(server)).toContain('at-limit');
  });

  test('one byte over, with a Content-Length, is 413 and nothing is created', async () => {
    const body = bodyOf('one-over', LIMIT + 1);
    expectTooLarge(await post(server, body, body.length));
    expect(await names(server)).not.toContain('one-over');
  });

  test('over the limit without a Content-Length (chunked) is 413 and nothing is created', async () => {
    const body = bodyOf('chunked-over', LIMIT * 4);
    expectTooLarge(await post(server, body));
    expect(await names(server)).not.toContain('chunked-over');
  });

  test('a chunked body within the limit is served', async () => {
    const answer = await post(server, bodyOf('chunked-fine'));
    expect(answer.status).toBe(200);
    expect(await names(server)).toContain('chunked-fine');
  });

  test('the server keeps serving after refusing, and over fetch too', async () => {
    const before = await names(server);
    const refused = await rawCall(server.endpoint, 'CreateRepository', bodyOf('via-fetch', LIMIT * 10).toString('utf8'));
    expect(refused.status).toBe(413);
    expect(refused.json.__type).toBe('RequestEntityTooLargeException');
    expect(await names(server)).toEqual(before);
    await server.client().send(new CreateRepositoryCommand({ repositoryName: 'after' }));
    expect(await names(server)).toContain('after');
  });
});

describe('the default limit of 32 MiB', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  test('a declared Content-Length over 32 MiB is 413 before the body is read', async () => {
    const before = await names(server);
    // Only the headers are sent: the answer must come from the declared length alone.
    const answer = await post(server, Buffer.alloc(0), 32 * 1024 * 1024 + 1);
    expectTooLarge(answer);
    expect(await names(server)).toEqual(before);
    const { repository } = await server.client().send(new CreateRepositoryCommand({ repositoryName: 'still-serving' }));
    expect(repository?.repositoryName).toBe('still-serving');
  });

  test('an actual body over 32 MiB is 413 too', async () => {
    const body = bodyOf('huge', 32 * 1024 * 1024 + 1024);
    const answer = await post(server, body, body.length);
    expectTooLarge(answer);
    expect(await names(server)).not.toContain('huge');
  });
});
