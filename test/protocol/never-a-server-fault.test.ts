import { operationNames } from '../../src/model/generated/operations.js';
import { generateInput, rngFor } from '../helpers/model-inputs.js';
import { rawCall, startTestServer, type TestServer } from '../helpers/server.js';

// Client input never causes a server fault: for every operation, inputs built from the model
// (well-formed, subtly wrong and plainly wrong) get a 2xx, a 4xx, or the 501 of an operation not
// built yet; never a 500.

const REQUESTS_PER_OPERATION = 25;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

test.each([...operationNames])('%s: generated input never yields a server fault', async (operation) => {
  const random = rngFor(operation);
  const seen = new Set<number>();
  for (let i = 0; i < REQUESTS_PER_OPERATION; i++) {
    const input = generateInput(operation, random);
    const { status, json, headers } = await rawCall(server.endpoint, operation, JSON.stringify(input));
    if (status >= 500 && status !== 501) throw new Error(`${operation} answered ${status} to ${JSON.stringify(input)}: ${JSON.stringify(json)}`);
    if (status >= 400) {
      expect(typeof json.__type).toBe('string');
      expect(headers.get('x-amzn-errortype')).toBe(json.__type);
    }
    seen.add(status);
  }
  expect(seen.size).toBeGreaterThan(0);
});
