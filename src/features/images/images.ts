import { digestLike } from '../../lib/digest.js';
import type { Scope } from '../../lib/scope.js';
import { ecrError } from '../../model/errors.js';
import {
  imageKey,
  REPOSITORY_ENTRY_TABLES,
  referrerKey,
  repositoryEntriesPrefix,
  repositoryKey,
  tagKey,
} from '../../store/keys.js';
import type { ImageRecord } from '../../store/records.js';
import type { Batch, Store } from '../../store/store.js';
import type { Clock } from '../../lib/clock.js';
import { linkedBlob } from '../layers/uploads.js';
import { imageNotFound, invalidParameterAt } from '../messages.js';
import { requireRepository } from '../repositories/lookup.js';
import { isTagImmutable } from '../repositories/tag-mutability.js';
import {
  InvalidManifest,
  artifactMediaTypeOf,
  isIndexType,
  parseManifest,
  type ParsedManifest,
} from './manifest.js';

// The one manifest service: the registry's manifest PUT/GET/DELETE and the ECR image actions
// (PutImage, BatchGetImage, BatchDeleteImage) all go through these functions, so both front
// doors see and enforce the same state.

/** Hears of each newly stored image with the manifest the push parsed. */
export type ImagePushedListener = (scope: Scope, repositoryName: string, image: ImageRecord, manifest: ParsedManifest) => Promise<void>;

export interface ImageDeps {
  store: Store;
  clock: Clock;
  /** Told of every newly stored image (scan on push); never rejects. Awaited, so a scan on push is IN_PROGRESS by the time the push is answered. */
  onImagePushed?: ImagePushedListener;
}

export interface PushRequest {
  bytes: Buffer;
  /** Content-Type, or PutImage's imageManifestMediaType. */
  declaredType?: string;
  tag?: string;
  /** The digest the client says the manifest has (PUT by digest, PutImage's imageDigest). */
  expectedDigest?: string;
}

export interface PushResult {
  image: ImageRecord;
  manifest: ParsedManifest;
  /** False when the manifest was stored already (only a tag may have moved). */
  created: boolean;
}

/** PutImage refuses a push that changes nothing; a registry PUT accepts it. */
export interface PushOptions {
  refuseUnchanged: boolean;
}

/** Serialises the read-check-write of one repository's images. */
export const imagesLock = (scope: Scope, repositoryName: string): string => `images:${repositoryKey(scope, repositoryName)}`;

const formatDigests = (digests: string[]): string => `[${digests.join(', ')}]`;

/** ECR's image size: the sum of the layers (compressed, as pushed); a list's is its largest child's. */
function imageSize(manifest: ParsedManifest, children: ImageRecord[]): number {
  if (isIndexType(manifest.mediaType)) return Math.max(0, ...children.map((child) => child.sizeBytes));
  return manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
}

export async function findImage(store: Store, scope: Scope, repositoryName: string, digest: string): Promise<ImageRecord | undefined> {
  return store.tables.images.get(imageKey(scope, repositoryName, digest));
}

/** The image a tag or digest names in the repository, if any. */
export async function resolveImage(
  store: Store,
  scope: Scope,
  repositoryName: string,
  reference: { tag?: string; digest?: string },
): Promise<ImageRecord | undefined> {
  if (reference.digest) {
    const image = await findImage(store, scope, repositoryName, reference.digest);
    if (!image || (reference.tag !== undefined && !image.tags.includes(reference.tag))) return undefined;
    return image;
  }
  if (reference.tag === undefined) return undefined;
  const tag = await store.tables.tags.get(tagKey(scope, repositoryName, reference.tag));
  return tag ? findImage(store, scope, repositoryName, tag.digest) : undefined;
}

/** The image an ImageIdentifier names, or ECR's ImageNotFoundException. */
export async function requireImage(
  store: Store,
  scope: Scope,
  repositoryName: string,
  imageId: { imageDigest?: string; imageTag?: string },
): Promise<ImageRecord> {
  const image =
    imageId.imageDigest === undefined && imageId.imageTag === undefined
      ? undefined
      : await resolveImage(store, scope, repositoryName, { digest: imageId.imageDigest, tag: imageId.imageTag });
  if (!image) throw imageNotFound(scope, repositoryName, imageId);
  return image;
}

/** The manifest bytes exactly as pushed. */
export async function readManifest(store: Store, scope: Scope, repositoryName: string, digest: string): Promise<Buffer | undefined> {
  const record = await store.tables.manifests.get(imageKey(scope, repositoryName, digest));
  return record ? Buffer.from(record.bytes, 'base64') : undefined;
}

/** Checks every blob the manifest references is linked to the repository and present; LayersNotFoundException otherwise. */
async function checkBlobsPresent(store: Store, scope: Scope, repositoryName: string, manifest: ParsedManifest): Promise<void> {
  const missing: string[] = [];
  for (const blob of manifest.blobs) {
    if (!(await linkedBlob(store, scope, repositoryName, blob.digest))) missing.push(blob.digest);
  }
  if (missing.length) {
    throw ecrError(
      'LayersNotFoundException',
      `Layers with digests '${formatDigests(missing)}' required for pushing image into repository with name '${repositoryName}' in the registry with id '${scope.accountId}' do not exist`,
    );
  }
}

/** The image in the archive class, as UpdateImageStorageClass and lifecycle transitions leave it. */
export const archived = (image: ImageRecord, now: number): ImageRecord => ({ ...image, storageClass: 'ARCHIVE', lastArchivedAt: now });

/** The image back in the standard class (a no-op for an image that is not archived). */
export function restored(image: ImageRecord, now: number): ImageRecord {
  if (!isArchived(image)) return image;
  const { storageClass: _archived, ...rest } = image;
  return { ...rest, lastActivatedAt: now };
}

/** Removes `tag` from the image record, in the batch; returns the updated record. */
function withoutTag(image: ImageRecord, tag: string): ImageRecord {
  return { ...image, tags: image.tags.filter((existing) => existing !== tag) };
}

/**
 * Stores a manifest as an image of the repository, optionally tagging it, with ECR's rules:
 * the repository exists, every referenced blob and image is in it, an immutable tag never
 * moves. Manifest, image, tag and referrer entry are written in one batch.
 */
export async function pushImage(
  deps: ImageDeps,
  scope: Scope,
  repositoryName: string,
  request: PushRequest,
  options: PushOptions,
): Promise<PushResult> {
  const { store, clock } = deps;
  return store.exclusive(imagesLock(scope, repositoryName), async () => {
    // A missing repository is reported before anything about the manifest, as ECR does.
    const repository = await requireRepository(store, scope, repositoryName);
    let manifest: ParsedManifest;
    try {
      manifest = parseManifest(request.bytes, request.declaredType);
    } catch (error) {
      if (error instanceof InvalidManifest) throw invalidParameterAt('imageManifest', error.message);
      throw error;
    }
    const digest = digestLike(request.expectedDigest ?? 'sha256:', request.bytes);
    if (request.expectedDigest !== undefined && request.expectedDigest !== digest) {
      throw ecrError(
        'ImageDigestDoesNotMatchException',
        `Provided image digest '${request.expectedDigest}' does not match the digest '${digest}' of the image manifest`,
      );
    }
    await checkBlobsPresent(store, scope, repositoryName, manifest);
    const children: ImageRecord[] = [];
    const missingChildren: string[] = [];
    for (const child of manifest.manifests) {
      const found = await findImage(store, scope, repositoryName, child.digest);
      if (found) children.push(found);
      else missingChildren.push(child.digest);
    }
    if (missingChildren.length) {
      throw ecrError(
        'ReferencedImagesNotFoundException',
        `Manifest list references images that do not exist in the repository with name '${repositoryName}' in the registry with id '${scope.accountId}': ${formatDigests(missingChildren)}`,
      );
    }

    const existing = await findImage(store, scope, repositoryName, digest);
    const tag = request.tag;
    const currentTag = tag === undefined ? undefined : await store.tables.tags.get(tagKey(scope, repositoryName, tag));
    // Re-pushing an archived image restores it (userguide archive-image.html): that is a change.
    const unchanged = existing !== undefined && !isArchived(existing) && (tag === undefined || currentTag?.digest === digest);
    if (unchanged && options.refuseUnchanged) {
      const tagPart = tag === undefined ? '' : ` and tag '${tag}'`;
      throw ecrError(
        'ImageAlreadyExistsException',
        `Image with digest '${digest}'${tagPart} already exists in the repository with name '${repositoryName}' in registry with id '${scope.accountId}'`,
      );
    }
    if (tag !== undefined && currentTag && currentTag.digest !== digest && isTagImmutable(repository, tag)) {
      throw ecrError(
        'ImageTagAlreadyExistsException',
        `The image tag '${tag}' already exists in the '${repositoryName}' repository and cannot be overwritten because the repository is immutable.`,
      );
    }

    const now = clock.now().getTime();
    let image: ImageRecord = existing ? restored(existing, now) : {
      digest,
      manifestMediaType: manifest.mediaType,
      artifactMediaType: artifactMediaTypeOf(manifest),
      pushedAt: now,
      sizeBytes: imageSize(manifest, children),
      tags: [],
      blobs: manifest.blobs.map((blob) => blob.digest),
      manifests: manifest.manifests.map((child) => child.digest),
      ...(manifest.subject ? { subject: manifest.subject.digest } : {}),
    };
    const previous = currentTag && currentTag.digest !== digest ? await findImage(store, scope, repositoryName, currentTag.digest) : undefined;
    if (tag !== undefined && !image.tags.includes(tag)) image = { ...image, tags: [...image.tags, tag].sort() };

    await store.write((batch) => {
      if (!existing) {
        batch.put('manifests', imageKey(scope, repositoryName, digest), { bytes: request.bytes.toString('base64') });
        if (manifest.subject) {
          batch.put('referrers', referrerKey(scope, repositoryName, manifest.subject.digest, digest), {
            mediaType: manifest.mediaType,
            size: request.bytes.length,
            ...(manifest.artifactType ?? manifest.config?.mediaType
              ? { artifactType: manifest.artifactType ?? manifest.config?.mediaType }
              : {}),
            ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
          });
        }
      }
      batch.put('images', imageKey(scope, repositoryName, digest), image);
      if (tag !== undefined) {
        batch.put('tags', tagKey(scope, repositoryName, tag), { digest, taggedAt: now });
        if (previous) batch.put('images', imageKey(scope, repositoryName, previous.digest), withoutTag(previous, tag));
      }
    });
    if (!existing) await deps.onImagePushed?.(scope, repositoryName, image, manifest);
    return { image, manifest, created: !existing };
  });
}

/** Writes the deletion of an image: its record, bytes, tags, referrer entry and scan. */
export function deleteImageIn(batch: Batch, scope: Scope, repositoryName: string, image: ImageRecord): void {
  batch.del('images', imageKey(scope, repositoryName, image.digest));
  batch.del('manifests', imageKey(scope, repositoryName, image.digest));
  for (const tag of image.tags) batch.del('tags', tagKey(scope, repositoryName, tag));
  if (image.subject) batch.del('referrers', referrerKey(scope, repositoryName, image.subject, image.digest));
  batch.del('scans', imageKey(scope, repositoryName, image.digest));
}

/** ECR's imageStatus: archived images stay listed but cannot be pulled. */
export const imageStatusOf = (image: ImageRecord): 'ACTIVE' | 'ARCHIVED' => (image.storageClass === 'ARCHIVE' ? 'ARCHIVED' : 'ACTIVE');

export const isArchived = (image: ImageRecord): boolean => image.storageClass === 'ARCHIVE';

/** Every image of the repository, in digest order. */
export async function repositoryImages(store: Store, scope: Scope, repositoryName: string): Promise<ImageRecord[]> {
  return (await store.tables.images.list(repositoryEntriesPrefix(scope, repositoryName))).map(([, image]) => image);
}

/** Digests of the lists/indexes in the repository that reference `digest`. */
async function listsReferencing(store: Store, scope: Scope, repositoryName: string, digest: string): Promise<string[]> {
  return (await repositoryImages(store, scope, repositoryName)).filter((image) => image.manifests.includes(digest)).map((image) => image.digest);
}

export type DeleteOutcome =
  | { deleted: ImageRecord; untagged?: undefined }
  | { untagged: ImageRecord; deleted?: undefined }
  | { failure: 'ImageNotFound' | 'ImageReferencedByManifestList' | 'ImageTagDoesNotMatchDigest'; reason: string };

/**
 * ECR's delete of one image id (BatchDeleteImage, registry DELETE): by digest, the image and
 * all its tags go; by tag alone, the tag goes, and the image with it when that was its last
 * tag. An image a manifest list still references is kept.
 */
export async function deleteImage(
  store: Store,
  scope: Scope,
  repositoryName: string,
  reference: { tag?: string; digest?: string },
): Promise<DeleteOutcome> {
  return store.exclusive(imagesLock(scope, repositoryName), async () => {
    const image = await resolveImage(store, scope, repositoryName, reference);
    if (!image) {
      if (reference.digest && reference.tag !== undefined && (await findImage(store, scope, repositoryName, reference.digest))) {
        return { failure: 'ImageTagDoesNotMatchDigest', reason: 'Invalid image tag for image digest' };
      }
      return { failure: 'ImageNotFound', reason: 'Requested image not found' };
    }
    const byTagOnly = reference.digest === undefined && reference.tag !== undefined;
    if (byTagOnly && image.tags.length > 1) {
      const untagged = withoutTag(image, reference.tag!);
      await store.write((batch) => {
        batch.del('tags', tagKey(scope, repositoryName, reference.tag!));
        batch.put('images', imageKey(scope, repositoryName, image.digest), untagged);
      });
      return { untagged: image };
    }
    const lists = await listsReferencing(store, scope, repositoryName, image.digest);
    if (lists.length) {
      return { failure: 'ImageReferencedByManifestList', reason: `Requested image referenced by manifest list: ${formatDigests(lists)}` };
    }
    await store.write((batch) => deleteImageIn(batch, scope, repositoryName, image));
    return { deleted: image };
  });
}

/** Notes a pull of the image just read, as ECR's lastRecordedPullTime; at most one write per image per second. */
export async function recordPull(deps: ImageDeps, scope: Scope, repositoryName: string, image: ImageRecord): Promise<void> {
  const now = deps.clock.now().getTime();
  if (image.lastPulledAt !== undefined && now - image.lastPulledAt < 1000) return;
  const key = imageKey(scope, repositoryName, image.digest);
  await deps.store.exclusive(imagesLock(scope, repositoryName), async () => {
    const current = await deps.store.tables.images.get(key);
    if (current) await deps.store.write((batch) => batch.put('images', key, { ...current, lastPulledAt: now }));
  });
}

/** Every image, tag, blob link and referrer entry of a repository, to delete with it. */
export async function repositoryEntries(
  store: Store,
  scope: Scope,
  repositoryName: string,
): Promise<Array<[(typeof REPOSITORY_ENTRY_TABLES)[number], string]>> {
  const prefix = repositoryEntriesPrefix(scope, repositoryName);
  const entries: Array<[(typeof REPOSITORY_ENTRY_TABLES)[number], string]> = [];
  for (const table of REPOSITORY_ENTRY_TABLES) {
    for (const [key] of await store.tables[table].list(prefix)) entries.push([table, key]);
  }
  return entries;
}

/** Whether the repository holds any image. */
export async function hasImages(store: Store, scope: Scope, repositoryName: string): Promise<boolean> {
  return (await store.tables.images.list(repositoryEntriesPrefix(scope, repositoryName), { limit: 1 })).length > 0;
}

/** Keeps a converted manifest under its own digest, for clients that fetch it by digest next. */
export async function rememberConversion(
  store: Store,
  scope: Scope,
  repositoryName: string,
  sourceDigest: string,
  converted: { digest: string; mediaType: string; bytes: Buffer },
): Promise<void> {
  const key = imageKey(scope, repositoryName, converted.digest);
  if (await store.tables.manifests.get(key)) return;
  await store.write((batch) =>
    batch.put('manifests', key, { bytes: converted.bytes.toString('base64'), mediaType: converted.mediaType, convertedFrom: sourceDigest }),
  );
}

/** A converted manifest by its digest, while the image it was converted from still exists. */
export async function readConversion(
  store: Store,
  scope: Scope,
  repositoryName: string,
  digest: string,
): Promise<{ image: ImageRecord; mediaType: string; bytes: Buffer } | undefined> {
  const record = await store.tables.manifests.get(imageKey(scope, repositoryName, digest));
  if (!record?.convertedFrom || !record.mediaType) return undefined;
  const image = await findImage(store, scope, repositoryName, record.convertedFrom);
  return image ? { image, mediaType: record.mediaType, bytes: Buffer.from(record.bytes, 'base64') } : undefined;
}
