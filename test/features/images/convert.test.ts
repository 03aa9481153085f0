import { createHash, createPublicKey, verify } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import {
  EMPTY_LAYER,
  MEDIA_TYPES,
  manifestDigest,
  negotiateManifest,
  parseAccept,
  type ManifestBytes,
  type ReadBlob,
} from '../../../src/features/images/convert.js';

const sha256 = (data: string | Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const hex = (digest: string): string => digest.slice('sha256:'.length);

// An image as `docker build` would push it: three history entries that made layers and two
// (ENV, CMD) that did not.
const configJson = JSON.stringify({
  architecture: 'amd64',
  config: { Env: ['PATH=/usr/bin'], Cmd: ['sh'], ExposedPorts: { '80/tcp': {} }, Labels: { '2': 'two', '1': 'one' } },
  created: '2024-03-01T10:00:04.5Z',
  os: 'linux',
  rootfs: { type: 'layers', diff_ids: [sha256('diff-a'), sha256('diff-b'), sha256('diff-c')] },
  history: [
    { created: '2024-03-01T10:00:00.000000000Z', created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
    { created: '2024-03-01T10:00:01Z', created_by: '/bin/sh -c #(nop)  ENV PATH=/usr/bin', empty_layer: true },
    { created: '2024-03-01T10:00:02.25Z', created_by: '/bin/sh -c apk add curl && rm -rf /var/cache', author: 'someone' },
    { created: '2024-03-01T10:00:03Z', created_by: '/bin/sh -c echo <x>', comment: 'buildkit.dockerfile.v0' },
    { created: '2024-03-01T10:00:04.5Z', created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
  ],
  // JavaScript objects put integer-like keys first; the blob keeps the order it was written in.
}).replace('"Labels":{"1":"one","2":"two"}', '"Labels":{"2":"two","1":"one"}');
const config = Buffer.from(configJson);
const layers = [
  { size: 3000, digest: sha256('layer-a') },
  { size: 200, digest: sha256('layer-b') },
  { size: 10, digest: sha256('layer-c') },
];

const dockerManifestJson = JSON.stringify({
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.dockerManifest,
  config: { mediaType: MEDIA_TYPES.dockerConfig, size: config.length, digest: sha256(config) },
  layers: layers.map((layer) => ({ mediaType: MEDIA_TYPES.dockerLayer, ...layer })),
});
const ociManifestJson = JSON.stringify({
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociManifest,
  config: { mediaType: MEDIA_TYPES.ociConfig, digest: sha256(config), size: config.length },
  layers: layers.map(({ size, digest }) => ({ mediaType: MEDIA_TYPES.ociLayer, digest, size })),
});

const stored = (mediaType: string, document: string | object): ManifestBytes => ({
  mediaType,
  bytes: Buffer.from(typeof document === 'string' ? document : JSON.stringify(document)),
});
const dockerImage = stored(MEDIA_TYPES.dockerManifest, dockerManifestJson);
const ociImage = stored(MEDIA_TYPES.ociManifest, ociManifestJson);

const blobs = new Map<string, Buffer>([[sha256(config), config]]);
const readBlob: ReadBlob = async (digest) => {
  const blob = blobs.get(digest);
  if (!blob) throw new Error(`no blob ${digest}`);
  return blob;
};
const pull = { repositoryName: 'team/app', tag: 'v1' };

/** What Go's json.MarshalIndent(v, "", "   ") writes, HTML characters escaped as it does. */
const asGoIndents = (value: unknown): string =>
  JSON.stringify(value, null, 3).replace(/&/g, '\\u0026').replace(/</g, '\\u003c').replace(/>/g, '\\u003e');

describe('parseAccept', () => {
  test('nothing to parse gives an empty list', () => {
    expect(parseAccept(undefined)).toEqual([]);
    expect(parseAccept('')).toEqual([]);
    expect(parseAccept([])).toEqual([]);
    expect(parseAccept(' , ,')).toEqual([]);
  });

  test('splits commas across header values, trims, lower-cases and drops parameters', () => {
    expect(
      parseAccept([
        `${MEDIA_TYPES.dockerManifest} ,  Application/VND.OCI.Image.Manifest.v1+JSON; charset=utf-8`,
        MEDIA_TYPES.dockerManifestList,
      ]),
    ).toEqual([MEDIA_TYPES.dockerManifest, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifestList]);
  });

  test('orders by q (stable among equals), drops q=0 and keeps each type once at its best q', () => {
    expect(parseAccept('a/one;q=0.2, b/two, c/three;q=0, d/four; q=0.9, a/one;q=0.5, b/two;q=0.1')).toEqual([
      'b/two',
      'd/four',
      'a/one',
    ]);
  });

  test('keeps wildcards and ignores malformed entries and q values', () => {
    expect(parseAccept('*/*;q=0.1, application/*, notatype, a/b/c, x/y;q=abc, /z')).toEqual(['application/*', 'x/y', '*/*']);
  });
});

describe('negotiateManifest: the stored manifest', () => {
  test('is returned as is, byte for byte, when the client accepts its type', async () => {
    const accept = parseAccept(`${MEDIA_TYPES.ociManifest}, ${MEDIA_TYPES.dockerManifest}`);
    const served = await negotiateManifest(dockerImage, accept, readBlob, pull);
    expect(served).toBe(dockerImage);
    expect(served!.bytes.equals(Buffer.from(dockerManifestJson))).toBe(true);
  });

  test('is returned when nothing is asked for, or a wildcard covers it', async () => {
    expect(await negotiateManifest(ociImage, [], readBlob)).toBe(ociImage);
    expect(await negotiateManifest(ociImage, parseAccept('*/*'), readBlob)).toBe(ociImage);
    expect(await negotiateManifest(ociImage, parseAccept(`${MEDIA_TYPES.dockerManifest}, application/*`), readBlob)).toBe(ociImage);
    expect(await negotiateManifest(ociImage, parseAccept('text/*'), readBlob)).toBeUndefined();
  });

  test('accepted types that did not go through parseAccept are normalized', async () => {
    expect(await negotiateManifest(ociImage, ['Application/Vnd.Oci.Image.Manifest.V1+Json'], readBlob)).toBe(ociImage);
  });
});

describe('negotiateManifest: Docker schema 2 <-> OCI', () => {
  test('stored Docker schema 2, client accepts only OCI: translated to OCI, digests and sizes kept', async () => {
    const served = await negotiateManifest(dockerImage, parseAccept(MEDIA_TYPES.ociManifest), readBlob, pull);
    expect(served?.mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(served?.bytes.toString()).toBe(ociManifestJson);
  });

  test('stored OCI, client accepts only Docker schema 2: translated to Docker schema 2', async () => {
    const served = await negotiateManifest(ociImage, parseAccept(MEDIA_TYPES.dockerManifest), readBlob, pull);
    expect(served?.mediaType).toBe(MEDIA_TYPES.dockerManifest);
    expect(served?.bytes.toString()).toBe(dockerManifestJson);
  });

  test('every Docker layer type maps to its OCI counterpart and back; urls kept, OCI annotations dropped for Docker', async () => {
    const pairs = [
      [MEDIA_TYPES.dockerLayer, MEDIA_TYPES.ociLayer],
      [MEDIA_TYPES.dockerLayerUncompressed, MEDIA_TYPES.ociLayerUncompressed],
      [MEDIA_TYPES.dockerForeignLayer, MEDIA_TYPES.ociNondistributableLayer],
      [MEDIA_TYPES.dockerForeignLayerUncompressed, MEDIA_TYPES.ociNondistributableLayerUncompressed],
    ];
    const urls = ['https://example.com/base.tar.gz'];
    const oci = stored(MEDIA_TYPES.ociManifest, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: sha256(config), size: config.length, annotations: { a: 'b' } },
      layers: pairs.map(([, ociType], index) => ({
        mediaType: ociType,
        digest: sha256(`l${index}`),
        size: index + 1,
        urls,
        annotations: { 'org.example': 'x' },
      })),
      annotations: { 'org.opencontainers.image.created': '2024-03-01T10:00:00Z' },
    });
    const docker = await negotiateManifest(oci, [MEDIA_TYPES.dockerManifest], readBlob);
    expect(JSON.parse(docker!.bytes.toString())).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.dockerManifest,
      config: { mediaType: MEDIA_TYPES.dockerConfig, size: config.length, digest: sha256(config) },
      layers: pairs.map(([dockerType], index) => ({ mediaType: dockerType, size: index + 1, digest: sha256(`l${index}`), urls })),
    });

    const back = await negotiateManifest(docker!, [MEDIA_TYPES.ociManifest], readBlob);
    expect(JSON.parse(back!.bytes.toString()).layers.map((layer: { mediaType: string }) => layer.mediaType)).toEqual(
      pairs.map(([, ociType]) => ociType),
    );
  });

  test('Docker descriptor annotations survive the way to OCI', async () => {
    const docker = stored(MEDIA_TYPES.dockerManifest, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.dockerManifest,
      config: { mediaType: MEDIA_TYPES.dockerConfig, size: 1, digest: sha256('c') },
      layers: [{ mediaType: MEDIA_TYPES.dockerLayer, size: 2, digest: sha256('l'), annotations: { k: 'v' } }],
    });
    const oci = await negotiateManifest(docker, [MEDIA_TYPES.ociManifest], readBlob);
    expect(JSON.parse(oci!.bytes.toString()).layers).toEqual([
      { mediaType: MEDIA_TYPES.ociLayer, digest: sha256('l'), size: 2, annotations: { k: 'v' } },
    ]);
  });

  const ociWith = (changes: Record<string, unknown>): ManifestBytes =>
    stored(MEDIA_TYPES.ociManifest, { ...JSON.parse(ociManifestJson), ...changes });

  test.each([
    ['an artifact config', { config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: sha256('h'), size: 1 } }],
    ['the empty config of an artifact', { config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256('{}'), size: 2 } }],
    ['an artifactType', { artifactType: 'application/vnd.example.sbom' }],
    ['a subject', { subject: { mediaType: MEDIA_TYPES.ociManifest, digest: sha256('s'), size: 5 } }],
    ['a zstd layer', { layers: [{ mediaType: MEDIA_TYPES.ociLayerZstd, digest: sha256('z'), size: 1 }] }],
    [
      'an encrypted layer',
      { layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted', digest: sha256('e'), size: 1 }] },
    ],
    ['no layers (Docker requires one)', { layers: [] }],
  ])('an OCI manifest with %s has no Docker form', async (_, changes) => {
    expect(await negotiateManifest(ociWith(changes), [MEDIA_TYPES.dockerManifest], readBlob, pull)).toBeUndefined();
  });

  test('a Docker manifest whose config is not a container image config is not translated', async () => {
    const plugin = stored(MEDIA_TYPES.dockerManifest, {
      ...JSON.parse(dockerManifestJson),
      config: { mediaType: 'application/vnd.docker.plugin.v1+json', size: 1, digest: sha256('p') },
    });
    expect(await negotiateManifest(plugin, [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerSchema1Signed], readBlob, pull)).toBeUndefined();
  });

  test('stored OCI is never translated to schema 1 (the doc: no translation available)', async () => {
    expect(await negotiateManifest(ociImage, parseAccept(MEDIA_TYPES.dockerSchema1Signed), readBlob, pull)).toBeUndefined();
  });

  test('a client accepting both OCI and schema 1 gets the lossless OCI translation', async () => {
    const served = await negotiateManifest(
      dockerImage,
      parseAccept(`${MEDIA_TYPES.dockerSchema1Signed}, ${MEDIA_TYPES.ociManifest}`),
      readBlob,
      pull,
    );
    expect(served?.mediaType).toBe(MEDIA_TYPES.ociManifest);
  });
});

describe('negotiateManifest: Docker schema 2 -> signed schema 1', () => {
  interface Signed {
    schemaVersion: number;
    name: string;
    tag: string;
    architecture: string;
    fsLayers: Array<{ blobSum: string }>;
    history: Array<{ v1Compatibility: string }>;
    signatures: Array<{ header: { jwk: Record<string, string>; alg: string }; signature: string; protected: string }>;
  }

  async function schema1(accept: string = MEDIA_TYPES.dockerSchema1Signed): Promise<{ served: ManifestBytes; document: Signed }> {
    const served = await negotiateManifest(dockerImage, parseAccept(accept), readBlob, pull);
    expect(served?.mediaType).toBe(MEDIA_TYPES.dockerSchema1Signed);
    return { served: served!, document: JSON.parse(served!.bytes.toString()) as Signed };
  }

  test('names the repository, tag and architecture and lists layers newest first, empty ones as the empty gzip layer', async () => {
    const { document } = await schema1();
    expect(document).toMatchObject({ schemaVersion: 1, name: 'team/app', tag: 'v1', architecture: 'amd64' });
    expect(document.fsLayers.map((layer) => layer.blobSum)).toEqual([
      EMPTY_LAYER.digest,
      layers[2].digest,
      layers[1].digest,
      EMPTY_LAYER.digest,
      layers[0].digest,
    ]);
    expect(document.history).toHaveLength(5);
    expect(Object.keys(document)).toEqual(['schemaVersion', 'name', 'tag', 'architecture', 'fsLayers', 'history', 'signatures']);
  });

  test('history carries chained v1 ids and each step of the config history', async () => {
    const { document } = await schema1();
    const [top, ...older] = document.history.map((entry) => JSON.parse(entry.v1Compatibility) as Record<string, unknown>);
    const oldestFirst = older.reverse();
    const blobSums = document.fsLayers.map((layer) => layer.blobSum).reverse();
    let parent = '';
    oldestFirst.forEach((entry, index) => {
      const id = createHash('sha256').update(`${hex(blobSums[index])} ${parent}`).digest('hex');
      expect(entry.id).toBe(id);
      expect(entry.parent).toBe(parent || undefined);
      parent = id;
    });
    expect(oldestFirst).toEqual([
      { id: expect.any(String), created: '2024-03-01T10:00:00Z', container_config: { Cmd: ['/bin/sh -c #(nop) ADD file:abc in / '] } },
      {
        id: expect.any(String),
        parent: oldestFirst[0].id,
        created: '2024-03-01T10:00:01Z',
        container_config: { Cmd: ['/bin/sh -c #(nop)  ENV PATH=/usr/bin'] },
        throwaway: true,
      },
      {
        id: expect.any(String),
        parent: oldestFirst[1].id,
        created: '2024-03-01T10:00:02.25Z',
        container_config: { Cmd: ['/bin/sh -c apk add curl && rm -rf /var/cache'] },
        author: 'someone',
      },
      {
        id: expect.any(String),
        parent: oldestFirst[2].id,
        comment: 'buildkit.dockerfile.v0',
        created: '2024-03-01T10:00:03Z',
        container_config: { Cmd: ['/bin/sh -c echo <x>'] },
      },
    ]);

    // The newest entry is the image config itself, without rootfs and history.
    const topId = createHash('sha256').update(`${hex(EMPTY_LAYER.digest)} ${parent} ${configJson}`).digest('hex');
    const { rootfs: _rootfs, history: _history, ...rest } = JSON.parse(configJson) as Record<string, unknown>;
    expect(top).toEqual({ ...rest, id: topId, parent, throwaway: true });
  });

  test('v1Compatibility is written as Go wrote it: sorted top-level keys, nested order kept, HTML characters escaped', async () => {
    const { served, document } = await schema1();
    const topText = document.history[0].v1Compatibility;
    expect(Object.keys(JSON.parse(topText))).toEqual(['architecture', 'config', 'created', 'id', 'os', 'parent', 'throwaway']);
    expect(topText).toContain('"Labels":{"2":"two","1":"one"}');
    expect(document.history[2].v1Compatibility).toContain('apk add curl \\u0026\\u0026 rm');
    expect(document.history[1].v1Compatibility).toContain('echo \\u003cx\\u003e');
    expect(served.bytes.toString()).not.toMatch(/[<>&]/);
  });

  test('is a libtrust pretty JWS whose ES256 signature verifies against its own jwk', async () => {
    const { served, document } = await schema1();
    const text = served.bytes.toString();
    expect(text.startsWith('{\n   "schemaVersion": 1,\n   "name": "team/app",')).toBe(true);
    expect(document.signatures).toHaveLength(1);
    const [{ header, signature, protected: protectedHeader }] = document.signatures;
    expect(header.alg).toBe('ES256');
    expect(Object.keys(header.jwk)).toEqual(['crv', 'kid', 'kty', 'x', 'y']);
    expect(header.jwk).toMatchObject({ crv: 'P-256', kty: 'EC' });
    expect(header.jwk.kid).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);

    const format = JSON.parse(Buffer.from(protectedHeader, 'base64url').toString()) as Record<string, unknown>;
    expect(Object.keys(format)).toEqual(['formatLength', 'formatTail', 'time']);
    expect(format.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const payload = Buffer.concat([
      served.bytes.subarray(0, format.formatLength as number),
      Buffer.from(format.formatTail as string, 'base64url'),
    ]);
    const { signatures: _signatures, ...unsigned } = document;
    expect(JSON.parse(payload.toString())).toEqual(unsigned);
    expect(payload.toString()).toBe(asGoIndents(unsigned));

    const { kid: _kid, ...jwk } = header.jwk;
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    const signingInput = Buffer.from(`${protectedHeader}.${payload.toString('base64url')}`);
    const signatureBytes = Buffer.from(signature, 'base64url');
    expect(verify('sha256', signingInput, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signatureBytes)).toBe(true);
    signingInput[signingInput.length - 1] ^= 1;
    expect(verify('sha256', signingInput, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signatureBytes)).toBe(false);

    // The key id is libtrust's: base32 of the first 240 bits of SHA-256 over the SPKI DER.
    const der = publicKey.export({ type: 'spki', format: 'der' });
    const bits = [...createHash('sha256').update(der).digest().subarray(0, 30)].map((b) => b.toString(2).padStart(8, '0')).join('');
    const base32 = (bits.match(/.{5}/g) ?? []).map((group) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[parseInt(group, 2)]).join('');
    expect(header.jwk.kid).toBe(base32.match(/.{4}/g)!.join(':'));
  });

  test('one signing key per process; the digest is the unsigned payload, the same on every pull', async () => {
    const first = await schema1();
    const second = await schema1(MEDIA_TYPES.dockerSchema1);
    expect(second.document.signatures[0].header.jwk).toEqual(first.document.signatures[0].header.jwk);
    expect(manifestDigest(second.served)).toBe(manifestDigest(first.served));
    const { signatures: _signatures, ...unsigned } = first.document;
    expect(manifestDigest(first.served)).toBe(sha256(asGoIndents(unsigned)));
    expect(manifestDigest(dockerImage)).toBe(sha256(dockerManifestJson));
  });

  test('the empty layer digest is that of its bytes, a gzipped 1,024-byte empty tar', () => {
    expect(sha256(EMPTY_LAYER.bytes)).toBe(EMPTY_LAYER.digest);
    expect(gunzipSync(EMPTY_LAYER.bytes).equals(Buffer.alloc(1024))).toBe(true);
  });

  test('Windows images chain their first layer to the base layer id', async () => {
    const windowsConfig = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'windows',
        rootfs: { type: 'layers', diff_ids: [sha256('w1'), sha256('w2')], base_layer: 'windows-base' },
        history: [{ created: '2024-01-01T00:00:00Z' }, { created: '2024-01-02T00:00:00Z' }],
      }),
    );
    blobs.set(sha256(windowsConfig), windowsConfig);
    const windows = stored(MEDIA_TYPES.dockerManifest, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.dockerManifest,
      config: { mediaType: MEDIA_TYPES.dockerConfig, size: windowsConfig.length, digest: sha256(windowsConfig) },
      layers: [
        { mediaType: MEDIA_TYPES.dockerForeignLayer, size: 1, digest: sha256('w1'), urls: ['https://example.com/w1'] },
        { mediaType: MEDIA_TYPES.dockerLayer, size: 1, digest: sha256('w2') },
      ],
    });
    const served = await negotiateManifest(windows, [MEDIA_TYPES.dockerSchema1Signed], readBlob, pull);
    const document = JSON.parse(served!.bytes.toString()) as Signed;
    const base = createHash('sha384').update('windows-base').digest('hex').slice(0, 64);
    const oldest = JSON.parse(document.history[1].v1Compatibility) as Record<string, unknown>;
    expect(oldest).toMatchObject({ id: createHash('sha256').update(`${hex(sha256('w1'))} `).digest('hex'), parent: base });
    expect(JSON.parse(document.history[0].v1Compatibility)).toMatchObject({ parent: oldest.id, os: 'windows' });
    expect(document.fsLayers).toEqual([{ blobSum: sha256('w2') }, { blobSum: sha256('w1') }]);
  });

  test('not offered without the repository and tag to embed', async () => {
    expect(await negotiateManifest(dockerImage, [MEDIA_TYPES.dockerSchema1Signed], readBlob)).toBeUndefined();
  });

  test.each([
    ['no history', { history: [] }],
    ['more layers than history entries that made one', { history: [{ created: '2024-01-01T00:00:00Z' }] }],
    ['a rootfs that does not match the layers', { rootfs: { type: 'layers', diff_ids: [sha256('only')] } }],
    ['an unreadable created time', { history: JSON.parse(configJson).history.map((h: object) => ({ ...h, created: 'yesterday' })) }],
  ])('a config with %s gives no schema 1', async (_, changes) => {
    const broken = Buffer.from(JSON.stringify({ ...JSON.parse(configJson), ...changes }));
    blobs.set(sha256(broken), broken);
    const manifest = stored(MEDIA_TYPES.dockerManifest, {
      ...JSON.parse(dockerManifestJson),
      config: { mediaType: MEDIA_TYPES.dockerConfig, size: broken.length, digest: sha256(broken) },
    });
    expect(await negotiateManifest(manifest, [MEDIA_TYPES.dockerSchema1Signed], readBlob, pull)).toBeUndefined();
  });

  test('a config blob that cannot be read is an error, not an unacceptable format', async () => {
    const orphan = stored(MEDIA_TYPES.dockerManifest, {
      ...JSON.parse(dockerManifestJson),
      config: { mediaType: MEDIA_TYPES.dockerConfig, size: 1, digest: sha256('missing') },
    });
    await expect(negotiateManifest(orphan, [MEDIA_TYPES.dockerSchema1Signed], readBlob, pull)).rejects.toThrow('no blob');
  });
});

describe('negotiateManifest: formats without translations', () => {
  const schema1Signed = stored(MEDIA_TYPES.dockerSchema1Signed, {
    schemaVersion: 1,
    name: 'team/app',
    tag: 'old',
    architecture: 'amd64',
    fsLayers: [{ blobSum: EMPTY_LAYER.digest }],
    history: [{ v1Compatibility: '{"id":"x"}' }],
    signatures: [],
  });

  test('stored schema 1 is served to schema 1 clients, signed or not', async () => {
    expect(await negotiateManifest(schema1Signed, [MEDIA_TYPES.dockerSchema1], readBlob, pull)).toBe(schema1Signed);
    expect(await negotiateManifest(schema1Signed, [MEDIA_TYPES.dockerSchema1Signed], readBlob, pull)).toBe(schema1Signed);
  });

  test('stored schema 1 asked for as schema 2: no translation, the client falls back to schema 1', async () => {
    expect(await negotiateManifest(schema1Signed, [MEDIA_TYPES.dockerManifest], readBlob, pull)).toBe(schema1Signed);
  });

  test('stored schema 1 asked for as OCI: no translation available', async () => {
    expect(await negotiateManifest(schema1Signed, [MEDIA_TYPES.ociManifest], readBlob, pull)).toBeUndefined();
  });

  const list = stored(MEDIA_TYPES.dockerManifestList, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.dockerManifestList,
    manifests: [
      {
        mediaType: MEDIA_TYPES.dockerManifest,
        size: dockerImage.bytes.length,
        digest: sha256(dockerImage.bytes),
        platform: { architecture: 'amd64', os: 'linux' },
      },
    ],
  });
  const index = stored(MEDIA_TYPES.ociIndex, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: sha256(ociImage.bytes), size: ociImage.bytes.length }],
  });

  test('manifest lists and OCI indexes are served when accepted', async () => {
    const dockerClient = parseAccept(`${MEDIA_TYPES.dockerManifest}, ${MEDIA_TYPES.dockerManifestList}`);
    expect(await negotiateManifest(list, dockerClient, readBlob, pull)).toBe(list);
    expect(await negotiateManifest(index, parseAccept(MEDIA_TYPES.ociIndex), readBlob, pull)).toBe(index);
  });

  test('manifest lists and OCI indexes are never translated, not into each other nor into an image manifest', async () => {
    const everythingElse = [
      MEDIA_TYPES.dockerManifest,
      MEDIA_TYPES.ociManifest,
      MEDIA_TYPES.dockerSchema1Signed,
      MEDIA_TYPES.dockerSchema1,
    ];
    expect(await negotiateManifest(list, [...everythingElse, MEDIA_TYPES.ociIndex], readBlob, pull)).toBeUndefined();
    expect(await negotiateManifest(index, [...everythingElse, MEDIA_TYPES.dockerManifestList], readBlob, pull)).toBeUndefined();
  });

  test('a stored manifest that is not JSON is served only when accepted', async () => {
    const garbage = stored(MEDIA_TYPES.dockerManifest, 'not json');
    expect(await negotiateManifest(garbage, [MEDIA_TYPES.dockerManifest], readBlob, pull)).toBe(garbage);
    expect(await negotiateManifest(garbage, [MEDIA_TYPES.ociManifest], readBlob, pull)).toBeUndefined();
  });
});
