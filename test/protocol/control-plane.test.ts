import express from 'express';
import request from 'supertest';
import { createLogger } from '../../src/lib/logger.js';
import { AwsError, ecrError } from '../../src/model/errors.js';
import type { EcrHandlers, OperationContext } from '../../src/model/handlers.js';
import { loadModel } from '../../src/model/model.js';
import { createControlPlane } from '../../src/protocol/control-plane.js';

type Behaviour = (context: OperationContext, input: unknown) => Promise<unknown>;

/** The control plane alone, in front of one stand-in handler for every operation. */
function appWith(behaviour: Behaviour) {
  const handlers = new Proxy({}, { get: () => behaviour }) as EcrHandlers;
  const app = express();
  app.post(
    '/',
    createControlPlane({
      model: loadModel(),
      handlers,
      logger: createLogger('silent'),
      maxBodyBytes: 1024,
      defaultScope: () => ({ accountId: '000000000000', region: 'us-east-1' }),
    }),
  );
  return app;
}

async function call(app: ReturnType<typeof appWith>, operation: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await request(app)
    .post('/')
    .set('Content-Type', 'application/x-amz-json-1.1')
    .set('X-Amz-Target', `AmazonEC2ContainerRegistry_V20150921.${operation}`)
    .set(headers)
    .send(JSON.stringify(body));
  // supertest parses only application/json; the AWS content type is read here.
  return { status: response.status, headers: response.headers, body: JSON.parse(response.text) as unknown };
}

test('an unexpected failure in a handler is 500 ServerException, without its details', async () => {
  const app = appWith(async () => {
    throw new TypeError('secret internals: cannot read x of undefined');
  });
  const response = await call(app, 'DescribeRepositories', {});
  expect(response.status).toBe(500);
  expect(response.body).toEqual({ __type: 'ServerException', message: 'An internal error occurred' });
  expect(response.headers['x-amzn-errortype']).toBe('ServerException');
  expect(response.headers['x-amzn-requestid']).toEqual(expect.any(String));
});

test('a modeled error keeps its extra fields and status', async () => {
  const app = appWith(async () => {
    throw ecrError('LimitExceededException', 'too many', { detail: 'x' });
  });
  const response = await call(app, 'CreateRepository', { repositoryName: 'ok' });
  expect(response.status).toBe(400);
  expect(response.body).toEqual({ __type: 'LimitExceededException', message: 'too many', detail: 'x' });
});

test('a custom status on an AwsError is answered as given', async () => {
  const app = appWith(async () => {
    throw new AwsError('NotImplementedException', 'not yet', 501);
  });
  expect((await call(app, 'PutImage', { repositoryName: 'ok', imageManifest: '{}' })).status).toBe(501);
});

test('the handler gets the validated input and the caller scope, request id and host', async () => {
  const seen: Array<{ context: OperationContext; input: unknown }> = [];
  const app = appWith(async (context, input) => {
    seen.push({ context, input });
    return { when: new Date(1_700_000_000_500), nothing: undefined, list: [new Date(0)] };
  });
  const response = await call(app, 'DescribeRepositories', { maxResults: 5, registryId: null }, {
    Authorization: 'AWS4-HMAC-SHA256 Credential=123456789012/20240101/eu-west-1/ecr/aws4_request, SignedHeaders=host, Signature=x',
    Host: 'registry.example:5080',
  });
  expect(response.status).toBe(200);
  // Dates become epoch seconds; undefined members are left out.
  expect(response.body).toEqual({ when: 1_700_000_000.5, list: [0] });
  expect(seen).toHaveLength(1);
  expect(seen[0].input).toEqual({ maxResults: 5 });
  expect(seen[0].context.scope).toEqual({ accountId: '123456789012', region: 'eu-west-1' });
  // With IAM off the caller is its account's root; the access key it signed with is kept.
  expect(seen[0].context.principal).toEqual({ accountId: '123456789012', arn: 'arn:aws:iam::123456789012:root', accessKeyId: '123456789012' });
  expect(seen[0].context.host).toBe('registry.example:5080');
  expect(seen[0].context.requestId).toBe(response.headers['x-amzn-requestid']);
});

test('an access key that is not an account id means the default account, with the credential region', async () => {
  const scopes: OperationContext['scope'][] = [];
  const principals: OperationContext['principal'][] = [];
  const app = appWith(async (context) => {
    scopes.push(context.scope);
    principals.push(context.principal);
    return {};
  });
  await call(app, 'DescribeRepositories', {}, {
    Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/ap-south-2/ecr/aws4_request, SignedHeaders=host, Signature=x',
  });
  await call(app, 'DescribeRepositories', {}, { Authorization: 'Bearer something-else' });
  await call(app, 'DescribeRepositories', {});
  expect(scopes).toEqual([
    { accountId: '000000000000', region: 'ap-south-2' },
    { accountId: '000000000000', region: 'us-east-1' },
    { accountId: '000000000000', region: 'us-east-1' },
  ]);
  const root = 'arn:aws:iam::000000000000:root';
  expect(principals).toEqual([
    { accountId: '000000000000', arn: root, accessKeyId: 'AKIDEXAMPLE' },
    { accountId: '000000000000', arn: root },
    { accountId: '000000000000', arn: root },
  ]);
});

test('a handler is not called for input that fails validation', async () => {
  let calls = 0;
  const app = appWith(async () => {
    calls++;
    return {};
  });
  expect((await call(app, 'CreateRepository', { repositoryName: 'BAD' })).status).toBe(400);
  expect((await call(app, 'CreateRepository', { repositoryName: 7 })).status).toBe(400);
  expect(calls).toBe(0);
});
