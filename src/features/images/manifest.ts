import { parseDigest } from '../../lib/digest.js';
import { INDEX_TYPES, MANIFEST_MEDIA_TYPES, MEDIA_TYPES, SCHEMA1_TYPES, bareMediaType } from './media-types.js';

// What a pushed manifest says about itself: the media type it is stored under and the blobs,
// manifests and subject it references. Checks here are what a registry must refuse; ECR's
// own rules (tags, repository, references present) are in images.ts.

/** ECR's imageManifest limit (4,194,304 characters); the registry applies it to bytes. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ParsedManifest {
  mediaType: string;
  /** Config then layers (for schema 1: its fsLayers). */
  blobs: Descriptor[];
  /** Layers only: what ECR's image size counts. */
  layers: Descriptor[];
  config?: Descriptor;
  /** Manifests a list or index references. */
  manifests: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export class InvalidManifest extends Error {}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isStringMap = (value: unknown): value is Record<string, string> =>
  isObject(value) && Object.values(value).every((entry) => typeof entry === 'string');


function descriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw new InvalidManifest(`${where} is not a descriptor`);
  const { mediaType, digest, size, artifactType, annotations } = value;
  if (typeof digest !== 'string' || !parseDigest(digest)) throw new InvalidManifest(`${where} has an invalid digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new InvalidManifest(`${where} has an invalid size`);
  }
  if (mediaType !== undefined && typeof mediaType !== 'string') throw new InvalidManifest(`${where} has an invalid mediaType`);
  if (artifactType !== undefined && typeof artifactType !== 'string') {
    throw new InvalidManifest(`${where} has an invalid artifactType`);
  }
  if (annotations !== undefined && !isStringMap(annotations)) throw new InvalidManifest(`${where} has invalid annotations`);
  return { mediaType, digest, size, artifactType, annotations };
}

function descriptors(value: unknown, where: string): Descriptor[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidManifest(`${where} is not a list`);
  return value.map((entry, index) => descriptor(entry, `${where}[${index}]`));
}

/** The media type the manifest is stored under: the declared Content-Type, else its own field, else inferred. */
function mediaTypeOf(document: Record<string, unknown>, declared: string | undefined): string {
  const field = typeof document.mediaType === 'string' ? document.mediaType : undefined;
  if (declared && MANIFEST_MEDIA_TYPES.includes(declared)) {
    if (field !== undefined && field !== declared) {
      throw new InvalidManifest(`mediaType '${field}' does not match the declared type '${declared}'`);
    }
    return declared;
  }
  if (field !== undefined) {
    if (!MANIFEST_MEDIA_TYPES.includes(field)) throw new InvalidManifest(`unsupported manifest media type '${field}'`);
    return field;
  }
  if (document.schemaVersion === 1) return 'signatures' in document ? MEDIA_TYPES.dockerSchema1Signed : MEDIA_TYPES.dockerSchema1;
  return Array.isArray(document.manifests) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest;
}

/**
 * Parses and checks a manifest. `declared` is the Content-Type (or PutImage's
 * imageManifestMediaType); the bytes are never re-serialized.
 */
export function parseManifest(bytes: Buffer, declared?: string): ParsedManifest {
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidManifest('manifest is not valid JSON');
  }
  if (!isObject(document)) throw new InvalidManifest('manifest is not a JSON object');
  const mediaType = mediaTypeOf(document, declared === undefined ? undefined : bareMediaType(declared) || undefined);

  if (SCHEMA1_TYPES.includes(mediaType)) {
    if (document.schemaVersion !== 1) throw new InvalidManifest('schema 1 manifest must have schemaVersion 1');
    if (!Array.isArray(document.fsLayers)) throw new InvalidManifest('schema 1 manifest has no fsLayers');
    const layers = document.fsLayers.map((entry: unknown, index: number) => {
      const blobSum = isObject(entry) ? entry.blobSum : undefined;
      if (typeof blobSum !== 'string' || !parseDigest(blobSum)) throw new InvalidManifest(`fsLayers[${index}] has an invalid blobSum`);
      return { digest: blobSum, size: 0 };
    });
    const unique = [...new Map(layers.map((layer) => [layer.digest, layer])).values()];
    return { mediaType, blobs: unique, layers: unique, manifests: [] };
  }

  if (document.schemaVersion !== 2) throw new InvalidManifest('manifest must have schemaVersion 2');
  const subject = document.subject === undefined ? undefined : descriptor(document.subject, 'subject');
  const annotations = document.annotations === undefined ? undefined : document.annotations;
  if (annotations !== undefined && !isStringMap(annotations)) throw new InvalidManifest('annotations must map strings to strings');
  if (document.artifactType !== undefined && typeof document.artifactType !== 'string') {
    throw new InvalidManifest('artifactType must be a string');
  }
  const artifactType = document.artifactType as string | undefined;

  if (INDEX_TYPES.includes(mediaType)) {
    if (!Array.isArray(document.manifests)) throw new InvalidManifest('an index must have a manifests list');
    return { mediaType, blobs: [], layers: [], manifests: descriptors(document.manifests, 'manifests'), subject, artifactType, annotations };
  }

  if (document.config === undefined) throw new InvalidManifest('an image manifest must have a config');
  const config = descriptor(document.config, 'config');
  if (!Array.isArray(document.layers)) throw new InvalidManifest('an image manifest must have a layers list');
  const layers = descriptors(document.layers, 'layers');
  return { mediaType, blobs: [config, ...layers], layers, config, manifests: [], subject, artifactType, annotations };
}

export const isIndexType = (mediaType: string): boolean => INDEX_TYPES.includes(mediaType);

/**
 * The artifact media type ECR reports: the manifest's artifactType, else its config's media
 * type (the image config for container images).
 */
export const artifactMediaTypeOf = (manifest: ParsedManifest): string | undefined =>
  manifest.artifactType ?? manifest.config?.mediaType;
