import { Readable } from 'node:stream';
import { parseDigest } from '../../lib/digest.js';
import type { Scope } from '../../lib/scope.js';
import { ecrError, type AwsError } from '../../model/errors.js';
import type { Layer, LayerFailure } from '../../model/generated/types.js';
import type { EcrHandlers } from '../../model/handlers.js';
import { UploadNotFoundError } from '../../store/blobs/blob-store.js';
import { repositoryEntriesPrefix } from '../../store/keys.js';
import type { Store } from '../../store/store.js';
import { targetScope, type FeatureDeps } from '../deps.js';
import { invalidParameterAt } from '../messages.js';
import { requireRepository } from '../repositories/lookup.js';
import { processDownloadSecret, signDownloadUrl } from './download-url.js';
import {
  appendToUpload,
  cancelUpload,
  completeUpload,
  findUpload,
  linkedBlob,
  startUpload,
  updateUpload,
  uploadSize,
} from './uploads.js';

// ECR's layer actions: the push side (InitiateLayerUpload, UploadLayerPart,
// CompleteLayerUpload), the check docker makes before pushing (BatchCheckLayerAvailability)
// and the pull side (GetDownloadUrlForLayer). Uploads are the same sessions the /v2 registry
// uses (uploads.ts), so a layer pushed through either door is visible through both.

/** ECR quotas for the layer-part API: every part but the last at least 5 MiB, none over 10 MiB. */
export const LAYER_PART_MIN_BYTES = 5 * 1024 * 1024;
export const LAYER_PART_MAX_BYTES = 10 * 1024 * 1024;
/** What InitiateLayerUpload advises: ECR answers 10485760, its maximum part. */
export const LAYER_PART_SIZE = LAYER_PART_MAX_BYTES;
/** The model's bound on layerPartBlob (the reference still says 20 MiB; the quota is lower). */
const LAYER_PART_BLOB_MODEL_MAX = 20_971_520;

const uploadLock = (id: string): string => `upload:${id}`;

const uploadNotFound = (scope: Scope, repositoryName: string, uploadId: string): AwsError =>
  ecrError(
    'UploadNotFoundException',
    `Upload with id '${uploadId}' is not found in the repository with name '${repositoryName}' in the registry with id '${scope.accountId}'`,
  );

/** A session whose bytes vanished (cancelled or collected meanwhile) is, to the client, not found. */
const whenUploadGone = (scope: Scope, repositoryName: string, uploadId: string) => (error: unknown): never => {
  throw error instanceof UploadNotFoundError ? uploadNotFound(scope, repositoryName, uploadId) : error;
};

const layersNotFound = (scope: Scope, repositoryName: string, digest: string): AwsError =>
  ecrError(
    'LayersNotFoundException',
    `The layer with digest '${digest}' does not exist within the repository with name '${repositoryName}' in the registry with id '${scope.accountId}'`,
  );

/** The part's bytes: the protocol hands blobs over as base64 text (or, later, as bytes). */
function partBytes(blob: string | Uint8Array): Buffer {
  return typeof blob === 'string' ? Buffer.from(blob, 'base64') : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
}

/** Whether any image of the repository references the blob (config or layer). */
async function referencedByImage(store: Store, scope: Scope, repositoryName: string, digest: string): Promise<boolean> {
  const images = await store.tables.images.list(repositoryEntriesPrefix(scope, repositoryName));
  return images.some(([, image]) => image.blobs.includes(digest));
}

type LayerActions = 'InitiateLayerUpload' | 'UploadLayerPart' | 'CompleteLayerUpload' | 'BatchCheckLayerAvailability' | 'GetDownloadUrlForLayer';

export function layerHandlers(deps: FeatureDeps): Pick<EcrHandlers, LayerActions> {
  const { store, clock } = deps;
  const downloadSecret = (): Buffer => deps.downloadSecret ?? processDownloadSecret();

  return {
    async InitiateLayerUpload(context, input) {
      const scope = targetScope(context, input.registryId);
      const upload = await startUpload(deps, scope, input.repositoryName);
      return { uploadId: upload.id, partSize: LAYER_PART_SIZE };
    },

    async UploadLayerPart(context, input) {
      const scope = targetScope(context, input.registryId);
      const { repositoryName, uploadId, partFirstByte, partLastByte } = input;
      const bytes = partBytes(input.layerPartBlob as string | Uint8Array);
      if (bytes.length > LAYER_PART_BLOB_MODEL_MAX) {
        throw invalidParameterAt('layerPartBlob', `must have length less than or equal to ${LAYER_PART_BLOB_MODEL_MAX}`);
      }
      await requireRepository(store, scope, repositoryName);
      // One part at a time per session: the position checks and the append must see the same size.
      return store.exclusive(uploadLock(uploadId), async () => {
        const record = await findUpload(store, scope, repositoryName, uploadId);
        if (!record) throw uploadNotFound(scope, repositoryName, uploadId);
        const received = await uploadSize(store, uploadId);
        const invalidPart = (message: string): AwsError =>
          ecrError('InvalidLayerPartException', message, {
            registryId: scope.accountId,
            repositoryName,
            uploadId,
            lastValidByteReceived: received - 1,
          });
        if (partFirstByte !== received) {
          throw invalidPart(
            `The part first byte '${partFirstByte}' is not consecutive to the last byte received '${received - 1}' of the upload with id '${uploadId}'`,
          );
        }
        if (partLastByte < partFirstByte || partLastByte - partFirstByte + 1 !== bytes.length) {
          throw invalidPart(
            `The part range '${partFirstByte}-${partLastByte}' does not match the size of the layer part blob, ${bytes.length} bytes`,
          );
        }
        if (bytes.length > LAYER_PART_MAX_BYTES) {
          throw invalidPart(`The layer part size ${bytes.length} exceeds the maximum of ${LAYER_PART_MAX_BYTES} bytes`);
        }
        // Only the last part may be small, and a part following a small one shows it was not the last.
        if (record.lastPartSmall) {
          throw ecrError('LayerPartTooSmallException', 'All layer parts except the last part should be at least 5MB');
        }
        const size = await appendToUpload(store, uploadId, Readable.from([bytes]));
        const lastPartSmall = bytes.length < LAYER_PART_MIN_BYTES;
        if (lastPartSmall !== Boolean(record.lastPartSmall)) await updateUpload(store, uploadId, { ...record, lastPartSmall });
        return { registryId: scope.accountId, repositoryName, uploadId, lastByteReceived: size - 1 };
      }).catch(whenUploadGone(scope, repositoryName, uploadId));
    },

    async CompleteLayerUpload(context, input) {
      const scope = targetScope(context, input.registryId);
      const { repositoryName, uploadId } = input;
      // The model takes a list, but an upload is one layer: the first digest names it.
      const digest = input.layerDigests[0]!;
      await requireRepository(store, scope, repositoryName);
      return store.exclusive(uploadLock(uploadId), async () => {
        const record = await findUpload(store, scope, repositoryName, uploadId);
        if (!record) throw uploadNotFound(scope, repositoryName, uploadId);
        if ((await uploadSize(store, uploadId)) === 0) {
          throw ecrError(
            'EmptyUploadException',
            `The upload with id '${uploadId}' in the repository with name '${repositoryName}' in registry with id '${scope.accountId}' cannot be completed because it does not have any parts`,
          );
        }
        if (!parseDigest(digest)) {
          throw ecrError('InvalidLayerException', `The layer digest '${digest}' is not a valid sha256 or sha512 digest`);
        }
        if (await linkedBlob(store, scope, repositoryName, digest)) {
          // The session's bytes are not needed: the repository has the layer already.
          await cancelUpload(store, uploadId);
          throw ecrError(
            'LayerAlreadyExistsException',
            `The layer with digest '${digest}' already exists in the repository with name '${repositoryName}' in the registry with id '${scope.accountId}'`,
          );
        }
        const result = await completeUpload(deps, uploadId, record, digest);
        if (!result.completed) {
          throw ecrError(
            'InvalidLayerException',
            `The calculated digest '${result.actual}' of the uploaded layer does not match the provided layer digest '${digest}'`,
          );
        }
        return { registryId: scope.accountId, repositoryName, uploadId, layerDigest: result.digest };
      }).catch(whenUploadGone(scope, repositoryName, uploadId));
    },

    async BatchCheckLayerAvailability(context, input) {
      const scope = targetScope(context, input.registryId);
      await requireRepository(store, scope, input.repositoryName);
      const layers: Layer[] = [];
      const failures: LayerFailure[] = [];
      for (const layerDigest of input.layerDigests) {
        if (!parseDigest(layerDigest)) {
          failures.push({ layerDigest, failureCode: 'InvalidLayerDigest', failureReason: 'Invalid layer digest' });
          continue;
        }
        const link = await linkedBlob(store, scope, input.repositoryName, layerDigest);
        if (link) layers.push({ layerDigest, layerAvailability: 'AVAILABLE', layerSize: link.size });
        else failures.push({ layerDigest, failureCode: 'MissingLayerDigest', failureReason: 'Could not find layer' });
      }
      return { layers, failures };
    },

    async GetDownloadUrlForLayer(context, input) {
      const scope = targetScope(context, input.registryId);
      const { repositoryName, layerDigest } = input;
      await requireRepository(store, scope, repositoryName);
      if (!parseDigest(layerDigest) || !(await linkedBlob(store, scope, repositoryName, layerDigest))) {
        throw layersNotFound(scope, repositoryName, layerDigest);
      }
      // ECR serves only layers some image uses; an unreferenced upload may be collected any time.
      if (!(await referencedByImage(store, scope, repositoryName, layerDigest))) {
        throw ecrError(
          'LayerInaccessibleException',
          `The layer with digest '${layerDigest}' in the repository with name '${repositoryName}' in the registry with id '${scope.accountId}' is not accessible because it is not associated with an image`,
        );
      }
      const host = deps.registryHost(scope, context.host);
      const downloadUrl = signDownloadUrl(downloadSecret(), host, { scope, repositoryName, digest: layerDigest }, clock.now());
      return { downloadUrl, layerDigest };
    },
  };
}
