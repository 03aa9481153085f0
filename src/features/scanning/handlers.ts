import { decodePageToken, encodePageToken } from '../../lib/page-token.js';
import type { Scope } from '../../lib/scope.js';
import { ecrError } from '../../model/errors.js';
import type { EnhancedImageScanFinding, ImageIdentifier, ImageScanFinding, ImageScanFindings } from '../../model/generated/types.js';
import type { EcrHandlers } from '../../model/handlers.js';
import { scanKey } from '../../store/keys.js';
import type { ImageRecord } from '../../store/records.js';
import { targetScope, type FeatureDeps } from '../deps.js';
import { isArchived, readManifest, requireImage } from '../images/images.js';
import { parseManifest } from '../images/manifest.js';
import { imageIdText, invalidParameterAt } from '../messages.js';
import { requireRepository } from '../repositories/lookup.js';
import { unscannableReason } from './scan-image.js';
import type { ScanService } from './scan-service.js';

// StartImageScan and DescribeImageScanFindings (API reference), over the scan service.

/** DescribeImageScanFindings returns up to 100 findings a page when maxResults is not given. */
const DEFAULT_PAGE_SIZE = 100;

/** Enhanced findings hold dates; the stored JSON has them as ISO strings. */
const DATE_FIELDS = new Set(['firstObservedAt', 'lastObservedAt', 'updatedAt', 'vendorCreatedAt', 'vendorUpdatedAt', 'pushedAt', 'lastInUseAt']);
function reviveDates(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reviveDates);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [key, DATE_FIELDS.has(key) && typeof field === 'string' ? new Date(field) : reviveDates(field)]),
  );
}

export function scanningHandlers(deps: FeatureDeps & { scans: ScanService }): Pick<EcrHandlers, 'StartImageScan' | 'DescribeImageScanFindings'> {
  const { store, scans } = deps;

  async function requireImageIn(scope: Scope, repositoryName: string, imageId: ImageIdentifier): Promise<ImageRecord> {
    await requireRepository(store, scope, repositoryName);
    return requireImage(store, scope, repositoryName, imageId);
  }

  const answeredId = (image: ImageRecord, imageId: ImageIdentifier): ImageIdentifier => ({
    imageDigest: image.digest,
    ...(imageId.imageTag !== undefined ? { imageTag: imageId.imageTag } : {}),
  });

  return {
    async StartImageScan(context, input) {
      const scope = targetScope(context, input.registryId);
      const repositoryName = input.repositoryName;
      const image = await requireImageIn(scope, repositoryName, input.imageId);
      if (isArchived(image)) throw ecrError('ImageArchivedException', 'The specified image is archived and cannot be scanned.');
      const bytes = await readManifest(store, scope, repositoryName, image.digest);
      const manifest = bytes ? parseManifest(bytes, image.manifestMediaType) : undefined;
      const unscannable = manifest ? unscannableReason(manifest.mediaType, manifest.layers) : 'The image has no manifest.';
      if (unscannable) throw ecrError('UnsupportedImageTypeException', unscannable);

      // The 24-hour limit of basic scans and a scan already in progress are the service's to judge, under its lock.
      const record = await scans.start(scope, repositoryName, image.digest, { manual: true });
      return {
        registryId: scope.accountId,
        repositoryName,
        imageId: answeredId(image, input.imageId),
        imageScanStatus: { status: record.status },
      };
    },

    async DescribeImageScanFindings(context, input) {
      const scope = targetScope(context, input.registryId);
      const repositoryName = input.repositoryName;
      const image = await requireImageIn(scope, repositoryName, input.imageId);
      const scan = await store.tables.scans.get(scanKey(scope, repositoryName, image.digest));
      if (!scan) {
        throw ecrError(
          'ScanNotFoundException',
          `Image scan does not exist for the image with '${imageIdText(input.imageId)}' in the repository with name '${repositoryName}' in the registry with id '${scope.accountId}'`,
        );
      }
      const base = {
        registryId: scope.accountId,
        repositoryName,
        imageId: answeredId(image, input.imageId),
        imageScanStatus: { status: scan.status, ...(scan.description ? { description: scan.description } : {}) },
      };
      if (scan.status !== 'COMPLETE') return base;

      const all = scan.findings ?? [];
      let start = 0;
      if (input.nextToken !== undefined) {
        const position = decodePageToken('scanFindings', input.nextToken);
        start = position === undefined ? -1 : Number(position);
        if (!Number.isInteger(start) || start < 0 || start > all.length) throw invalidParameterAt('nextToken', 'Invalid nextToken provided');
      }
      const end = start + (input.maxResults ?? DEFAULT_PAGE_SIZE);
      const page = all.slice(start, end);
      const findings: ImageScanFindings = {
        ...(scan.completedAt !== undefined ? { imageScanCompletedAt: new Date(scan.completedAt) } : {}),
        ...(scan.vulnerabilitySourceUpdatedAt !== undefined ? { vulnerabilitySourceUpdatedAt: new Date(scan.vulnerabilitySourceUpdatedAt) } : {}),
        findingSeverityCounts: scan.severityCounts ?? {},
        ...(scan.scanType === 'ENHANCED'
          ? { enhancedFindings: reviveDates(page) as EnhancedImageScanFinding[] }
          : { findings: page as ImageScanFinding[] }),
      };
      return {
        ...base,
        imageScanFindings: findings,
        ...(end < all.length ? { nextToken: encodePageToken('scanFindings', String(end)) } : {}),
      };
    },
  };
}
