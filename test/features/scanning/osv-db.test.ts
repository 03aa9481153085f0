import { loadVulnDb } from '../../../src/features/scanning/osv-db.js';
import {
  alpineOpenssl,
  debianAptUnfixed,
  debianOpensslCve,
  debianOpensslDsa,
  debianRecord,
  debianUtilLinux,
  debianWithdrawn,
  pypiRecord,
  removeDir,
  writeOsvDir,
} from './osv-fixtures.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});

async function osvDir(files: Parameters<typeof writeOsvDir>[0]): Promise<string> {
  const dir = await writeOsvDir(files);
  dirs.push(dir);
  return dir;
}

test('reads one record per *.json file, recursively, and indexes affected packages by (ecosystem, name)', async () => {
  const dir = await osvDir({
    'DEBIAN-CVE-2023-5363.json': debianOpensslCve,
    'DEBIAN-CVE-2011-3374.json': debianAptUnfixed,
    'nested/deeper/DEBIAN-CVE-2024-28085.json': debianUtilLinux,
    'README.txt': 'not a record, not a .json file',
  });
  const db = await loadVulnDb(dir);

  expect(db.stats).toEqual({ entries: 3, skipped: 0, withdrawn: 0, updatedAt: new Date('2025-01-14T10:20:30Z') });
  const [bookworm] = db.affected('Debian:12', 'openssl');
  expect(bookworm).toMatchObject({
    ecosystem: 'Debian:12',
    name: 'openssl',
    format: 'dpkg',
    vendorSeverity: 'not yet assigned',
    ranges: [[{ kind: 'introduced', version: '0' }, { kind: 'fixed', version: '3.0.11-1~deb12u2' }]],
  });
  // The enumerated versions all lie inside the range, so none is kept beside it.
  expect(bookworm?.versions).toBeUndefined();
  expect(bookworm?.vulnerability).toMatchObject({
    id: 'DEBIAN-CVE-2023-5363',
    aliases: ['CVE-2023-5363'],
    published: new Date('2023-10-25T18:17:43Z'),
    modified: new Date('2024-09-03T05:15:21Z'),
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }],
    references: [{ type: 'ADVISORY', url: 'https://www.openssl.org/news/secadv/20231024.txt' }],
  });
  expect(db.affected('Debian:13', 'openssl')).toHaveLength(1);
  expect(db.affected('Debian:12', 'util-linux')).toHaveLength(1);
  expect(db.affected('Debian:11', 'openssl')).toHaveLength(0);
  // Both Debian:12 and Debian:13 entries point at one shared description of the vulnerability.
  expect(db.affected('Debian:13', 'openssl')[0]?.vulnerability).toBe(bookworm?.vulnerability);
});

test('skips and counts files that are not JSON or not OSV records, without failing the load', async () => {
  const dir = await osvDir({
    'DEBIAN-CVE-2023-5363.json': debianOpensslCve,
    'truncated.json': '{"id": "DEBIAN-CVE-2024-0001", "affected": [',
    'empty.json': '',
    'no-id.json': { modified: '2024-01-01T00:00:00Z', affected: [] },
    'no-modified.json': { id: 'DEBIAN-CVE-2024-0002', affected: [] },
    'a-string.json': '"just a string"',
  });
  const db = await loadVulnDb(dir);
  expect(db.stats.entries).toBe(1);
  expect(db.stats.skipped).toBe(5);
  expect(db.affected('Debian:12', 'openssl')).toHaveLength(1);
});

test('withdrawn records are counted but not indexed', async () => {
  const dir = await osvDir({ 'a.json': debianWithdrawn, 'b.json': debianAptUnfixed });
  const db = await loadVulnDb(dir);
  expect(db.stats).toMatchObject({ entries: 1, withdrawn: 1, skipped: 0 });
  expect(db.affected('Debian:12', 'apt').map((entry) => entry.vulnerability.id)).toEqual(['DEBIAN-CVE-2011-3374']);
});

test('a file may hold a JSON array of records, and the path may be that file itself', async () => {
  const dir = await osvDir({
    'all.json': [debianOpensslCve, alpineOpenssl, { id: 'broken' }, debianOpensslDsa],
  });
  const fromDir = await loadVulnDb(dir);
  expect(fromDir.stats).toMatchObject({ entries: 3, skipped: 1 });
  const fromFile = await loadVulnDb(`${dir}/all.json`);
  expect(fromFile.stats).toEqual(fromDir.stats);
  expect(fromFile.affected('Alpine:v3.18', 'openssl')).toHaveLength(1);
  // Entries for one package are kept in id order, whatever order the files were read in.
  expect(fromFile.affected('Debian:12', 'openssl').map((entry) => entry.vulnerability.id)).toEqual([
    'DEBIAN-CVE-2023-5363',
    'DSA-5532-1',
  ]);
});

test('records of ecosystems the matcher cannot use are passed over, not counted as entries or errors', async () => {
  const dir = await osvDir({ 'pypi.json': pypiRecord, 'apt.json': debianAptUnfixed });
  const db = await loadVulnDb(dir);
  expect(db.stats).toMatchObject({ entries: 1, skipped: 0, withdrawn: 0 });
  expect(db.affected('PyPI', 'requests')).toEqual([]);
});

test('keeps only the enumerated versions that the ranges do not cover, and sorts range events', async () => {
  const dir = await osvDir({
    'x.json': debianRecord('DEBIAN-CVE-2024-1000', 'examplepkg', {
      ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: '2.1-1' }, { introduced: '2.0-1' }] }],
      versions: ['2.0-1', '2.0-3', '1.5-2'],
    }),
    'git.json': debianRecord('DEBIAN-CVE-2024-1001', 'gitonly', {
      ranges: [{ type: 'GIT', repo: 'https://example.org/repo.git', events: [{ introduced: '0' }, { fixed: 'abc123' }] }],
    }),
  });
  const db = await loadVulnDb(dir);
  const [entry] = db.affected('Debian:12', 'examplepkg');
  expect(entry?.ranges).toEqual([
    [
      { kind: 'introduced', version: '2.0-1' },
      { kind: 'fixed', version: '2.1-1' },
    ],
  ]);
  expect([...(entry?.versions ?? [])]).toEqual(['1.5-2']);
  // A record whose only ranges are GIT commits says nothing about distribution versions.
  expect(db.affected('Debian:12', 'gitonly')).toEqual([]);
  expect(db.stats.entries).toBe(1);
});

test('an empty directory is an empty database', async () => {
  const db = await loadVulnDb(await osvDir({}));
  expect(db.stats).toEqual({ entries: 0, skipped: 0, withdrawn: 0 });
});

test('a missing path is an error the caller sees', async () => {
  await expect(loadVulnDb('/nonexistent/berth-osv-data')).rejects.toThrow(/ENOENT/);
});

test('memory while loading is bounded: a file over maxFileBytes is skipped unread, and a tight maxBytesInFlight reads the same database', async () => {
  const dir = await osvDir({
    'all.json': [debianOpensslCve, alpineOpenssl, debianOpensslDsa],
    'a.json': debianAptUnfixed,
    'b.json': debianUtilLinux,
  });
  const whole = await loadVulnDb(dir);
  expect(whole.stats).toMatchObject({ entries: 5, skipped: 0 });
  // One byte in flight: every file is read alone, one after another.
  const serial = await loadVulnDb(dir, { maxBytesInFlight: 1 });
  expect(serial.stats).toEqual(whole.stats);
  expect(serial.affected('Debian:12', 'openssl').map((entry) => entry.vulnerability.id)).toEqual(
    whole.affected('Debian:12', 'openssl').map((entry) => entry.vulnerability.id),
  );
  // The array file is the only one over 2 KiB: it is skipped, the small ones are read.
  const capped = await loadVulnDb(dir, { maxFileBytes: 2048 });
  expect(capped.stats).toMatchObject({ entries: 2, skipped: 1 });
  expect(capped.affected('Alpine:v3.18', 'openssl')).toEqual([]);
});
