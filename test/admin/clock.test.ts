// POST /_berth/clock moves Berth's notion of now for every time-based behaviour: here, the
// expiry of authorization tokens (12 hours on Berth's clock) and the push time of new images.
import { GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { createRepository, pushImage, uniqueName } from '../helpers/registry.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clockOffsetSeconds: -3600 });
});
afterAll(async () => {
  await server.close();
});

const clock = (body?: string, contentType = 'application/json') =>
  fetch(`${server.endpoint}/_berth/clock`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': contentType }, body });

test('the configured offset is reported, and POST sets a new one from the real time', async () => {
  const before = (await (await clock()).json()) as { offsetSeconds: number };
  expect(before.offsetSeconds).toBe(-3600);
  const set = await clock(JSON.stringify({ offsetSeconds: 7 * 86400 }));
  expect(set.status).toBe(200);
  const body = (await set.json()) as { offsetSeconds: number; now: string };
  expect(body.offsetSeconds).toBe(7 * 86400);
  expect(Math.abs(Date.parse(body.now) - (Date.now() + 7 * 86400 * 1000))).toBeLessThan(5000);

  const token = await server.client().send(new GetAuthorizationTokenCommand({}));
  const expiresIn = token.authorizationData![0].expiresAt!.getTime() - Date.now();
  expect(expiresIn).toBeGreaterThan((7 * 24 + 11) * 3600 * 1000);

  const name = uniqueName('clock');
  await createRepository(server, name);
  const image = await pushImage(server, name, { tag: 'v1' });
  const detail = (await server.client().send(new DescribeImagesCommand({ repositoryName: name }))).imageDetails![0];
  expect(detail.imageDigest).toBe(image.digest);
  expect(detail.imagePushedAt!.getTime() - Date.now()).toBeGreaterThan(7 * 86400 * 1000 - 60_000);
  await clock(JSON.stringify({ offsetSeconds: 0 }));
});

test.each([
  ['no offsetSeconds', '{}'],
  ['a string offset', '{"offsetSeconds":"10"}'],
  ['malformed JSON', '{"offsetSeconds":'],
  // Past what a Date can hold: the clock would read Invalid Date and every timed action fail.
  ['an offset beyond any date', '{"offsetSeconds":1e300}'],
  ['a negative offset beyond any date', '{"offsetSeconds":-1e300}'],
  ['an offset past the largest date', '{"offsetSeconds":8640000000000}'],
  ['an offset of more than 100 years', '{"offsetSeconds":3155760001}'],
])('%s is a 400 with a JSON message and the clock stays', async (_what, body) => {
  await clock(JSON.stringify({ offsetSeconds: 42 }));
  const response = await clock(body);
  expect(response.status).toBe(400);
  expect(((await response.json()) as { message: string }).message).toEqual(expect.any(String));
  expect(((await (await clock()).json()) as { offsetSeconds: number }).offsetSeconds).toBe(42);
});

test('the largest offsets accepted (100 years either way) still serve timed actions', async () => {
  for (const offsetSeconds of [3_155_760_000, -3_155_760_000]) {
    const set = await clock(JSON.stringify({ offsetSeconds }));
    expect(set.status).toBe(200);
    const token = await server.client().send(new GetAuthorizationTokenCommand({}));
    expect(Math.abs(token.authorizationData![0].expiresAt!.getTime() - (Date.now() + offsetSeconds * 1000))).toBeLessThan(13 * 3600 * 1000);
  }
  await clock(JSON.stringify({ offsetSeconds: 0 }));
});
