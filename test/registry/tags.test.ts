import { startTestServer, type TestServer } from '../helpers/server.js';
import { createRepository, expectOciError, pushImage, putManifest, uniqueName, v2 } from '../helpers/registry.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

interface TagList {
  name: string;
  tags: string[];
}

/** A repository whose tags are e, c, a, d, b (pushed out of order) on two images, plus an untagged one. */
async function taggedRepository(prefix = 'tags'): Promise<string> {
  const name = await createRepository(server, uniqueName(prefix));
  const first = await pushImage(server, name, { tag: 'e' });
  const second = await pushImage(server, name, { tag: 'c' });
  for (const [tag, image] of [['a', first], ['d', second], ['b', first]] as const) {
    expect((await putManifest(server, name, tag, image.manifest, image.mediaType)).status).toBe(201);
  }
  await pushImage(server, name, {});
  return name;
}

test('tags/list: every tag, in lexical order, untagged images left out, no Link', async () => {
  const name = await taggedRepository();
  const reply = await v2(server, 'GET', `/v2/${name}/tags/list`);
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  expect(reply.json<TagList>()).toEqual({ name, tags: ['a', 'b', 'c', 'd', 'e'] });
  expect(reply.headers.get('link')).toBeNull();
});

test('n pages, with a Link to the next page until the last one', async () => {
  const name = await taggedRepository();
  const first = await v2(server, 'GET', `/v2/${name}/tags/list?n=2`);
  expect(first.json<TagList>()).toEqual({ name, tags: ['a', 'b'] });
  expect(first.headers.get('link')).toBe(`</v2/${name}/tags/list?n=2&last=b>; rel="next"`);

  const pages: string[][] = [first.json<TagList>().tags];
  let link = first.headers.get('link');
  while (link) {
    const next = /^<([^>]+)>; rel="next"$/.exec(link)![1];
    const reply = await v2(server, 'GET', next);
    expect(reply.status).toBe(200);
    pages.push(reply.json<TagList>().tags);
    link = reply.headers.get('link');
  }
  expect(pages).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
});

test('last starts after the given tag (which need not exist); n equal to what is left has no Link', async () => {
  const name = await taggedRepository();
  const afterB = await v2(server, 'GET', `/v2/${name}/tags/list?last=b`);
  expect(afterB.json<TagList>().tags).toEqual(['c', 'd', 'e']);

  const afterBb = await v2(server, 'GET', `/v2/${name}/tags/list?n=3&last=bb`);
  expect(afterBb.json<TagList>().tags).toEqual(['c', 'd', 'e']);
  expect(afterBb.headers.get('link')).toBeNull();

  const afterAll = await v2(server, 'GET', `/v2/${name}/tags/list?n=10&last=e`);
  expect(afterAll.json<TagList>()).toEqual({ name, tags: [] });

  const none = await v2(server, 'GET', `/v2/${name}/tags/list?n=0`);
  expect(none.json<TagList>()).toEqual({ name, tags: [] });
  expect(none.headers.get('link')).toBeNull();
});

test('an n that is not a count: 400', async () => {
  const name = await taggedRepository();
  for (const n of ['-1', 'two', '1.5']) {
    expect((await v2(server, 'GET', `/v2/${name}/tags/list?n=${n}`)).status).toBe(400);
  }
});

test('a tag deleted through the registry leaves the list', async () => {
  const name = await taggedRepository();
  expect((await v2(server, 'DELETE', `/v2/${name}/manifests/c`)).status).toBe(202);
  expect((await v2(server, 'GET', `/v2/${name}/tags/list`)).json<TagList>().tags).toEqual(['a', 'b', 'd', 'e']);
});

test('a nested repository name; one repository whose name prefixes another does not see its tags', async () => {
  const name = await createRepository(server, `team/${uniqueName('svc')}`);
  const longer = await createRepository(server, `${name}-extra`);
  const nested = await createRepository(server, `${name}/sub`);
  await pushImage(server, name, { tag: 'v1' });
  await pushImage(server, longer, { tag: 'other' });
  await pushImage(server, nested, { tag: 'deeper' });
  const reply = await v2(server, 'GET', `/v2/${name}/tags/list`);
  expect(reply.json<TagList>()).toEqual({ name, tags: ['v1'] });
  expect((await v2(server, 'GET', `/v2/${nested}/tags/list`)).json<TagList>()).toEqual({ name: nested, tags: ['deeper'] });
});

test('a repository that does not exist: 404 NAME_UNKNOWN', async () => {
  const name = uniqueName('tags-absent');
  expectOciError(
    await v2(server, 'GET', `/v2/${name}/tags/list`),
    404,
    'NAME_UNKNOWN',
    `The repository with name '${name}' does not exist in the registry with id '000000000000'`,
  );
});
