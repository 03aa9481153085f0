import type { ImageScanFindingsSummary, ImageScanStatus } from '../../model/generated/types.js';
import type { ScanRecord } from '../../store/records.js';

/** What DescribeImages says about an image's scan (imageScanStatus, imageScanFindingsSummary). */
export function scanSummary(scan: ScanRecord | undefined): { imageScanStatus?: ImageScanStatus; imageScanFindingsSummary?: ImageScanFindingsSummary } {
  if (!scan) return {};
  return {
    imageScanStatus: { status: scan.status, ...(scan.description ? { description: scan.description } : {}) },
    ...(scan.status === 'COMPLETE'
      ? {
          imageScanFindingsSummary: {
            findingSeverityCounts: scan.severityCounts ?? {},
            ...(scan.completedAt !== undefined ? { imageScanCompletedAt: new Date(scan.completedAt) } : {}),
            ...(scan.vulnerabilitySourceUpdatedAt !== undefined ? { vulnerabilitySourceUpdatedAt: new Date(scan.vulnerabilitySourceUpdatedAt) } : {}),
          },
        }
      : {}),
  };
}
