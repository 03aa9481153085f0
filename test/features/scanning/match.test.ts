import type { ImageInventory, InstalledPackage } from '../../../src/features/scanning/inventory.js';
import { matchInventory, osvEcosystems } from '../../../src/features/scanning/match.js';
import type { VulnDb } from '../../../src/features/scanning/osv-db.js';
import {
  alpineOpenssl,
  debianAptUnfixed,
  debianOpensslCve,
  debianRecord,
  debianUtilLinux,
  debianWithdrawn,
  vulnDbOf,
} from './osv-fixtures.js';


const bookworm = { id: 'debian', versionId: '12', versionCodename: 'bookworm' };

function dpkg(name: string, version: string, source?: { name: string; version?: string }): InstalledPackage {
  const pkg: InstalledPackage = { format: 'dpkg', name, version, arch: 'amd64' };
  if (source) {
    pkg.sourceName = source.name;
    if (source.version) pkg.sourceVersion = source.version;
  }
  return pkg;
}

function matched(db: VulnDb, inventory: ImageInventory): Array<[string, string, string | undefined]> {
  return matchInventory(db, inventory).map((match) => [match.vulnerability.id, match.package.name, match.fixedInVersion]);
}

describe('OS to OSV ecosystems', () => {
  test.each([
    [{ id: 'debian', versionId: '12' }, ['Debian:12', 'Debian']],
    [{ id: 'debian', versionId: '11' }, ['Debian:11', 'Debian']],
    [{ id: 'debian' }, ['Debian']],
    [{ id: 'ubuntu', versionId: '22.04' }, ['Ubuntu:22.04:LTS', 'Ubuntu:22.04', 'Ubuntu']],
    [{ id: 'alpine', versionId: '3.19.1' }, ['Alpine:v3.19', 'Alpine']],
    [{ id: 'alpine', versionId: '3.18.4' }, ['Alpine:v3.18', 'Alpine']],
    [{ id: 'fedora', versionId: '39' }, []],
  ])('%j -> %j', (os, ecosystems) => {
    expect(osvEcosystems(os)).toEqual(ecosystems);
  });
});

describe('Debian', () => {
  test('a version before the fix is matched, with the fix; the fixed version and later ones are not', async () => {
    const db = await vulnDbOf(debianOpensslCve);
    const inventory = (version: string): ImageInventory => ({
      os: bookworm,
      packages: [dpkg('openssl', version), dpkg('libssl3', version, { name: 'openssl' })],
    });
    expect(matched(db, inventory('3.0.9-1'))).toEqual([
      ['DEBIAN-CVE-2023-5363', 'openssl', '3.0.11-1~deb12u2'],
      ['DEBIAN-CVE-2023-5363', 'libssl3', '3.0.11-1~deb12u2'],
    ]);
    // `~` sorts before anything: 3.0.11-1~deb12u1 is older than the fix.
    expect(matched(db, inventory('3.0.11-1~deb12u1'))).toHaveLength(2);
    expect(matched(db, inventory('3.0.11-1~deb12u2'))).toEqual([]);
    expect(matched(db, inventory('3.0.15-1~deb12u1'))).toEqual([]);
  });

  test('matching is by source package, comparing the source version (a binNMU binary carries an epoch its source lacks)', async () => {
    const db = await vulnDbOf(debianUtilLinux);
    const vulnerable = dpkg('bsdutils', '1:2.38.1-5+b1', { name: 'util-linux', version: '2.38.1-5' });
    const fixed = dpkg('bsdutils', '1:2.38.1-5+deb12u1', { name: 'util-linux', version: '2.38.1-5+deb12u1' });
    const unrelated = dpkg('util-linux-extra', '2.38.1-5+b1', { name: 'something-else' });
    expect(matched(db, { os: bookworm, packages: [vulnerable, fixed, unrelated] })).toEqual([
      ['DEBIAN-CVE-2024-28085', 'bsdutils', '2.38.1-5+deb12u1'],
    ]);
    const [match] = matchInventory(db, { os: bookworm, packages: [vulnerable] });
    expect(match?.comparedVersion).toBe('2.38.1-5');
    expect(match?.affected.name).toBe('util-linux');
  });

  test('a package whose source the data does not know is looked up by its binary name', async () => {
    const db = await vulnDbOf(debianAptUnfixed);
    const apt = dpkg('apt', '2.6.1', { name: 'apt-source-renamed' });
    expect(matched(db, { os: bookworm, packages: [apt] })).toEqual([['DEBIAN-CVE-2011-3374', 'apt', undefined]]);
  });

  test('an unfixed vulnerability (introduced 0 only) matches every version and has no fix', async () => {
    const db = await vulnDbOf(debianAptUnfixed);
    expect(matched(db, { os: bookworm, packages: [dpkg('apt', '2.6.1')] })).toEqual([['DEBIAN-CVE-2011-3374', 'apt', undefined]]);
  });

  test('withdrawn records never match', async () => {
    const db = await vulnDbOf(debianWithdrawn);
    expect(matched(db, { os: bookworm, packages: [dpkg('apt', '2.6.1')] })).toEqual([]);
  });

  test('another Debian release, or another distribution, is not matched', async () => {
    const db = await vulnDbOf(debianOpensslCve);
    expect(matched(db, { os: { id: 'debian', versionId: '11' }, packages: [dpkg('openssl', '1.1.1n-0+deb11u4')] })).toEqual([]);
    expect(matched(db, { os: { id: 'ubuntu', versionId: '22.04' }, packages: [dpkg('openssl', '3.0.2-0ubuntu1.10')] })).toEqual([]);
    expect(matched(db, { packages: [dpkg('openssl', '3.0.9-1')] })).toEqual([]);
    // Debian:13's own range (fixed in 3.0.12-1) is the one that applies on trixie.
    expect(matched(db, { os: { id: 'debian', versionId: '13' }, packages: [dpkg('openssl', '3.0.11-1')] })).toEqual([
      ['DEBIAN-CVE-2023-5363', 'openssl', '3.0.12-1'],
    ]);
  });

  test('introduced and last_affected bound the range inclusively', async () => {
    const db = await vulnDbOf(
      debianRecord('DEBIAN-CVE-2024-2000', 'examplepkg', {
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.0-1' }, { last_affected: '2.3-1' }] }],
      }),
    );
    const at = (version: string) => matched(db, { os: bookworm, packages: [dpkg('examplepkg', version)] });
    expect(at('1.9-4')).toEqual([]);
    expect(at('2.0-1')).toEqual([['DEBIAN-CVE-2024-2000', 'examplepkg', undefined]]);
    expect(at('2.2-7')).toHaveLength(1);
    expect(at('2.3-1')).toHaveLength(1);
    expect(at('2.3-1+deb12u1')).toEqual([]);
    expect(at('1:1.0-1')).toEqual([]); // an epoch outranks the upstream version: 1:1.0-1 is newer than 2.3-1
  });

  test('several ranges and several intervals in one range: the fix is the one that closes the interval', async () => {
    const db = await vulnDbOf(
      debianRecord('DEBIAN-CVE-2024-3000', 'examplepkg', {
        ranges: [
          { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0-1' }, { introduced: '2.0-1' }, { fixed: '2.1-1' }] },
          { type: 'ECOSYSTEM', events: [{ introduced: '3.0-1' }, { fixed: '3.0-4' }] },
        ],
      }),
    );
    const at = (version: string) => matched(db, { os: bookworm, packages: [dpkg('examplepkg', version)] });
    expect(at('0.9-2')).toEqual([['DEBIAN-CVE-2024-3000', 'examplepkg', '1.0-1']]);
    expect(at('1.0-1')).toEqual([]);
    expect(at('1.5-1')).toEqual([]);
    expect(at('2.0-5')).toEqual([['DEBIAN-CVE-2024-3000', 'examplepkg', '2.1-1']]);
    expect(at('2.1-1')).toEqual([]);
    expect(at('3.0-3')).toEqual([['DEBIAN-CVE-2024-3000', 'examplepkg', '3.0-4']]);
    expect(at('3.0-4')).toEqual([]);
  });

  test('a limit event caps a range', async () => {
    const db = await vulnDbOf(
      debianRecord('DEBIAN-CVE-2024-3500', 'examplepkg', {
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { limit: '5.0-1' }] }],
      }),
    );
    const at = (version: string) => matched(db, { os: bookworm, packages: [dpkg('examplepkg', version)] });
    expect(at('4.9-1')).toHaveLength(1);
    expect(at('5.0-1')).toEqual([]);
  });

  test('an explicit versions list matches exactly those versions', async () => {
    const db = await vulnDbOf(
      debianRecord('DEBIAN-CVE-2024-4000', 'examplepkg', { versions: ['1.2-3', '1.4-1'] }),
      debianRecord('DEBIAN-CVE-2024-4001', 'otherpkg', {
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.0-1' }, { fixed: '2.2-1' }] }],
        versions: ['2.0-1', '1.1-1'],
      }),
    );
    const at = (name: string, version: string) => matched(db, { os: bookworm, packages: [dpkg(name, version)] });
    expect(at('examplepkg', '1.2-3')).toEqual([['DEBIAN-CVE-2024-4000', 'examplepkg', undefined]]);
    expect(at('examplepkg', '1.4-1')).toHaveLength(1);
    expect(at('examplepkg', '1.2-4')).toEqual([]);
    expect(at('examplepkg', '1.3-1')).toEqual([]);
    // Versions and ranges add up: 1.1-1 is listed though outside the range; its fix is the nearest one above.
    expect(at('otherpkg', '1.1-1')).toEqual([['DEBIAN-CVE-2024-4001', 'otherpkg', '2.2-1']]);
    expect(at('otherpkg', '2.1-1')).toEqual([['DEBIAN-CVE-2024-4001', 'otherpkg', '2.2-1']]);
    expect(at('otherpkg', '1.5-1')).toEqual([]);
  });

  test('a record with both Debian:12 and bare Debian entries matches a package once, through Debian:12', async () => {
    const db = await vulnDbOf({
      id: 'DEBIAN-CVE-2024-5000',
      modified: '2024-01-01T00:00:00Z',
      affected: [
        { package: { name: 'examplepkg', ecosystem: 'Debian' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] },
        {
          package: { name: 'examplepkg', ecosystem: 'Debian:12' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1-1' }] }],
        },
      ],
    });
    const matches = matchInventory(db, { os: bookworm, packages: [dpkg('examplepkg', '1.0-1')] });
    expect(matches.map((match) => [match.affected.ecosystem, match.fixedInVersion])).toEqual([['Debian:12', '1.1-1']]);
  });
});

describe('Ubuntu', () => {
  test('Ubuntu records name LTS releases Ubuntu:<version>:LTS', async () => {
    const db = await vulnDbOf({
      id: 'UBUNTU-CVE-2023-5363',
      modified: '2024-01-01T00:00:00Z',
      upstream: ['CVE-2023-5363'],
      affected: [
        {
          package: { name: 'openssl', ecosystem: 'Ubuntu:22.04:LTS' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.2-0ubuntu1.12' }] }],
        },
      ],
    });
    const packages = [dpkg('libssl3', '3.0.2-0ubuntu1.10', { name: 'openssl' })];
    expect(matched(db, { os: { id: 'ubuntu', versionId: '22.04' }, packages })).toEqual([
      ['UBUNTU-CVE-2023-5363', 'libssl3', '3.0.2-0ubuntu1.12'],
    ]);
    expect(matched(db, { os: { id: 'ubuntu', versionId: '24.04' }, packages })).toEqual([]);
  });
});

describe('Alpine', () => {
  const apk = (name: string, version: string, origin?: string): InstalledPackage =>
    origin ? { format: 'apk', name, version, sourceName: origin, arch: 'x86_64' } : { format: 'apk', name, version, arch: 'x86_64' };

  test('subpackages match through their origin; the fixed release does not match', async () => {
    const db = await vulnDbOf(alpineOpenssl);
    const os = { id: 'alpine', versionId: '3.18.4' };
    expect(matched(db, { os, packages: [apk('libssl3', '3.1.3-r0', 'openssl'), apk('libcrypto3', '3.1.3-r0', 'openssl')] })).toEqual([
      ['ALPINE-CVE-2023-5363', 'libssl3', '3.1.4-r0'],
      ['ALPINE-CVE-2023-5363', 'libcrypto3', '3.1.4-r0'],
    ]);
    expect(matched(db, { os, packages: [apk('libssl3', '3.1.4-r0', 'openssl')] })).toEqual([]);
    expect(matched(db, { os, packages: [apk('libssl3', '3.1.4-r5', 'openssl')] })).toEqual([]);
  });

  test('a record for Alpine v3.18 does not match an Alpine 3.19 image', async () => {
    const db = await vulnDbOf(alpineOpenssl);
    expect(matched(db, { os: { id: 'alpine', versionId: '3.19.1' }, packages: [apk('libssl3', '3.1.3-r0', 'openssl')] })).toEqual([]);
  });

  test('dpkg packages in an Alpine image are not compared with Alpine data', async () => {
    const db = await vulnDbOf(alpineOpenssl);
    expect(matched(db, { os: { id: 'alpine', versionId: '3.18.4' }, packages: [dpkg('openssl', '3.1.3-r0')] })).toEqual([]);
  });
});
