// Bounds on the work and memory one scan may spend on an image's layers. An image is untrusted
// input: a layer can be a decompression bomb, a tar with millions of entries, or a "package
// database" of gigabytes. Each limit turns such an image into a ScanFailure instead of a scan
// that runs for hours or exhausts memory.

import { ScanFailure } from './inventory.js';

export interface ScanLimits {
  /**
   * Tar bytes (after decompression) read across all layers together. Default 16 GiB. This is what
   * stops a decompression bomb: reading is streamed, so a bomb costs time, not memory, and this
   * bounds the time.
   */
  maxUncompressedBytes: number;
  /** Tar entries across all layers together. Default 1,000,000. */
  maxEntries: number;
  /**
   * Bytes the scan holds in memory at once for the filesystem it rebuilds: the contents of the
   * os-release files and package databases it keeps, plus the names and targets of the symlinks
   * and directories it keeps to resolve them (summed). A single such file larger than this fails
   * the scan rather than being skipped, since skipping it would report an incomplete package list
   * as a complete one. Default 64 MiB (a full Debian dpkg status is a few MiB; 100,000 symlinks
   * with their names and targets, a few MiB more).
   */
  maxInterestingFileBytes: number;
  /**
   * Largest zstd window a layer may declare. The decoder (fzstd) allocates the whole window up
   * front and moves it along for every 128 KiB block it decodes, so the window bounds memory and
   * sets the cost per byte: 200 MiB of output takes about 0.8 s with an 8 MiB window and 15 s with
   * 128 MiB. Default 32 MiB: enough for zstd's levels up to 20 and for the 8 MiB RFC 8878 asks
   * every decoder to handle; `--ultra -21/-22` and `--long` layers need a higher limit.
   */
  maxZstdWindowBytes: number;
  /**
   * Wall-clock seconds one scan may take before it is given up as FAILED. A backstop, not a
   * budget: the limits above already bound the work (16 GiB of tar reads in minutes), so this only
   * fires if something below the scanner stops answering, e.g. a blob store that never delivers
   * the rest of a layer; without it, that scan would stay IN_PROGRESS and hold up every scan
   * queued behind it. Default 3600 (an hour).
   */
  maxScanSeconds: number;
}

// No compression-ratio limit: gzip cannot exceed about 1032:1, so a ratio limit would say
// nothing maxUncompressedBytes does not, while zstd legitimately reaches far higher ratios on
// zero-filled files (sparse disk images, preallocated databases). A bomb is stopped by the
// uncompressed total, with memory flat throughout.

export const DEFAULT_SCAN_LIMITS: Readonly<ScanLimits> = Object.freeze({
  maxUncompressedBytes: 16 * 1024 ** 3,
  maxEntries: 1_000_000,
  maxInterestingFileBytes: 64 * 1024 ** 2,
  maxZstdWindowBytes: 32 * 1024 ** 2,
  maxScanSeconds: 3600,
});

export function scanLimits(overrides: Partial<ScanLimits> = {}): ScanLimits {
  const limits = { ...DEFAULT_SCAN_LIMITS };
  for (const key of Object.keys(limits) as Array<keyof ScanLimits>) {
    const value = overrides[key];
    if (value !== undefined) limits[key] = value;
  }
  return limits;
}

/** Spends one budget across all layers of an image; throws ScanFailure once a limit is passed. */
export class ScanBudget {
  private uncompressedBytes = 0;
  private entries = 0;

  constructor(readonly limits: ScanLimits) {}

  spendBytes(bytes: number, layerDigest: string): void {
    this.uncompressedBytes += bytes;
    if (this.uncompressedBytes > this.limits.maxUncompressedBytes) {
      throw new ScanFailure(
        `Layer ${layerDigest} decompresses past the limit of ${this.limits.maxUncompressedBytes} bytes for the whole image (a decompression bomb, or an image too large to scan)`,
      );
    }
  }

  spendEntry(layerDigest: string): void {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) {
      throw new ScanFailure(`Layer ${layerDigest} takes the image past the limit of ${this.limits.maxEntries} files`);
    }
  }
}
