import type { Clock } from '../../lib/clock.js';
import type { Scope } from '../../lib/scope.js';
import type { Store } from '../../store/store.js';
import { findImage, readManifest } from '../images/images.js';
import { isIndexType, parseManifest } from '../images/manifest.js';
import { findingSeverityCounts, toEnhancedImageScanFindings, toImageScanFindings } from './findings.js';
import { ScanFailure } from './inventory.js';
import { matchInventory, osvEcosystems } from './match.js';
import type { VulnDb } from './osv-db.js';
import { isScannableLayerType, readImageInventory, type ScanLimits } from './read-layers.js';

// One scan of one image: its layers are streamed from the blob store through the layer reader
// (read-layers.ts), the package inventory is matched against the OSV database (match.ts), and
// the findings are kept in the shape the registry's scan type reports (findings.ts).

export interface ScanDeps {
  store: Store;
  clock: Clock;
  /** The loaded vulnerability database; undefined when none is configured. */
  vulnDb(): Promise<VulnDb | undefined>;
  limits?: Partial<ScanLimits>;
}

export interface ScanOutcome {
  status: 'COMPLETE' | 'FAILED';
  description: string;
  findings: unknown[];
  severityCounts: Record<string, number>;
  vulnerabilitySourceUpdatedAt?: number;
}

/** ECR's own descriptions (as its API answers them). */
export const SCAN_COMPLETE = 'The scan was completed successfully.';
export const UNSUPPORTED_IMAGE = 'UnsupportedImageError: The operating system and/or package manager are not supported.';
export const NO_DATABASE =
  'The image was read but no vulnerability database is configured: start Berth with --vuln-db <directory of OSV records> (or BERTH_VULN_DB) to get findings.';

/** Why an image cannot be scanned at all (StartImageScan's UnsupportedImageTypeException); undefined when it can. */
export function unscannableReason(manifestMediaType: string, layers: Array<{ mediaType?: string }>): string | undefined {
  if (isIndexType(manifestMediaType)) return 'The operation is not supported for manifest lists or image indexes; scan each image it references.';
  if (layers.length === 0 || layers.some((layer) => !isScannableLayerType(layer.mediaType ?? ''))) {
    return 'The operation is not supported for this image type: only container images with filesystem layers can be scanned.';
  }
  return undefined;
}

export const failed = (description: string): ScanOutcome => ({ status: 'FAILED', description, findings: [], severityCounts: {} });

/** Scans one image; `signal` aborting (the scan was given up) stops the reading of its layers. */
export async function scanImage(
  deps: ScanDeps,
  scope: Scope,
  repositoryName: string,
  digest: string,
  scanType: 'BASIC' | 'ENHANCED',
  signal?: AbortSignal,
): Promise<ScanOutcome> {
  const { store } = deps;
  const image = await findImage(store, scope, repositoryName, digest);
  const bytes = image && (await readManifest(store, scope, repositoryName, digest));
  if (!image || !bytes) return failed('The image no longer exists.');
  const manifest = parseManifest(bytes, image.manifestMediaType);
  const unscannable = unscannableReason(manifest.mediaType, manifest.layers);
  if (unscannable) return failed(`UnsupportedImageError: ${unscannable}`);

  let inventory;
  try {
    inventory = await readImageInventory(
      manifest.layers.map((layer) => ({
        mediaType: layer.mediaType ?? '',
        digest: layer.digest,
        open: async () => store.blobs.read(layer.digest),
      })),
      deps.limits,
      signal,
    );
  } catch (error) {
    if (error instanceof ScanFailure) return failed(error.reason);
    throw error;
  }
  if (osvEcosystems(inventory.os).length === 0 || inventory.packages.length === 0) return failed(UNSUPPORTED_IMAGE);

  const db = await deps.vulnDb();
  if (!db) return { status: 'COMPLETE', description: NO_DATABASE, findings: [], severityCounts: {} };
  const matches = matchInventory(db, inventory);
  const now = deps.clock.now();
  const findings =
    scanType === 'ENHANCED'
      ? toEnhancedImageScanFindings(matches, { firstObservedAt: now, lastObservedAt: now, awsAccountId: scope.accountId })
      : toImageScanFindings(matches);
  return {
    status: 'COMPLETE',
    description: SCAN_COMPLETE,
    // Stored as JSON: dates become ISO strings, turned back into dates when described.
    findings: JSON.parse(JSON.stringify(findings)) as unknown[],
    severityCounts: findingSeverityCounts(findings),
    ...(db.stats.updatedAt ? { vulnerabilitySourceUpdatedAt: db.stats.updatedAt.getTime() } : {}),
  };
}
