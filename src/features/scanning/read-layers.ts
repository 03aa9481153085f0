// Reads an image's filesystem, layer by layer, for what a vulnerability scan needs: the
// operating system (os-release) and the installed packages (dpkg or apk databases). Layers are
// streamed: only the few files of interest are kept, every other entry's body is skipped as it
// passes, and whiteouts are applied as each layer is laid over the ones below it.

import type { Header } from 'tar-stream';
import { messageOf } from './error-message.js';
import { type ImageInventory, type InstalledPackage, ScanFailure } from './inventory.js';
import { isScannableLayerType, layerTarBytes, type LayerSource } from './layer-stream.js';
import { LayeredTree } from './layer-tree.js';
import { parseApkInstalled, parseDpkgStatus, parseOsRelease } from './package-dbs.js';
import { ScanBudget, scanLimits, type ScanLimits } from './scan-limits.js';
import { tarEntries } from './tar-entries.js';

export { isScannableLayerType, type LayerSource } from './layer-stream.js';
export { DEFAULT_SCAN_LIMITS, type ScanLimits } from './scan-limits.js';

// os-release(5): /etc/os-release wins, /usr/lib/os-release is the fallback.
const OS_RELEASE_PATHS = ['etc/os-release', 'usr/lib/os-release'];
const DPKG_STATUS = 'var/lib/dpkg/status';
const DPKG_STATUS_DIR = 'var/lib/dpkg/status.d';
const APK_INSTALLED = 'lib/apk/db/installed';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_WHITEOUT = '.wh..wh..opq';

/**
 * Whether a file's contents are kept. Besides the exact paths read in the end, files that look
 * like them wherever they are (any `os-release`, any `dpkg/status`): a symlink such as
 * etc/os-release -> ../usr/lib/os-release, or a symlinked directory such as merged /usr's lib ->
 * usr/lib, can lead to them, and by the time the link is seen the file may have passed.
 */
function isKeptPath(path: string): boolean {
  const endsWith = (suffix: string): boolean => path === suffix || path.endsWith(`/${suffix}`);
  if (endsWith('os-release') || endsWith('dpkg/status') || endsWith('apk/db/installed')) return true;
  // distroless: one stanza file per package in status.d, beside its (unneeded) .md5sums.
  return /(?:^|\/)dpkg\/status\.d\/[^/]+$/.test(path) && !path.endsWith('.md5sums');
}

/** An entry's path relative to the image root; `..` anywhere is an attempt to write outside it. */
function normalizeEntryPath(name: string, layerDigest: string): string {
  const segments: string[] = [];
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      throw new ScanFailure(`Layer ${layerDigest} has an entry whose path leaves the image root: ${name}`);
    }
    segments.push(segment);
  }
  return segments.join('/');
}

function parentAndName(path: string): [string, string] {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? ['', path] : [path.slice(0, slash), path.slice(slash + 1)];
}

function childPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

async function readLayer(layer: LayerSource, tree: LayeredTree, budget: ScanBudget, signal: AbortSignal | undefined): Promise<void> {
  const digest = layer.digest;
  tree.beginLayer(digest);
  for await (const entry of tarEntries(layerTarBytes(layer, budget, signal), digest)) {
    budget.spendEntry(digest);
    const header: Header = entry.header;
    const path = normalizeEntryPath(header.name, digest);
    if (path === '') continue; // the root directory itself
    const [parent, name] = parentAndName(path);

    if (name === OPAQUE_WHITEOUT) {
      tree.addOpaque(parent);
      continue;
    }
    if (name.startsWith(WHITEOUT_PREFIX)) {
      const hidden = name.slice(WHITEOUT_PREFIX.length);
      // `.wh..wh.*` other than the opaque marker are AUFS bookkeeping, not whiteouts.
      if (hidden.startsWith(WHITEOUT_PREFIX) || hidden === '' || hidden === '.') continue;
      tree.addWhiteout(normalizeEntryPath(childPath(parent, hidden), digest));
      continue;
    }

    switch (header.type) {
      case 'directory':
        tree.addDirectory(path);
        break;
      case 'symlink':
        tree.addSymlink(path, header.linkname ?? '');
        break;
      case 'link':
        tree.addHardlink(path, normalizeEntryPath(header.linkname ?? '', digest), isKeptPath(path));
        break;
      case 'file':
      case 'contiguous-file':
        if (isKeptPath(path)) {
          tree.reserve(header.size, path, digest);
          tree.addFile(path, await entry.read());
        } else {
          tree.addOther(path);
        }
        break;
      default:
        // Devices, fifos, and typeflags tar-stream does not know: nothing to read in them.
        tree.addOther(path);
    }
  }
}

function textOf(tree: LayeredTree, path: string): string | undefined {
  const found = tree.resolve(path);
  return found?.node.kind === 'file' ? found.node.content.toString('utf8') : undefined;
}

function dpkgPackages(tree: LayeredTree): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  const status = textOf(tree, DPKG_STATUS);
  if (status !== undefined) packages.push(...parseDpkgStatus(status));
  const dir = tree.resolve(DPKG_STATUS_DIR);
  if (dir?.node.kind === 'dir') {
    for (const name of [...dir.node.children.keys()].sort()) {
      if (name.endsWith('.md5sums')) continue;
      const text = textOf(tree, childPath(dir.path, name));
      if (text !== undefined) packages.push(...parseDpkgStatus(text));
    }
  }
  return packages;
}

function distinct(packages: InstalledPackage[]): InstalledPackage[] {
  const seen = new Map<string, InstalledPackage>();
  for (const pkg of packages) {
    const key = [pkg.format, pkg.name, pkg.version, pkg.arch ?? ''].join('\0');
    if (!seen.has(key)) seen.set(key, pkg);
  }
  return [...seen.values()];
}

function inventoryOf(tree: LayeredTree): ImageInventory {
  const inventory: ImageInventory = { packages: [] };
  for (const path of OS_RELEASE_PATHS) {
    const text = textOf(tree, path);
    if (text !== undefined) {
      inventory.os = parseOsRelease(text);
      break;
    }
  }
  const apk = textOf(tree, APK_INSTALLED);
  inventory.packages = distinct([...dpkgPackages(tree), ...(apk === undefined ? [] : parseApkInstalled(apk))]);
  return inventory;
}

/**
 * The operating system and installed packages of an image, from its layers in manifest order
 * (base first). Throws ScanFailure, with a reason fit for imageScanStatus.description, for
 * anything that stops the scan: a layer that is not a filesystem, cannot be read, is corrupt or
 * hostile, or passes one of the limits, or once `signal` aborts.
 */
export async function readImageInventory(layers: LayerSource[], limits: Partial<ScanLimits> = {}, signal?: AbortSignal): Promise<ImageInventory> {
  for (const layer of layers) {
    if (!isScannableLayerType(layer.mediaType)) {
      throw new ScanFailure(
        `UnsupportedImageError: layer ${layer.digest} has media type ${layer.mediaType}, which is not a filesystem layer`,
      );
    }
  }
  const budget = new ScanBudget(scanLimits(limits));
  const tree = new LayeredTree(budget.limits.maxInterestingFileBytes);
  for (const layer of layers) {
    try {
      await readLayer(layer, tree, budget, signal);
    } catch (error) {
      if (error instanceof ScanFailure) throw error;
      throw new ScanFailure(`Layer ${layer.digest} could not be read: ${messageOf(error)}`);
    }
    tree.commitLayer();
  }
  return inventoryOf(tree);
}
