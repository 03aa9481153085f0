import * as ecr from '@aws-sdk/client-ecr';
import { operationNames } from '../../src/model/generated/operations.js';
import { rawCall, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

test.each([...operationNames])('%s is routed to its handler', async (operation) => {
  const { status, json, headers } = await rawCall(server.endpoint, operation, '{}');
  // Whatever the operation answers to an empty input (a result, a validation error, a
  // not-found, or "not built yet"), it is never unknown and never a server fault.
  expect(json.__type).not.toBe('UnknownOperationException');
  expect(json.__type).not.toBe('ServerException');
  expect(status).not.toBe(500);
  expect(headers.get('x-amzn-requestid')).toBeTruthy();
});

test('every SDK command reaches the server as a known operation', async () => {
  const client = server.client();
  const commands = Object.entries(ecr).filter(([name]) => /^[A-Z]\w+Command$/.test(name));
  expect(commands).toHaveLength(62);
  for (const [, Command] of commands) {
    const CommandClass = Command as new (input: object) => Parameters<typeof client.send>[0];
    const error = await client.send(new CommandClass({})).then(
      () => undefined,
      (e: Error) => e,
    );
    if (error) expect(error.name).not.toMatch(/UnknownOperation|ServerException/);
  }
});
