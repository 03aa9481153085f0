import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tar, type LayerEntry } from '../e2e/oci-images.js';
import { descriptorOf, imageConfig, MEDIA, ociManifest, pushBlob, putManifest, sha256 } from './registry.js';
import type { TestServer } from './server.js';

// Images with real filesystems for the scanner: gzipped tar layers holding os-release and
// package databases, pushed through /v2, and small OSV databases written to a temp directory.

export const debianOsRelease = (versionId = '12'): LayerEntry => ({
  name: 'etc/os-release',
  content: `PRETTY_NAME="Debian GNU/Linux ${versionId} (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="${versionId}"\nVERSION_CODENAME=bookworm\nID=debian\n`,
});

export const alpineOsRelease = (versionId = '3.19.1'): LayerEntry => ({
  name: 'etc/os-release',
  content: `NAME="Alpine Linux"\nID=alpine\nVERSION_ID=${versionId}\nPRETTY_NAME="Alpine Linux v3.19"\n`,
});

export interface DpkgPackage {
  name: string;
  version: string;
  source?: string;
  status?: string;
}

export const dpkgStanza = (pkg: DpkgPackage): string =>
  [
    `Package: ${pkg.name}`,
    `Status: ${pkg.status ?? 'install ok installed'}`,
    'Architecture: amd64',
    ...(pkg.source ? [`Source: ${pkg.source}`] : []),
    `Version: ${pkg.version}`,
    'Description: test package',
    '',
  ].join('\n');

export const dpkgStatus = (packages: DpkgPackage[]): LayerEntry => ({
  name: 'var/lib/dpkg/status',
  content: packages.map(dpkgStanza).join('\n'),
});

export const apkInstalled = (packages: Array<{ name: string; version: string; origin?: string }>): LayerEntry => ({
  name: 'lib/apk/db/installed',
  content: packages.map((pkg) => `C:Q1abc=\nP:${pkg.name}\nV:${pkg.version}\nA:x86_64\no:${pkg.origin ?? pkg.name}\n`).join('\n'),
});

export const gzipLayer = (entries: LayerEntry[]): Buffer => gzipSync(tar(entries));

/** Pushes the layers and a config through /v2 and returns the OCI manifest naming them (not yet put). */
export async function pushLayerBlobs(server: Pick<TestServer, 'endpoint'>, repositoryName: string, tag: string, layers: Buffer[], layerMediaType: string = MEDIA.ociLayer): Promise<Buffer> {
  for (const layer of layers) await pushBlob(server, repositoryName, layer);
  const configBytes = imageConfig(layers, `${repositoryName}:${tag}`);
  await pushBlob(server, repositoryName, configBytes);
  return ociManifest(
    descriptorOf(MEDIA.ociConfig, configBytes),
    layers.map((layer) => descriptorOf(layerMediaType, layer)),
  );
}

/** Pushes an OCI image whose layers are the given (already compressed) blobs; resolves with its digest. */
export async function pushLayers(server: Pick<TestServer, 'endpoint'>, repositoryName: string, tag: string, layers: Buffer[], layerMediaType: string = MEDIA.ociLayer): Promise<string> {
  const manifest = await pushLayerBlobs(server, repositoryName, tag, layers, layerMediaType);
  const reply = await putManifest(server, repositoryName, tag, manifest, MEDIA.ociManifest);
  if (reply.status !== 201) throw new Error(`manifest PUT answered ${reply.status}: ${reply.text}`);
  return sha256(manifest);
}

export interface OsvRecord {
  id: string;
  modified?: string;
  aliases?: string[];
  summary?: string;
  details?: string;
  severity?: Array<{ type: string; score: string }>;
  affected: Array<{
    package: { ecosystem: string; name: string };
    ranges?: Array<{ type: 'ECOSYSTEM'; events: Array<Record<string, string>> }>;
    versions?: string[];
    ecosystem_specific?: Record<string, unknown>;
  }>;
  references?: Array<{ type: string; url: string }>;
}

/** An OSV record affecting one package from `introduced` (default 0) until `fixed`. */
export function osvRecord(id: string, ecosystem: string, name: string, fixed: string | undefined, extra: Partial<OsvRecord> = {}): OsvRecord {
  return {
    id,
    modified: '2026-11-01T00:00:00Z',
    summary: `${id} in ${name}`,
    details: `A test vulnerability in ${name}.`,
    affected: [
      {
        package: { ecosystem, name },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, ...(fixed ? [{ fixed }] : [])] }],
      },
    ],
    references: [{ type: 'ADVISORY', url: `https://security-tracker.example/${id}` }],
    ...extra,
  };
}

/** Writes each record as <dir>/<id>.json; resolves with the directory and a remover. */
export async function writeOsvDatabase(records: OsvRecord[]): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'berth-osv-'));
  await mkdir(join(path, 'nested'), { recursive: true });
  for (const [index, record] of records.entries()) {
    // Some in a subdirectory: the loader reads the tree.
    await writeFile(join(path, index % 2 ? 'nested' : '', `${record.id}.json`), JSON.stringify(record));
  }
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
