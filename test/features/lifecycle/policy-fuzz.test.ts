// Seeded fuzzing of the lifecycle API's inputs through the AWS SDK against a real server: valid
// policies mutated field by field (dropped, duplicated, retyped, huge, negative, fractional,
// null, nested, unicode, deeply nested, oversize) and garbage preview / storage-class inputs.
// Every answer must be a success or a 400 the caller can act on (InvalidParameterException,
// ValidationException, or for raw wire garbage SerializationException), never a 500, and a
// refused call must leave what is stored exactly as it was.
import {
  DescribeImagesCommand,
  GetLifecyclePolicyCommand,
  GetLifecyclePolicyPreviewCommand,
  PutLifecyclePolicyCommand,
  StartLifecyclePolicyPreviewCommand,
  UpdateImageStorageClassCommand,
  type ECRClient,
  type GetLifecyclePolicyPreviewCommandOutput,
  type ImageIdentifier,
} from '@aws-sdk/client-ecr';
import { createRepository, pushImage, uniqueName, type PushedImage } from '../../helpers/registry.js';
import { rawCall, startTestServer, type TestServer } from '../../helpers/server.js';
import { seededRandom, type Random } from '../../helpers/random.js';

const SEED = 0x5eed_2025;
const POLICY_CASES = 260;

let server: TestServer;
let client: ECRClient;

beforeAll(async () => {
  server = await startTestServer({ lifecycleIntervalMs: 0 });
  client = server.client();
});
afterAll(async () => {
  await server.close();
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const VALID_POLICIES: Json[] = [
  {
    rules: [
      {
        rulePriority: 1,
        description: 'keep 3 prod',
        selection: { tagStatus: 'tagged', tagPrefixList: ['prod', 'release'], countType: 'imageCountMoreThan', countNumber: 3 },
        action: { type: 'expire' },
      },
      {
        rulePriority: 2,
        selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
        action: { type: 'expire' },
      },
      { rulePriority: 9, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 20 }, action: { type: 'expire' } },
    ],
  },
  {
    rules: [
      {
        rulePriority: 5,
        selection: { tagStatus: 'tagged', tagPatternList: ['beta*', '*-rc*'], countType: 'sinceImagePulled', countUnit: 'days', countNumber: 30 },
        action: { type: 'transition', targetStorageClass: 'archive' },
      },
      {
        rulePriority: 10,
        selection: { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 90 },
        action: { type: 'expire' },
      },
    ],
  },
  {
    rules: [
      {
        rulePriority: 1,
        description: 'untagged, one kept',
        selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 },
        action: { type: 'expire' },
      },
    ],
  },
];

const JUNK: Json[] = [
  null,
  true,
  false,
  0,
  -1,
  -0,
  1.5,
  2 ** 31,
  2 ** 53,
  1e300,
  -1e300,
  '',
  '1',
  'days',
  'tagged',
  'expire',
  'ARCHIVE',
  'ünïcødé-标签-🚢',
  '\u0000\u200b\ud7ff',
  '*'.repeat(9),
  [],
  [null],
  ['prod', 'prod'],
  [1, 2],
  {},
  { rules: [] },
  { type: 'expire', extra: { deep: [1, { x: null }] } },
];

const clone = (value: Json): Json => JSON.parse(JSON.stringify(value)) as Json;

/** Every container (object or array) in the document, with the keys it holds. */
function containers(value: Json, found: Array<{ [key: string]: Json } | Json[]> = []): Array<{ [key: string]: Json } | Json[]> {
  if (value !== null && typeof value === 'object') {
    found.push(value);
    for (const child of Array.isArray(value) ? value : Object.values(value)) containers(child, found);
  }
  return found;
}

function junk(random: Random): Json {
  const roll = random.int(10);
  if (roll === 0) {
    // Deep nesting: arrays or objects hundreds of levels down.
    let nested: Json = random.pick(JUNK);
    const depth = 50 + random.int(800);
    for (let i = 0; i < depth; i++) nested = random.next() < 0.5 ? [nested] : { k: nested };
    return nested;
  }
  if (roll === 1) return String.fromCodePoint(...Array.from({ length: 1 + random.int(20) }, () => random.int(0x2ffff)).filter((c) => c < 0xd800 || c > 0xdfff));
  return clone(random.pick(JUNK));
}

/** One structural mutation somewhere in the document (in place). */
function mutateOnce(document: Json, random: Random): void {
  const target = random.pick(containers(document));
  const keys: Array<string | number> = Array.isArray(target) ? target.map((_, i) => i) : Object.keys(target);
  const key = keys.length ? random.pick(keys) : undefined;
  const get = (k: string | number): Json => (target as Record<string | number, Json>)[k];
  const set = (k: string | number, value: Json): void => {
    (target as Record<string | number, Json>)[k] = value;
  };
  switch (random.int(7)) {
    case 0: // drop a field / element
      if (key === undefined) return;
      if (Array.isArray(target)) target.splice(key as number, 1);
      else delete target[key as string];
      return;
    case 1: // duplicate: an array element twice, or a field copied under a sibling's name
      if (key === undefined) return;
      if (Array.isArray(target)) target.push(clone(get(key)));
      else set(random.pick(['rulePriority', 'selection', 'action', 'tagStatus', 'countType', 'type', 'rules', String(key)]), clone(get(key)));
      return;
    case 2: // retype / replace with junk
      if (key === undefined) return;
      set(key, junk(random));
      return;
    case 3: // numbers: huge, negative, fractional, zero, off-by-one
      if (key === undefined) return;
      set(key, random.pick([0, -1, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 1e21, 1e308, 0.5, 89, 90, 91, Number.MAX_SAFE_INTEGER + 2]));
      return;
    case 4: // unknown field
      if (Array.isArray(target)) target.push(junk(random));
      else set(random.pick(['extra', 'Tagstatus', 'rulepriority', '__proto__', 'constructor', 'storageclass', '']), junk(random));
      return;
    case 5: // a rule copied (duplicate priorities, two untagged rules, an any rule not last, ...)
      {
        const rules = (document as { rules?: Json }).rules;
        if (Array.isArray(rules) && rules.length) rules.splice(random.int(rules.length + 1), 0, clone(random.pick(rules)));
      }
      return;
    default: // strings: enum values swapped, case changed, unicode
      if (key === undefined) return;
      {
        const value = get(key);
        if (typeof value === 'string') set(key, random.pick([value.toUpperCase(), `${value} `, `${value}\u0301`, 'any', 'archive', 'standard', 'transition', 'sinceImageTransitioned', 'imageCountMoreThan']));
        else set(key, junk(random));
      }
  }
}

/** Changes that may keep the policy valid: big, small and odd values where numbers and text go. */
function mutateValues(document: Json, random: Random): void {
  const rules = (document as { rules: Array<{ rulePriority: number; description?: string; selection: { countNumber: number } }> }).rules;
  const rule = random.pick(rules);
  switch (random.int(3)) {
    case 0:
      rule.selection.countNumber = random.pick([1, 90, 2 ** 31 - 1, 2 ** 31, 1e15, 1e21, 1e300]);
      return;
    case 1:
      // Scaled so the rules keep their order (an `any` rule stays last).
      for (const each of rules) each.rulePriority = each.rulePriority * random.pick([1, 1000, 2 ** 27, 2 ** 31, 1e20]);
      return;
    default:
      rule.description = random.pick(['', 'ünïcødé 标签 🚢', '\u0000', 'x'.repeat(20_000), '"quoted" \\ back']);
  }
}

/** A policy text: a valid one mutated 1-4 times, sometimes then damaged as text. */
function mutatedPolicy(random: Random): string {
  const document = clone(random.pick(VALID_POLICIES));
  if (random.next() < 0.25) {
    mutateValues(document, random);
    return JSON.stringify(document);
  }
  const mutations = 1 + random.int(4);
  for (let i = 0; i < mutations; i++) mutateOnce(document, random);
  let text = JSON.stringify(document);
  switch (random.int(12)) {
    case 0: // truncated
      text = text.slice(0, Math.max(0, text.length - 1 - random.int(20)));
      break;
    case 1: // oversize (past 30,720 characters) through a long description
      text = text.replace(/^\{/, `{"rules":[{"rulePriority":1,"description":"${'x'.repeat(30_800)}","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}],"_":`) + '}';
      break;
    case 2: // duplicate keys in the text itself
      text = text.replace(/"rulePriority":/, '"rulePriority":7,"rulePriority":');
      break;
    case 3: // not an object at all
      text = random.pick(['[]', 'null', '"rules"', '1e999', '{"rules":{}}', `${'['.repeat(5000)}${']'.repeat(5000)}`, `{"rules":${'['.repeat(10_000)}`]);
      break;
    case 4: // a bare number in place of the text, padded past the model's minimum length
      text = `${' '.repeat(100)}${random.pick(['1', '-0', '1e400', 'true'])}`;
      break;
    default:
  }
  return text;
}

type Answer = { ok: true } | { ok: false; name: string; status: number | undefined; message: string };

async function answer(call: Promise<unknown>): Promise<Answer> {
  try {
    await call;
    return { ok: true };
  } catch (error) {
    const failure = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { ok: false, name: failure.name, status: failure.$metadata?.httpStatusCode, message: failure.message };
  }
}

const CLIENT_ERRORS = ['InvalidParameterException', 'ValidationException'];

/** Matches one of the error names exactly. */
const oneOf = (names: string[]) => expect.stringMatching(new RegExp(`^(?:${names.join('|')})$`));

function expectSuccessOrClientError(result: Answer, what: string, allowed: string[] = CLIENT_ERRORS): void {
  if (result.ok) return;
  // The case goes in the assertion's value so a failure names it.
  expect({ what, name: result.name, status: result.status }).toEqual({ what, name: oneOf(allowed), status: 400 });
}

/** Polls until the repository's preview is no longer IN_PROGRESS. */
async function settledPreview(repositoryName: string): Promise<GetLifecyclePolicyPreviewCommandOutput> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const preview = await client.send(new GetLifecyclePolicyPreviewCommand({ repositoryName }));
    if (preview.status !== 'IN_PROGRESS') return preview;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`preview of ${repositoryName} never finished`);
}

async function storedPolicy(repositoryName: string): Promise<string | undefined> {
  const result = await client.send(new GetLifecyclePolicyCommand({ repositoryName })).catch((error: Error) => {
    if (error.name === 'LifecyclePolicyNotFoundException') return undefined;
    throw error;
  });
  return result?.lifecyclePolicyText;
}

async function repositoryWithImages(prefix: string): Promise<{ name: string; images: PushedImage[] }> {
  const name = await createRepository(server, uniqueName(prefix));
  const images: PushedImage[] = [];
  for (const tag of ['prod-1', 'release-2', 'beta-3', 'x-rc1', undefined, undefined]) {
    images.push(await pushImage(server, name, { tag, seed: `${name}-${tag ?? images.length}`, layerCount: 1 }));
  }
  return { name, images };
}

test('mutated policies: PutLifecyclePolicy and StartLifecyclePolicyPreview answer success or a 400, and a refusal changes nothing', async () => {
  const random = seededRandom(SEED);
  const putTarget = await createRepository(server, uniqueName('fuzz-put'));
  const previewTarget = (await repositoryWithImages('fuzz-preview')).name;
  let expectedPolicy = JSON.stringify(VALID_POLICIES[0]);
  await client.send(new PutLifecyclePolicyCommand({ repositoryName: putTarget, lifecyclePolicyText: expectedPolicy }));
  // The preview repository's own stored policy, which an ad-hoc preview must never change.
  const previewStored = JSON.stringify(VALID_POLICIES[2]);
  await client.send(new PutLifecyclePolicyCommand({ repositoryName: previewTarget, lifecyclePolicyText: previewStored }));
  await client.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: previewTarget }));
  let lastPreview = await settledPreview(previewTarget);

  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < POLICY_CASES; i++) {
    const text = mutatedPolicy(random);
    const what = `case ${i}: ${text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text}`;

    const put = await answer(client.send(new PutLifecyclePolicyCommand({ repositoryName: putTarget, lifecyclePolicyText: text })));
    expectSuccessOrClientError(put, what);
    if (put.ok) {
      expectedPolicy = text;
      accepted++;
    } else {
      refused++;
      expect(put.message).toEqual(expect.any(String));
    }
    expect({ what, stored: await storedPolicy(putTarget) }).toEqual({ what, stored: expectedPolicy });

    const start = await answer(client.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: previewTarget, lifecyclePolicyText: text })));
    expectSuccessOrClientError(start, what);
    // The same text is judged the same way by both actions.
    expect({ what, put: put.ok, preview: start.ok }).toEqual({ what, put: put.ok, preview: put.ok });
    if (start.ok) {
      const preview = await settledPreview(previewTarget);
      expect({ what, status: preview.status, text: preview.lifecyclePolicyText }).toEqual({ what, status: 'COMPLETE', text });
      // ECR's priorities are 32-bit integers; a policy that needs more is refused when put.
      for (const result of preview.previewResults ?? []) expect(result.appliedRulePriority).toBeLessThanOrEqual(2 ** 31 - 1);
      lastPreview = preview;
    } else {
      // A refused start leaves the last preview as it was.
      const current = await client.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: previewTarget }));
      expect({ what, text: current.lifecyclePolicyText, results: current.previewResults }).toEqual({
        what,
        text: lastPreview.lifecyclePolicyText,
        results: lastPreview.previewResults,
      });
    }
    expect(await storedPolicy(previewTarget)).toBe(previewStored);
  }
  // The generator reaches both sides; a change that made everything fail (or pass) shows here.
  expect(accepted).toBeGreaterThan(10);
  expect(refused).toBeGreaterThan(POLICY_CASES / 2);

  // The last accepted policy also runs: no failure, no 500.
  const run = await fetch(`${server.endpoint}/_berth/lifecycle/run`, { method: 'POST', headers: { 'Content-Type': 'application/json' } });
  expect(run.status).toBe(200);
  expect(((await run.json()) as { failures: unknown[] }).failures).toEqual([]);
});

test('GetLifecyclePolicyPreview: garbage nextToken, bad imageIds and maxResults out of bounds are 400s; valid pages still page', async () => {
  const random = seededRandom(SEED + 1);
  const { name, images } = await repositoryWithImages('fuzz-get-preview');
  const everything = JSON.stringify({
    rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }],
  });
  await client.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: name, lifecyclePolicyText: everything }));
  const complete = await settledPreview(name);
  expect(complete.previewResults).toHaveLength(images.length - 1);

  const validToken = (await client.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: name, maxResults: 2 }))).nextToken!;
  expect(validToken).toEqual(expect.any(String));
  const tokens = [
    '',
    'x',
    '=',
    '%%%',
    'null',
    Buffer.from('{"l":"repositories","k":"x"}').toString('base64url'),
    Buffer.from('{"l":"lifecyclePreview","k":"sha256:0000"}').toString('base64url'),
    Buffer.from('{"l":"lifecyclePreview","k":5}').toString('base64url'),
    Buffer.from('[]').toString('base64url'),
    `${validToken}x`,
    validToken.slice(1),
    'ünïcødé🚢',
    'A'.repeat(5000),
  ];
  for (const nextToken of tokens) {
    const result = await answer(client.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: name, nextToken })));
    // A token that happens to decode to a real position may page; anything else is a 400.
    expectSuccessOrClientError(result, `nextToken ${JSON.stringify(nextToken.slice(0, 60))}`);
  }

  for (const maxResults of [0, -1, 101, 1000, 2 ** 31, -(2 ** 31)]) {
    const result = await answer(client.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: name, maxResults })));
    expect({ maxResults, ok: result.ok }).toEqual({ maxResults, ok: false });
    expectSuccessOrClientError(result, `maxResults ${maxResults}`);
  }
  for (const maxResults of [1, 100]) {
    const page = await client.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: name, maxResults }));
    expect(page.previewResults).toHaveLength(Math.min(maxResults, images.length - 1));
  }

  const badIds: ImageIdentifier[][] = [
    [{}],
    [{ imageDigest: '' }],
    [{ imageDigest: 'sha256:' }],
    [{ imageDigest: 'sha256:xyz' }],
    [{ imageDigest: `sha256:${'g'.repeat(64)}` }],
    [{ imageDigest: 'md5:d41d8cd98f00b204e9800998ecf8427e' }],
    [{ imageTag: '' }],
    [{ imageTag: 'x'.repeat(400) }],
    [{ imageTag: 'ünïcødé' }],
    [{ imageDigest: images[0].digest, imageTag: 'not-its-tag' }],
    Array.from({ length: 101 }, (_, i) => ({ imageTag: `t${i}` })),
  ];
  for (const imageIds of badIds) {
    const result = await answer(client.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: name, imageIds })));
    expectSuccessOrClientError(result, `imageIds ${JSON.stringify(imageIds).slice(0, 120)}`);
  }
  const withPaging = await answer(
    client.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: name, imageIds: [{ imageDigest: images[0].digest }], maxResults: 5 })),
  );
  expectSuccessOrClientError(withPaging, 'imageIds with maxResults');

  // Raw wire garbage: wrong JSON types are the client's mistake too.
  const target = 'GetLifecyclePolicyPreview';
  const rawBodies = [
    { repositoryName: name, maxResults: '5' },
    { repositoryName: name, maxResults: 1.5 },
    { repositoryName: name, maxResults: null },
    { repositoryName: name, nextToken: 5 },
    { repositoryName: name, imageIds: {} },
    { repositoryName: name, imageIds: [5] },
    { repositoryName: name, imageIds: [{ imageDigest: ['a'] }] },
    { repositoryName: name, filter: 'TAGGED' },
    { repositoryName: name, filter: { tagStatus: 'SOMETIMES' } },
    { repositoryName: name, filter: { tagStatus: null } },
    { repositoryName: [name] },
  ];
  for (let i = 0; i < 20; i++) rawBodies.push({ repositoryName: name, [random.pick(['maxResults', 'nextToken', 'imageIds', 'filter'])]: junk(random) } as never);
  for (const body of rawBodies) {
    const reply = await rawCall(server.endpoint, target, JSON.stringify(body));
    const type = String(reply.json.__type ?? '');
    expect({ body: JSON.stringify(body).slice(0, 200), status: reply.status < 500, type }).toEqual({
      body: JSON.stringify(body).slice(0, 200),
      status: true,
      type: reply.status === 200 ? '' : oneOf([...CLIENT_ERRORS, 'SerializationException']),
    });
  }
});

test('UpdateImageStorageClass: bad ids, a missing repository and a class the image is already in are refused with modeled errors and change nothing', async () => {
  const { name, images } = await repositoryWithImages('fuzz-storage');
  const statuses = async (): Promise<Record<string, string>> => {
    const details = (await client.send(new DescribeImagesCommand({ repositoryName: name, filter: { imageStatus: 'ANY' } }))).imageDetails ?? [];
    return Object.fromEntries(details.map((detail) => [detail.imageDigest!, `${detail.imageStatus}:${(detail.imageTags ?? []).join(',')}`]));
  };
  const archived = images[0];
  await client.send(new UpdateImageStorageClassCommand({ repositoryName: name, imageId: { imageDigest: archived.digest }, targetStorageClass: 'ARCHIVE' }));
  const before = await statuses();
  expect(before[archived.digest]).toMatch(/^ARCHIVED:/);

  const cases: Array<{ input: { repositoryName: string; imageId: ImageIdentifier; targetStorageClass: 'ARCHIVE' | 'STANDARD' }; errors: string[] }> = [
    { input: { repositoryName: name, imageId: { imageDigest: archived.digest }, targetStorageClass: 'ARCHIVE' }, errors: ['ImageStorageClassUpdateNotSupportedException'] },
    { input: { repositoryName: name, imageId: { imageDigest: images[1].digest }, targetStorageClass: 'STANDARD' }, errors: ['ImageStorageClassUpdateNotSupportedException'] },
    { input: { repositoryName: uniqueName('fuzz-missing'), imageId: { imageDigest: images[1].digest }, targetStorageClass: 'ARCHIVE' }, errors: ['RepositoryNotFoundException'] },
    { input: { repositoryName: name, imageId: {}, targetStorageClass: 'ARCHIVE' }, errors: ['ImageNotFoundException', ...CLIENT_ERRORS] },
    { input: { repositoryName: name, imageId: { imageTag: 'no-such-tag' }, targetStorageClass: 'ARCHIVE' }, errors: ['ImageNotFoundException'] },
    { input: { repositoryName: name, imageId: { imageDigest: images[1].digest, imageTag: 'prod-1' }, targetStorageClass: 'ARCHIVE' }, errors: ['ImageNotFoundException'] },
    { input: { repositoryName: name, imageId: { imageDigest: `sha256:${'0'.repeat(64)}` }, targetStorageClass: 'ARCHIVE' }, errors: ['ImageNotFoundException'] },
    { input: { repositoryName: name, imageId: { imageDigest: 'sha256:xyz' }, targetStorageClass: 'ARCHIVE' }, errors: ['ImageNotFoundException', ...CLIENT_ERRORS] },
    { input: { repositoryName: name, imageId: { imageDigest: '' }, targetStorageClass: 'ARCHIVE' }, errors: ['ImageNotFoundException', ...CLIENT_ERRORS] },
    { input: { repositoryName: name, imageId: { imageTag: '' }, targetStorageClass: 'ARCHIVE' }, errors: ['ImageNotFoundException', ...CLIENT_ERRORS] },
    { input: { repositoryName: name, imageId: { imageTag: 'x'.repeat(400) }, targetStorageClass: 'ARCHIVE' }, errors: CLIENT_ERRORS },
    { input: { repositoryName: 'UPPER', imageId: { imageTag: 'prod-1' }, targetStorageClass: 'ARCHIVE' }, errors: CLIENT_ERRORS },
  ];
  for (const { input, errors } of cases) {
    const result = await answer(client.send(new UpdateImageStorageClassCommand(input)));
    const what = JSON.stringify(input).slice(0, 200);
    expect({ what, ok: result.ok }).toEqual({ what, ok: false });
    if (!result.ok) expect({ what, name: result.name, status: result.status }).toEqual({ what, name: oneOf(errors), status: 400 });
    expect(await statuses()).toEqual(before);
  }

  for (const body of [
    { repositoryName: name, imageId: { imageDigest: images[1].digest }, targetStorageClass: 'GLACIER' },
    { repositoryName: name, imageId: { imageDigest: images[1].digest }, targetStorageClass: 'archive' },
    { repositoryName: name, imageId: { imageDigest: images[1].digest } },
    { repositoryName: name, imageId: [images[1].digest], targetStorageClass: 'ARCHIVE' },
    { repositoryName: name, imageId: null, targetStorageClass: 'ARCHIVE' },
    { repositoryName: name, imageId: { imageDigest: 5 }, targetStorageClass: 'ARCHIVE' },
  ]) {
    const reply = await rawCall(server.endpoint, 'UpdateImageStorageClass', JSON.stringify(body));
    expect({ body, status: reply.status, type: reply.json.__type }).toEqual({
      body,
      status: 400,
      type: oneOf([...CLIENT_ERRORS, 'SerializationException']),
    });
    expect(await statuses()).toEqual(before);
  }

  // A restore of the archived image is the one change, and it takes.
  const restored = await client.send(
    new UpdateImageStorageClassCommand({ repositoryName: name, imageId: { imageDigest: archived.digest }, targetStorageClass: 'STANDARD' }),
  );
  expect(restored.imageStatus).toBe('ACTIVATING');
  expect((await statuses())[archived.digest]).toMatch(/^ACTIVE:/);
});
