// Small OSV records shaped like the Debian and Alpine exports (field for field: `upstream` CVE
// links, Debian's `ecosystem_specific.urgency`, enumerated `versions`, DSA advisories beside the
// per-CVE records), written to a temporary directory the way all.zip unpacks.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadVulnDb, type VulnDb } from '../../../src/features/scanning/osv-db.js';

export type OsvRecord = Record<string, unknown>;

export const CVSS_CRITICAL_9_8 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';

/** CVE-2023-5363 (OpenSSL key/IV length processing), as the Debian export carries it. */
export const debianOpensslCve: OsvRecord = {
  id: 'DEBIAN-CVE-2023-5363',
  modified: '2024-09-03T05:15:21Z',
  published: '2023-10-25T18:17:43Z',
  upstream: ['CVE-2023-5363'],
  details:
    'Issue summary: A bug has been identified in the processing of key and initialisation vector (IV) lengths.',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }],
  affected: [
    {
      package: { name: 'openssl', ecosystem: 'Debian:12', purl: 'pkg:deb/debian/openssl?arch=source' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.11-1~deb12u2' }] }],
      versions: ['3.0.8-1', '3.0.9-1', '3.0.11-1~deb12u1'],
      ecosystem_specific: { urgency: 'not yet assigned' },
      database_specific: { source: 'https://storage.googleapis.com/cve-osv-conversion/osv-output/CVE-2023-5363.json' },
    },
    {
      package: { name: 'openssl', ecosystem: 'Debian:13', purl: 'pkg:deb/debian/openssl?arch=source' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.12-1' }] }],
    },
  ],
  references: [{ type: 'ADVISORY', url: 'https://www.openssl.org/news/secadv/20231024.txt' }],
};

/** The DSA that shipped the fix for CVE-2023-5363 (and CVE-2023-4807) in bookworm. */
export const debianOpensslDsa: OsvRecord = {
  id: 'DSA-5532-1',
  modified: '2023-10-24T00:00:00Z',
  published: '2023-10-24T00:00:00Z',
  summary: 'openssl - security update',
  upstream: ['CVE-2023-5363', 'CVE-2023-4807'],
  affected: [
    {
      package: { name: 'openssl', ecosystem: 'Debian:12' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.11-1~deb12u2' }] }],
    },
  ],
  references: [{ type: 'ADVISORY', url: 'https://www.debian.org/security/2023/dsa-5532' }],
};

/** CVE-2023-4807 (POLY1305 MAC on Windows x64): the DSA's other CVE, with its own record too. */
export const debianOpensslCve4807: OsvRecord = {
  id: 'DEBIAN-CVE-2023-4807',
  modified: '2024-02-01T00:00:00Z',
  upstream: ['CVE-2023-4807'],
  affected: [
    {
      package: { name: 'openssl', ecosystem: 'Debian:12' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.11-1~deb12u2' }] }],
      ecosystem_specific: { urgency: 'unimportant' },
    },
  ],
};

/** CVE-2011-3374 (apt): unfixed, rated unimportant by Debian, no CVSS vector in the record. */
export const debianAptUnfixed: OsvRecord = {
  id: 'DEBIAN-CVE-2011-3374',
  modified: '2025-01-14T10:20:30Z',
  upstream: ['CVE-2011-3374'],
  details: 'It was found that apt-key in apt, all versions, do not correctly validate gpg keys.',
  affected: [
    {
      package: { name: 'apt', ecosystem: 'Debian:12' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
      ecosystem_specific: { urgency: 'unimportant' },
    },
  ],
};

/** CVE-2024-28085 ("WallEscape"): tracked under the source util-linux, installed as bsdutils etc. */
export const debianUtilLinux: OsvRecord = {
  id: 'DEBIAN-CVE-2024-28085',
  modified: '2024-12-01T00:00:00Z',
  upstream: ['CVE-2024-28085'],
  affected: [
    {
      package: { name: 'util-linux', ecosystem: 'Debian:12' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.38.1-5+deb12u1' }] }],
      ecosystem_specific: { urgency: 'low' },
    },
  ],
};

/** A withdrawn record: must never match. */
export const debianWithdrawn: OsvRecord = {
  id: 'DEBIAN-CVE-2020-99999',
  modified: '2021-03-01T00:00:00Z',
  withdrawn: '2021-03-01T00:00:00Z',
  upstream: ['CVE-2020-99999'],
  affected: [
    {
      package: { name: 'apt', ecosystem: 'Debian:12' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
    },
  ],
};

/** Alpine 3.18's record for CVE-2023-5363: openssl origin, fixed in 3.1.4-r0. */
export const alpineOpenssl: OsvRecord = {
  id: 'ALPINE-CVE-2023-5363',
  modified: '2024-06-10T00:00:00Z',
  upstream: ['CVE-2023-5363'],
  details: 'Issue summary: A bug has been identified in the processing of key and initialisation vector (IV) lengths.',
  affected: [
    {
      package: { name: 'openssl', ecosystem: 'Alpine:v3.18' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.1.4-r0' }] }],
    },
  ],
};

/** A record for another ecosystem entirely: loaded past, never indexed. */
export const pypiRecord: OsvRecord = {
  id: 'GHSA-j8r2-6x86-q33q',
  modified: '2024-05-20T00:00:00Z',
  affected: [
    {
      package: { name: 'requests', ecosystem: 'PyPI' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.31.0' }] }],
    },
  ],
};

/** A test directory; `files` maps relative paths to records (serialized) or raw text. */
export async function writeOsvDir(files: Record<string, OsvRecord | OsvRecord[] | string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-osv-'));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A database of exactly these records, loaded the way --vuln-db loads a directory (then removed). */
export async function vulnDbOf(...records: OsvRecord[]): Promise<VulnDb> {
  const dir = await writeOsvDir(Object.fromEntries(records.map((record) => [`${String(record.id)}.json`, record])));
  try {
    return await loadVulnDb(dir);
  } finally {
    await removeDir(dir);
  }
}

/** A Debian record for a made-up package with the given ranges / versions, for range semantics. */
export function debianRecord(id: string, name: string, affected: Record<string, unknown>): OsvRecord {
  return {
    id,
    modified: '2024-01-01T00:00:00Z',
    upstream: [id.replace(/^DEBIAN-/, '')],
    affected: [{ package: { name, ecosystem: 'Debian:12' }, ...affected }],
  };
}
