import { decodePageToken, encodePageToken } from '../../lib/page-token.js';
import type { Scope } from '../../lib/scope.js';
import type { Image, ImageDetail, ImageFailure, ImageIdentifier, ImageReferrer, TagStatus } from '../../model/generated/types.js';
import type { EcrHandlers } from '../../model/handlers.js';
import { imageKey, referrersPrefix, repositoryEntriesPrefix, scanKey } from '../../store/keys.js';
import type { ImageRecord, ScanRecord } from '../../store/records.js';
import type { Store } from '../../store/store.js';
import { targetScope, type FeatureDeps } from '../deps.js';
import { imageNotFound, invalidParameterAt } from '../messages.js';
import { requireRepository } from '../repositories/lookup.js';
import { scanSummary } from '../scanning/summary.js';
import { manifestDigest, negotiateManifest, parseAccept } from './convert.js';
import { deleteImage, findImage, imageStatusOf, isArchived, pushImage, readManifest, recordPull, resolveImage } from './images.js';

// ECR's image actions over the one manifest service (images.ts): what the registry's /v2
// routes do to images, these do with ECR's request and response shapes.

/** ListImages and DescribeImages return up to 100 entries a page when maxResults is not given. */
const DEFAULT_PAGE_SIZE = 100;
/** ListImageReferrers returns up to 50 referrers a page when maxResults is not given (API_ListImageReferrers). */
const DEFAULT_REFERRERS_PAGE_SIZE = 50;
/** How many records one store read fetches while filling a filtered page. */
const SCAN_CHUNK = 200;

/** The characters ECR accepts in a tag it stores. */
const IMAGE_TAG_FORM = '[a-zA-Z0-9-_.]+';
const IMAGE_TAG = /^[a-zA-Z0-9_.-]+$/;

/** The digest form ECR's ImageFailure quotes (InvalidImageDigest). */
const IMAGE_DIGEST = /^[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+$/;

const failureReasons = {
  MissingDigestAndTag: 'Invalid request parameters: both tag and digest cannot be null',
  InvalidImageDigest: "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
  ImageNotFound: 'Requested image not found',
  ImageInaccessible: 'The requested image is archived and cannot be pulled',
  ImageTagDoesNotMatchDigest: 'Invalid image tag for image digest',
} as const;

type IdFailureCode = keyof typeof failureReasons;

const failureOf = (imageId: ImageIdentifier, failureCode: IdFailureCode): ImageFailure => ({
  imageId,
  failureCode,
  failureReason: failureReasons[failureCode],
});

/** Why an image id cannot name an image, before looking it up; undefined when it is well formed. */
function malformed(imageId: ImageIdentifier): IdFailureCode | undefined {
  if (imageId.imageDigest === undefined && imageId.imageTag === undefined) return 'MissingDigestAndTag';
  if (imageId.imageDigest !== undefined && !IMAGE_DIGEST.test(imageId.imageDigest)) return 'InvalidImageDigest';
  return undefined;
}

/** Ids as given, each distinct one once (ECR answers a repeated id once). */
function distinctIds(imageIds: ImageIdentifier[]): ImageIdentifier[] {
  const seen = new Set<string>();
  return imageIds.filter((id) => {
    const key = JSON.stringify([id.imageDigest ?? null, id.imageTag ?? null]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const reference = (imageId: ImageIdentifier): { tag?: string; digest?: string } => ({
  tag: imageId.imageTag,
  digest: imageId.imageDigest,
});

/** ImageNotFound, or ImageTagDoesNotMatchDigest when the digest exists without that tag. */
async function notFoundCode(store: Store, scope: Scope, repositoryName: string, imageId: ImageIdentifier): Promise<IdFailureCode> {
  if (imageId.imageDigest !== undefined && imageId.imageTag !== undefined) {
    if (await findImage(store, scope, repositoryName, imageId.imageDigest)) return 'ImageTagDoesNotMatchDigest';
  }
  return 'ImageNotFound';
}

function tagged(image: ImageRecord, tagStatus: TagStatus | undefined): boolean {
  if (tagStatus === 'TAGGED') return image.tags.length > 0;
  if (tagStatus === 'UNTAGGED') return image.tags.length === 0;
  return true;
}

/**
 * The imageStatus filter: only ACTIVE images when none is given (API_ListImagesFilter). Berth
 * restores archived images at once, so no image is ever ACTIVATING.
 */
const statusMatches = (filter: string | undefined, status: 'ACTIVE' | 'ARCHIVED'): boolean =>
  filter === 'ANY' || (filter ?? 'ACTIVE') === status;

function imageDetail(scope: Scope, repositoryName: string, image: ImageRecord, scan: ScanRecord | undefined): ImageDetail {
  return {
    registryId: scope.accountId,
    repositoryName,
    imageDigest: image.digest,
    ...(image.tags.length ? { imageTags: [...image.tags] } : {}),
    imageSizeInBytes: image.sizeBytes,
    imagePushedAt: new Date(image.pushedAt),
    imageManifestMediaType: image.manifestMediaType,
    ...(image.artifactMediaType ? { artifactMediaType: image.artifactMediaType } : {}),
    ...(image.lastPulledAt !== undefined ? { lastRecordedPullTime: new Date(image.lastPulledAt) } : {}),
    imageStatus: imageStatusOf(image),
    ...(image.lastArchivedAt !== undefined ? { lastArchivedAt: new Date(image.lastArchivedAt) } : {}),
    ...(image.lastActivatedAt !== undefined ? { lastActivatedAt: new Date(image.lastActivatedAt) } : {}),
    ...(image.subject ? { subjectManifestDigest: image.subject } : {}),
    ...scanSummary(scan),
  };
}

/** The repository's images in key (digest) order, strictly after `afterDigest`, read a chunk at a time. */
async function* imagesAfter(store: Store, scope: Scope, repositoryName: string, afterDigest?: string): AsyncGenerator<ImageRecord> {
  const prefix = repositoryEntriesPrefix(scope, repositoryName);
  let after = afterDigest === undefined ? undefined : imageKey(scope, repositoryName, afterDigest);
  for (;;) {
    const entries = await store.tables.images.list(prefix, { after, limit: SCAN_CHUNK });
    for (const [, image] of entries) yield image;
    if (entries.length < SCAN_CHUNK) return;
    after = entries[entries.length - 1][0];
  }
}

/** A page's position: the listing's last entry, as the token carries it. */
function decodeToken(listing: string, token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const last = decodePageToken(listing, token);
  if (last === undefined) throw invalidParameterAt('nextToken', 'Invalid nextToken provided');
  return last;
}

/** ListImages' position: the last id returned (a digest, and its tag when it was a tagged entry). */
function decodeImageIdToken(token: string | undefined): { digest: string; tag?: string } | undefined {
  const last = decodeToken('imageIds', token);
  if (last === undefined) return undefined;
  try {
    const [digest, tag] = JSON.parse(last) as [unknown, unknown];
    if (typeof digest === 'string' && (tag === null || typeof tag === 'string')) return { digest, tag: tag ?? undefined };
  } catch {
    // fall through
  }
  throw invalidParameterAt('nextToken', 'Invalid nextToken provided');
}

export function imageHandlers(
  deps: FeatureDeps,
): Pick<EcrHandlers, 'PutImage' | 'BatchGetImage' | 'BatchDeleteImage' | 'DescribeImages' | 'ListImages' | 'ListImageReferrers'> {
  const { store } = deps;

  /** One requested id's answer: the image as the client accepts it, or why not. */
  async function getImage(
    scope: Scope,
    repositoryName: string,
    imageId: ImageIdentifier,
    accepted: string[],
  ): Promise<{ image: Image; record: ImageRecord } | { failure: ImageFailure }> {
    const invalid = malformed(imageId);
    if (invalid) return { failure: failureOf(imageId, invalid) };
    const record = await resolveImage(store, scope, repositoryName, reference(imageId));
    const bytes = record && (await readManifest(store, scope, repositoryName, record.digest));
    if (!record || !bytes) return { failure: failureOf(imageId, await notFoundCode(store, scope, repositoryName, imageId)) };
    if (isArchived(record)) return { failure: failureOf(imageId, 'ImageInaccessible') };

    const stored = { mediaType: record.manifestMediaType, bytes };
    // ECR converts only on a pull by tag; by digest the client must accept what is stored.
    const byTag = imageId.imageTag !== undefined && imageId.imageDigest === undefined;
    const served = await negotiateManifest(
      stored,
      accepted,
      (digest) => store.blobs.readAll(digest),
      byTag ? { repositoryName, tag: imageId.imageTag! } : undefined,
    );
    // Nothing the client accepts: ECR reports the image as not found for this request.
    if (!served || (!byTag && served.mediaType !== stored.mediaType)) return { failure: failureOf(imageId, 'ImageNotFound') };
    const converted = served.bytes !== bytes;
    const digest = converted ? manifestDigest(served) : record.digest;
    return {
      record,
      image: {
        registryId: scope.accountId,
        repositoryName,
        imageId: { imageDigest: digest, ...(imageId.imageTag !== undefined ? { imageTag: imageId.imageTag } : {}) },
        imageManifest: served.bytes.toString('utf8'),
        imageManifestMediaType: served.mediaType,
      },
    };
  }

  return {
    async PutImage(context, input) {
      const scope = targetScope(context, input.registryId);
      // The model leaves tags free-form (1-300 characters); ECR checks their characters itself.
      if (input.imageTag !== undefined && !IMAGE_TAG.test(input.imageTag)) {
        throw invalidParameterAt('imageTag', `must satisfy regular expression '${IMAGE_TAG_FORM}'`);
      }
      const bytes = Buffer.from(input.imageManifest, 'utf8');
      const { image } = await pushImage(
        deps,
        scope,
        input.repositoryName,
        { bytes, declaredType: input.imageManifestMediaType, tag: input.imageTag, expectedDigest: input.imageDigest },
        { refuseUnchanged: true },
      );
      return {
        image: {
          registryId: scope.accountId,
          repositoryName: input.repositoryName,
          imageId: { imageDigest: image.digest, ...(input.imageTag !== undefined ? { imageTag: input.imageTag } : {}) },
          imageManifest: input.imageManifest,
          imageManifestMediaType: image.manifestMediaType,
        },
      };
    },

    async BatchGetImage(context, input) {
      const scope = targetScope(context, input.registryId);
      await requireRepository(store, scope, input.repositoryName);
      const accepted = parseAccept(input.acceptedMediaTypes);
      const images: Image[] = [];
      const failures: ImageFailure[] = [];
      const pulled = new Map<string, ImageRecord>();
      for (const imageId of distinctIds(input.imageIds)) {
        const answer = await getImage(scope, input.repositoryName, imageId, accepted);
        if ('failure' in answer) {
          failures.push(answer.failure);
        } else {
          images.push(answer.image);
          pulled.set(answer.record.digest, answer.record);
        }
      }
      // BatchGetImage is how ECR's own clients pull a manifest: it counts as a pull.
      for (const record of pulled.values()) await recordPull(deps, scope, input.repositoryName, record);
      return { images, failures };
    },

    async BatchDeleteImage(context, input) {
      const scope = targetScope(context, input.registryId);
      await requireRepository(store, scope, input.repositoryName);
      const imageIds: ImageIdentifier[] = [];
      const failures: ImageFailure[] = [];
      for (const imageId of distinctIds(input.imageIds)) {
        const invalid = malformed(imageId);
        if (invalid) {
          failures.push(failureOf(imageId, invalid));
          continue;
        }
        const outcome = await deleteImage(store, scope, input.repositoryName, reference(imageId));
        if ('failure' in outcome) {
          failures.push({ imageId, failureCode: outcome.failure, failureReason: outcome.reason });
        } else if (outcome.untagged) {
          imageIds.push({ imageDigest: outcome.untagged.digest, imageTag: imageId.imageTag });
        } else if (imageId.imageDigest === undefined) {
          // By tag, and it was the image's last tag: the image went with it.
          imageIds.push({ imageDigest: outcome.deleted.digest, imageTag: imageId.imageTag });
        } else {
          // By digest, the image and every tag go: one id per tag, or the bare digest.
          const { digest, tags } = outcome.deleted;
          if (tags.length === 0) imageIds.push({ imageDigest: digest });
          for (const tag of tags) imageIds.push({ imageDigest: digest, imageTag: tag });
        }
      }
      return { imageIds, failures };
    },

    async DescribeImages(context, input) {
      const scope = targetScope(context, input.registryId);
      const scanOf = (image: ImageRecord) => store.tables.scans.get(scanKey(scope, input.repositoryName, image.digest));
      await requireRepository(store, scope, input.repositoryName);
      if (input.imageIds) {
        if (input.maxResults !== undefined) throw invalidParameterAt('maxResults', 'maxResults cannot be used together with imageIds');
        if (input.nextToken !== undefined) throw invalidParameterAt('nextToken', 'nextToken cannot be used together with imageIds');
        const details = new Map<string, ImageDetail>();
        for (const imageId of distinctIds(input.imageIds)) {
          const image = malformed(imageId) ? undefined : await resolveImage(store, scope, input.repositoryName, reference(imageId));
          if (!image) throw imageNotFound(scope, input.repositoryName, imageId);
          if (!details.has(image.digest)) details.set(image.digest, imageDetail(scope, input.repositoryName, image, await scanOf(image)));
        }
        return { imageDetails: [...details.values()] };
      }

      const afterDigest = decodeToken('images', input.nextToken);
      const pageSize = input.maxResults ?? DEFAULT_PAGE_SIZE;
      const page: ImageRecord[] = [];
      let more = false;
      for await (const image of imagesAfter(store, scope, input.repositoryName, afterDigest)) {
        if (!tagged(image, input.filter?.tagStatus) || !statusMatches(input.filter?.imageStatus, imageStatusOf(image))) continue;
        if (page.length === pageSize) {
          more = true;
          break;
        }
        page.push(image);
      }
      return {
        imageDetails: await Promise.all(page.map(async (image) => imageDetail(scope, input.repositoryName, image, await scanOf(image)))),
        nextToken: more ? encodePageToken('images', page[page.length - 1].digest) : undefined,
      };
    },

    async ListImages(context, input) {
      const scope = targetScope(context, input.registryId);
      await requireRepository(store, scope, input.repositoryName);
      const position = decodeImageIdToken(input.nextToken);
      const pageSize = input.maxResults ?? DEFAULT_PAGE_SIZE;
      const tagStatus = input.filter?.tagStatus;
      const page: ImageIdentifier[] = [];
      let more = false;

      /** The ids one image contributes: one per tag (after `afterTag` when resuming inside it), or its bare digest. */
      const idsOf = (image: ImageRecord, afterTag?: string): ImageIdentifier[] => {
        if (!tagged(image, tagStatus) || !statusMatches(input.filter?.imageStatus, imageStatusOf(image))) return [];
        if (image.tags.length === 0) return afterTag === undefined ? [{ imageDigest: image.digest }] : [];
        return image.tags.filter((tag) => afterTag === undefined || tag > afterTag).map((tag) => ({ imageDigest: image.digest, imageTag: tag }));
      };
      const add = (ids: ImageIdentifier[]): boolean => {
        for (const id of ids) {
          if (page.length === pageSize) {
            more = true;
            return false;
          }
          page.push(id);
        }
        return true;
      };

      // A page can end among one image's tags: the rest of that image's tags come first.
      const resumed = position?.tag !== undefined ? await findImage(store, scope, input.repositoryName, position.digest) : undefined;
      let open = !resumed || add(idsOf(resumed, position!.tag));
      if (open) {
        for await (const image of imagesAfter(store, scope, input.repositoryName, position?.digest)) {
          open = add(idsOf(image));
          if (!open) break;
        }
      }
      const last = page[page.length - 1];
      return {
        imageIds: page,
        nextToken: more ? encodePageToken('imageIds', JSON.stringify([last.imageDigest, last.imageTag ?? null])) : undefined,
      };
    },

    async ListImageReferrers(context, input) {
      const scope = targetScope(context, input.registryId);
      await requireRepository(store, scope, input.repositoryName);
      const subject = input.subjectId.imageDigest;
      if (!IMAGE_DIGEST.test(subject)) {
        throw invalidParameterAt('subjectId.imageDigest', `image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'`);
      }
      const afterDigest = decodeToken('referrers', input.nextToken);
      const pageSize = input.maxResults ?? DEFAULT_REFERRERS_PAGE_SIZE;
      const artifactTypes = input.filter?.artifactTypes?.length ? input.filter.artifactTypes : undefined;

      const prefix = referrersPrefix(scope, input.repositoryName, subject);
      const referrers: ImageReferrer[] = [];
      let more = false;
      let after = afterDigest === undefined ? undefined : `${prefix}${afterDigest}`;
      scan: for (;;) {
        const entries = await store.tables.referrers.list(prefix, { after, limit: SCAN_CHUNK });
        for (const [key, referrer] of entries) {
          if (artifactTypes && !(referrer.artifactType !== undefined && artifactTypes.includes(referrer.artifactType))) continue;
          // Without a filter ECR lists ACTIVE artifacts only.
          const artifact = await findImage(store, scope, input.repositoryName, key.slice(prefix.length));
          const artifactStatus = artifact ? imageStatusOf(artifact) : 'ACTIVE';
          if (!statusMatches(input.filter?.artifactStatus, artifactStatus)) continue;
          if (referrers.length === pageSize) {
            more = true;
            break scan;
          }
          referrers.push({
            digest: key.slice(prefix.length),
            mediaType: referrer.mediaType,
            size: referrer.size,
            ...(referrer.artifactType !== undefined ? { artifactType: referrer.artifactType } : {}),
            ...(referrer.annotations ? { annotations: referrer.annotations } : {}),
            artifactStatus,
          });
        }
        if (entries.length < SCAN_CHUNK) break;
        after = entries[entries.length - 1][0];
      }
      return {
        referrers,
        nextToken: more ? encodePageToken('referrers', referrers[referrers.length - 1].digest) : undefined,
      };
    },
  };
}
