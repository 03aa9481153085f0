import { createHash, generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { sha256Digest } from '../../lib/digest.js';
import { MEDIA_TYPES, SCHEMA1_TYPES, bareMediaType } from './media-types.js';

// ECR's manifest conversion on pull by tag (user guide, "Container image manifest format
// support"): the stored manifest is served when the client accepts its type; otherwise ECR
// translates
//   Docker schema 2 -> Docker schema 1 (signed) or OCI image manifest,
//   OCI image manifest -> Docker schema 2,
// and offers nothing for a stored schema 1 (a client asking for schema 2 "falls back to
// V2, schema 1"; one asking for OCI gets "no translation available"). The doc's table covers
// image manifests only: manifest lists and OCI indexes are never translated. Pulls by digest
// are never translated either; callers express that by not negotiating at all.

export { MEDIA_TYPES } from './media-types.js';

export interface ManifestBytes {
  mediaType: string;
  bytes: Buffer;
}

/** Reads a blob of the image's repository (used for the config when building schema 1). */
export type ReadBlob = (digest: string) => Promise<Buffer>;

/** What a schema 1 manifest embeds: the repository and tag being pulled. */
export interface PullReference {
  repositoryName: string;
  tag: string;
}

/**
 * The gzip of an empty tar (1,024 zero bytes), which schema 1 lists for history entries that
 * made no layer. A registry serving converted schema 1 manifests must be able to serve it.
 */
export const EMPTY_LAYER = {
  digest: 'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4',
  bytes: Buffer.from([
    31, 139, 8, 0, 0, 9, 110, 136, 0, 255, 98, 24, 5, 163, 96, 20, 140, 88, 0, 8, 0, 0, 255, 255, 46, 175, 181, 239, 0, 4, 0, 0,
  ]),
} as const;

// Layer types with an exact counterpart on the other side; anything else (zstd, encrypted,
// artifact blobs) has no Docker schema 2 form.
const LAYER_PAIRS: ReadonlyArray<readonly [docker: string, oci: string]> = [
  [MEDIA_TYPES.dockerLayer, MEDIA_TYPES.ociLayer],
  [MEDIA_TYPES.dockerLayerUncompressed, MEDIA_TYPES.ociLayerUncompressed],
  [MEDIA_TYPES.dockerForeignLayer, MEDIA_TYPES.ociNondistributableLayer],
  [MEDIA_TYPES.dockerForeignLayerUncompressed, MEDIA_TYPES.ociNondistributableLayerUncompressed],
];
const OCI_LAYER_FOR = new Map<string, string>(LAYER_PAIRS.map(([docker, oci]) => [docker, oci]));
const DOCKER_LAYER_FOR = new Map<string, string>(LAYER_PAIRS.map(([docker, oci]) => [oci, docker]));


// ---------------------------------------------------------------------------------------
// Accept

/**
 * Parses an Accept header (or BatchGetImage acceptedMediaTypes) into a list of media types:
 * lower-cased, parameters dropped, most preferred (highest q) first, q=0 ("not acceptable")
 * and malformed entries left out, duplicates once.
 */
export function parseAccept(values: string | string[] | undefined): string[] {
  if (values === undefined) return [];
  const ranked: Array<{ type: string; q: number; order: number }> = [];
  let order = 0;
  for (const value of Array.isArray(values) ? values : [values]) {
    for (const entry of value.split(',')) {
      const [rawType, ...parameters] = entry.split(';');
      const type = rawType.trim().toLowerCase();
      if (!/^[^\s/]+\/[^\s/]+$/.test(type)) continue;
      let q = 1;
      for (const parameter of parameters) {
        const [name, raw] = parameter.split('=').map((part) => part.trim());
        if (name.toLowerCase() !== 'q' || raw === undefined) continue;
        const parsed = Number(raw);
        if (raw !== '' && Number.isFinite(parsed)) q = Math.min(Math.max(parsed, 0), 1);
      }
      ranked.push({ type, q, order: order++ });
    }
  }
  const best = new Map<string, { q: number; order: number }>();
  for (const { type, q, order: position } of ranked) {
    const seen = best.get(type);
    if (!seen || q > seen.q) best.set(type, { q, order: seen ? seen.order : position });
  }
  return [...best]
    .filter(([, { q }]) => q > 0)
    .sort(([, a], [, b]) => b.q - a.q || a.order - b.order)
    .map(([type]) => type);
}


/** Whether the list names `mediaType` itself, or a wildcard covering it. */
function covers(accepted: readonly string[], mediaType: string): boolean {
  const [kind] = mediaType.split('/');
  return accepted.some((entry) => entry === mediaType || entry === '*/*' || entry === `${kind}/*`);
}

// ---------------------------------------------------------------------------------------
// Negotiation

/**
 * The representation to serve: the stored manifest when acceptable (or when accepted is
 * empty, or contains a wildcard covering it), else a conversion ECR performs, else undefined
 * when nothing acceptable exists (callers decide: the /v2 route serves the stored one anyway
 * as registries do; BatchGetImage reports a failure).
 *
 * Schema 1 output embeds the repository name and tag, so it is offered only when `pull` is
 * given. When a client accepts several conversions, the lossless one (OCI <-> Docker
 * schema 2) wins over schema 1. Errors from `readBlob` propagate: a missing config blob is a
 * storage fault, not a format the client cannot read.
 */
export async function negotiateManifest(
  stored: ManifestBytes,
  acceptedTypes: string[],
  readBlob: ReadBlob,
  pull?: PullReference,
): Promise<ManifestBytes | undefined> {
  const storedType = bareMediaType(stored.mediaType);
  // Tolerate lists that did not come through parseAccept (e.g. raw acceptedMediaTypes).
  const accepted = acceptedTypes.map(bareMediaType);
  if (accepted.length === 0 || covers(accepted, storedType)) return stored;

  const acceptsSchema1 = SCHEMA1_TYPES.some((type) => accepted.includes(type));
  if (SCHEMA1_TYPES.includes(storedType)) {
    // Signed and unsigned schema 1 are one format to clients; a schema 2 client "falls back".
    return acceptsSchema1 || accepted.includes(MEDIA_TYPES.dockerManifest) ? stored : undefined;
  }

  const document = parseObject(stored.bytes);
  if (!document) return undefined;

  if (storedType === MEDIA_TYPES.dockerManifest) {
    if (accepted.includes(MEDIA_TYPES.ociManifest)) {
      const oci = dockerToOci(document);
      if (oci) return { mediaType: MEDIA_TYPES.ociManifest, bytes: oci };
    }
    if (acceptsSchema1 && pull) {
      const schema1 = await dockerToSchema1(document, readBlob, pull);
      if (schema1) return { mediaType: MEDIA_TYPES.dockerSchema1Signed, bytes: schema1 };
    }
    return undefined;
  }

  if (storedType === MEDIA_TYPES.ociManifest && accepted.includes(MEDIA_TYPES.dockerManifest)) {
    const docker = ociToDocker(document);
    if (docker) return { mediaType: MEDIA_TYPES.dockerManifest, bytes: docker };
  }
  // Lists and indexes, and OCI manifests asked for as schema 1: no translation available.
  return undefined;
}

/**
 * The digest a registry reports for a manifest. For signed schema 1 that is the digest of the
 * payload without its signatures (what CNCF distribution calls canonical), so that re-signing
 * on every pull does not change it; for everything else it is the digest of the bytes.
 */
export function manifestDigest(manifest: ManifestBytes): string {
  if (bareMediaType(manifest.mediaType) !== MEDIA_TYPES.dockerSchema1Signed) return sha256Digest(manifest.bytes);
  const signatures = parseObject(manifest.bytes)?.signatures;
  const first = Array.isArray(signatures) ? signatures[0] : undefined;
  const protectedHeader = isObject(first) && typeof first.protected === 'string' ? first.protected : undefined;
  const format = protectedHeader ? parseObject(Buffer.from(protectedHeader, 'base64url')) : undefined;
  const { formatLength, formatTail } = format ?? {};
  if (typeof formatLength !== 'number' || typeof formatTail !== 'string' || formatLength > manifest.bytes.length) {
    return sha256Digest(manifest.bytes);
  }
  return sha256Digest(Buffer.concat([manifest.bytes.subarray(0, formatLength), Buffer.from(formatTail, 'base64url')]));
}

// ---------------------------------------------------------------------------------------
// Docker schema 2 <-> OCI image manifest

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

function parseObject(bytes: Buffer): JsonObject | undefined {
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
}

function readDescriptor(value: unknown): Descriptor | undefined {
  if (!isObject(value)) return undefined;
  const { mediaType, digest, size, urls, annotations } = value;
  if (typeof mediaType !== 'string' || typeof digest !== 'string') return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  if (urls !== undefined && !(Array.isArray(urls) && urls.every((url) => typeof url === 'string'))) return undefined;
  if (annotations !== undefined && !(isObject(annotations) && Object.values(annotations).every((v) => typeof v === 'string'))) {
    return undefined;
  }
  return {
    mediaType,
    digest,
    size,
    urls: urls as string[] | undefined,
    annotations: annotations as Record<string, string> | undefined,
  };
}

/** The config and layers of an image manifest, or undefined when it is not well formed. */
function readImage(document: JsonObject): { config: Descriptor; layers: Descriptor[] } | undefined {
  if (document.schemaVersion !== 2 || !Array.isArray(document.layers)) return undefined;
  const config = readDescriptor(document.config);
  const layers = document.layers.map(readDescriptor);
  if (!config || layers.some((layer) => layer === undefined)) return undefined;
  return { config, layers: layers as Descriptor[] };
}

// Key orders follow what the producers of each format write: Docker (moby) writes
// mediaType, size, digest, urls; the OCI image-spec descriptor is mediaType, digest, size,
// urls, annotations.
const dockerDescriptor = (d: Descriptor, mediaType: string) => ({ mediaType, size: d.size, digest: d.digest, urls: d.urls });
const ociDescriptor = (d: Descriptor, mediaType: string) => ({
  mediaType,
  digest: d.digest,
  size: d.size,
  urls: d.urls,
  annotations: d.annotations,
});

/** Docker schema 2 as an OCI image manifest; undefined for non-image configs or unknown layer types. */
function dockerToOci(document: JsonObject): Buffer | undefined {
  const image = readImage(document);
  if (!image || image.config.mediaType !== MEDIA_TYPES.dockerConfig) return undefined;
  const layers: object[] = [];
  for (const layer of image.layers) {
    const mediaType = OCI_LAYER_FOR.get(layer.mediaType);
    if (!mediaType) return undefined;
    layers.push(ociDescriptor(layer, mediaType));
  }
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: ociDescriptor(image.config, MEDIA_TYPES.ociConfig),
      layers,
    }),
  );
}

/**
 * An OCI image manifest as Docker schema 2. Artifacts (a config other than the OCI image
 * config, an artifactType, a subject), layer types Docker has no name for (zstd, ...) and
 * layerless images (Docker requires a layer) have no Docker form. Annotations are dropped:
 * Docker schema 2 defines none.
 */
function ociToDocker(document: JsonObject): Buffer | undefined {
  const image = readImage(document);
  if (!image || image.config.mediaType !== MEDIA_TYPES.ociConfig) return undefined;
  if (document.artifactType !== undefined || document.subject !== undefined || image.layers.length === 0) return undefined;
  const layers: object[] = [];
  for (const layer of image.layers) {
    const mediaType = DOCKER_LAYER_FOR.get(layer.mediaType);
    if (!mediaType) return undefined;
    layers.push(dockerDescriptor(layer, mediaType));
  }
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.dockerManifest,
      config: dockerDescriptor(image.config, MEDIA_TYPES.dockerConfig),
      layers,
    }),
  );
}

// ---------------------------------------------------------------------------------------
// Docker schema 2 -> signed Docker schema 1
//
// The layout follows CNCF distribution's schema 1 builder, so Docker 1.9-era clients get what
// a registry of that time produced: one fsLayers/history entry per config history entry,
// newest first; history entries that made no layer point at the empty gzip layer; every
// entry but the newest gets a synthetic v1Compatibility with a chained id; the newest carries
// the image config itself (without rootfs and history).

/** Go's encoding/json escapes these even inside strings; schema 1 clients saw them escaped. */
const goEscape = (json: string): string =>
  json.replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
const encodedPart = (digest: string): string => digest.slice(digest.indexOf(':') + 1);

/** A config time as Go's time.Time re-marshals it (RFC 3339, trailing fraction zeros trimmed, UTC as Z). */
function goTime(value: unknown): string | undefined {
  if (value === undefined || value === null) return '0001-01-01T00:00:00Z';
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(value);
  if (!match) return undefined;
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  const zone = /^(z|[+-]00:00)$/i.test(match[3]) ? 'Z' : match[3];
  return `${match[1]}${fraction ? `.${fraction}` : ''}${zone}`;
}

interface HistoryEntry {
  created: string;
  author?: string;
  createdBy: string;
  comment?: string;
  emptyLayer: boolean;
}

/** A string field Go would omit when empty. */
const optionalText = (field: unknown): string | undefined => (typeof field === 'string' && field !== '' ? field : undefined);

function readHistory(value: unknown): HistoryEntry[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const entries: HistoryEntry[] = [];
  for (const entry of value) {
    if (!isObject(entry)) return undefined;
    const created = goTime(entry.created);
    if (created === undefined) return undefined;
    entries.push({
      created,
      author: optionalText(entry.author),
      createdBy: typeof entry.created_by === 'string' ? entry.created_by : '',
      comment: optionalText(entry.comment),
      emptyLayer: entry.empty_layer === true,
    });
  }
  return entries;
}

async function dockerToSchema1(document: JsonObject, readBlob: ReadBlob, pull: PullReference): Promise<Buffer | undefined> {
  const image = readImage(document);
  if (!image || image.config.mediaType !== MEDIA_TYPES.dockerConfig) return undefined;
  if (image.layers.some((layer) => !OCI_LAYER_FOR.has(layer.mediaType))) return undefined;

  const configBytes = await readBlob(image.config.digest);
  const config = parseObject(configBytes);
  if (!config || !isObject(config.rootfs)) return undefined;
  const history = readHistory(config.history);
  const diffIds = config.rootfs.diff_ids;
  if (!history || !Array.isArray(diffIds) || diffIds.length !== image.layers.length) return undefined;
  // Each layer must be accounted for by exactly one history entry, or the v1 chain would
  // silently drop or invent layers.
  if (history.filter((entry) => !entry.emptyLayer).length !== image.layers.length) return undefined;
  const baseLayer = typeof config.rootfs.base_layer === 'string' ? config.rootfs.base_layer : '';

  const fsLayers: Array<{ blobSum: string }> = [];
  const v1History: Array<{ v1Compatibility: string }> = [];
  let parent = '';
  let layerIndex = 0;
  history.forEach((entry, index) => {
    const blobSum = entry.emptyLayer ? EMPTY_LAYER.digest : image.layers[layerIndex++].digest;
    fsLayers.unshift({ blobSum });
    if (index === history.length - 1) {
      const id = createHash('sha256').update(`${encodedPart(blobSum)} ${parent} `).update(configBytes).digest('hex');
      v1History.unshift({ v1Compatibility: topV1Compatibility(configBytes.toString('utf8'), id, parent, entry.emptyLayer) });
      return;
    }
    const id = sha256Hex(`${encodedPart(blobSum)} ${parent}`);
    // Windows images hang their first layer off the base layer's (synthetic) id.
    if (index === 0 && baseLayer) parent = createHash('sha384').update(baseLayer).digest('hex').slice(0, 64);
    const v1 = {
      id,
      parent: parent || undefined,
      comment: entry.comment,
      created: entry.created,
      container_config: { Cmd: [entry.createdBy] },
      author: entry.author,
      throwaway: entry.emptyLayer || undefined,
    };
    v1History.unshift({ v1Compatibility: goEscape(JSON.stringify(v1)) });
    parent = id;
  });

  const architecture = typeof config.architecture === 'string' ? config.architecture : '';
  const payload = { schemaVersion: 1, name: pull.repositoryName, tag: pull.tag, architecture, fsLayers, history: v1History };
  return signPretty(Buffer.from(goEscape(JSON.stringify(payload, null, 3))));
}

/**
 * The newest entry's v1Compatibility: the image config's own members, minus rootfs and
 * history, plus id, parent and throwaway, in Go map order (sorted keys) with each member's
 * value kept as written (compacted), as distribution's builder does.
 */
function topV1Compatibility(configText: string, id: string, parent: string, throwaway: boolean): string {
  const members = topLevelMembers(compactJson(configText));
  members.delete('rootfs');
  members.delete('history');
  members.set('id', JSON.stringify(id));
  if (parent) members.set('parent', JSON.stringify(parent));
  if (throwaway) members.set('throwaway', 'true');
  const keys = [...members.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return goEscape(`{${keys.map((key) => `${JSON.stringify(key)}:${members.get(key)}`).join(',')}}`);
}

/** JSON text without insignificant whitespace; strings and numbers kept exactly. */
function compactJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      out += char;
      if (char === '\\') out += text[++i];
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      out += char;
    } else if (!' \t\n\r'.includes(char)) {
      out += char;
    }
  }
  return out;
}

/** The members of a compact JSON object: key -> raw value text, later duplicates winning (as Go's map does). */
function topLevelMembers(compact: string): Map<string, string> {
  const members = new Map<string, string>();
  let i = 1; // past '{'
  const skipString = (from: number): number => {
    let j = from + 1;
    while (compact[j] !== '"') j += compact[j] === '\\' ? 2 : 1;
    return j + 1;
  };
  while (i < compact.length && compact[i] !== '}') {
    const keyEnd = skipString(i);
    const key = JSON.parse(compact.slice(i, keyEnd)) as string;
    const valueStart = keyEnd + 1; // past ':'
    let j = valueStart;
    let depth = 0;
    while (j < compact.length) {
      const char = compact[j];
      if (char === '"') {
        j = skipString(j);
        continue;
      }
      if (char === '{' || char === '[') depth++;
      else if (char === '}' || char === ']') {
        if (depth === 0) break;
        depth--;
      } else if (char === ',' && depth === 0) break;
      j++;
    }
    members.set(key, compact.slice(valueStart, j));
    i = compact[j] === ',' ? j + 1 : j;
  }
  return members;
}

// libtrust's "pretty" JWS: the payload is the 3-space-indented manifest; the signature block
// is spliced in before its closing brace, and the protected header records how to cut it
// back out (formatLength bytes of the payload, then formatTail).

interface SigningKey {
  privateKey: KeyObject;
  jwk: { crv: string; kid: string; kty: string; x: string; y: string };
}

let signingKey: SigningKey | undefined;

/** One EC P-256 key per process, like a registry's trust key. */
function processSigningKey(): SigningKey {
  if (signingKey) return signingKey;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const exported: JsonWebKey = publicKey.export({ format: 'jwk' });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  signingKey = {
    privateKey,
    jwk: { crv: 'P-256', kid: libtrustKeyId(der), kty: 'EC', x: String(exported.x), y: String(exported.y) },
  };
  return signingKey;
}

/** libtrust's key id: the first 240 bits of SHA-256(SPKI DER), base32, in groups of four. */
function libtrustKeyId(spkiDer: Buffer): string {
  const bytes = createHash('sha256').update(spkiDer).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  let encoded = '';
  for (let i = 0; i < bits.length; i += 5) encoded += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return encoded.match(/.{4}/g)!.join(':');
}

function signPretty(payload: Buffer): Buffer {
  const key = processSigningKey();
  const formatLength = payload.length - 2; // the payload ends "\n}"
  const protectedHeader = Buffer.from(
    JSON.stringify({
      formatLength,
      formatTail: payload.subarray(formatLength).toString('base64url'),
      time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    }),
  ).toString('base64url');
  const signingInput = Buffer.from(`${protectedHeader}.${payload.toString('base64url')}`);
  const signature = sign('sha256', signingInput, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  const signatures = [{ header: { jwk: key.jwk, alg: 'ES256' }, signature, protected: protectedHeader }];
  const indent = '   ';
  const block = JSON.stringify(signatures, null, indent).replace(/\n/g, `\n${indent}`);
  return Buffer.concat([payload.subarray(0, formatLength), Buffer.from(`,\n${indent}"signatures": ${block}\n}`)]);
}
