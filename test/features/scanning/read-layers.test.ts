import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { ScanFailure } from '../../../src/features/scanning/inventory.js';
import { isScannableLayerType, readImageInventory, type LayerSource } from '../../../src/features/scanning/read-layers.js';
import { failure } from '../../helpers/failure.js';

const OCI_TAR = 'application/vnd.oci.image.layer.v1.tar';
const OCI_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const OCI_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
const DOCKER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

interface TarSpec {
  name: string;
  content?: string | Buffer;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
}

/** A real tar archive, written by tar-stream's packer. */
async function tarball(entries: TarSpec[]): Promise<Buffer> {
  const packer = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of packer) chunks.push(chunk as Buffer);
  })();
  for (const { name, content, type = 'file', linkname } of entries) {
    await new Promise<void>((resolve, reject) =>
      packer.entry({ name, type, linkname }, type === 'file' ? (content ?? '') : '', (error) => (error ? reject(error) : resolve())),
    );
  }
  packer.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/**
 * A zstd frame of raw (stored) blocks, built by hand from RFC 8878: real zstd that any decoder
 * accepts, without needing a zstd compressor.
 */
function zstdStored(data: Buffer): Buffer {
  const blockSize = 128 * 1024;
  // Magic, frame header descriptor (no checksum, no content size), window descriptor 2^17 = 128 KiB.
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3])];
  let offset = 0;
  do {
    const block = data.subarray(offset, offset + blockSize);
    offset += block.length;
    const last = offset >= data.length ? 1 : 0;
    const header = (block.length << 3) | last; // block type 0: raw
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), block);
  } while (offset < data.length);
  return Buffer.concat(parts);
}

const zstdCli = spawnSync('zstd', ['--version']).status === 0;
function zstdCompress(data: Buffer): Buffer {
  const result = spawnSync('zstd', ['-q', '-c', '-3'], { input: data, maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`zstd failed: ${result.stderr.toString()}`);
  return result.stdout;
}

let layerCount = 0;
/** A layer whose stream arrives in small chunks, as a blob read from disk or network would. */
function layer(mediaType: string, bytes: Buffer, chunkSize = 4096): LayerSource {
  layerCount += 1;
  return {
    mediaType,
    digest: `sha256:${layerCount.toString(16).padStart(64, '0')}`,
    open: async () => {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
      return Readable.from(chunks);
    },
  };
}

const gzLayer = async (entries: TarSpec[]) => layer(OCI_GZIP, gzipSync(await tarball(entries)));

async function scanFailure(call: Promise<unknown>): Promise<ScanFailure> {
  const error = await failure(call);
  expect(error).toBeInstanceOf(ScanFailure);
  return error as ScanFailure;
}

const DEBIAN_OS_RELEASE = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`;

const DPKG_STATUS = `Package: base-files
Status: install ok installed
Priority: required
Architecture: amd64
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files
 This package contains the basic filesystem hierarchy of a Debian system, and
 several important miscellaneous files.
Homepage: https://tracker.debian.org/pkg/base-files

Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Conffiles:
 /etc/ld.so.conf.d/x86_64-linux-gnu.conf d4e7a7b88a71b5ffd9e2644e71a0cfab

Package: libfoo1
Status: hold ok installed
Architecture: arm64
Source: foo (1.2-3)
Version: 1.2-3+b1

Package: oldpkg
Status: deinstall ok config-files
Architecture: amd64
Version: 0.9-1
`;

const debianPackages = [
  { format: 'dpkg', name: 'base-files', version: '12.4+deb12u5', sourceName: 'base-files', arch: 'amd64' },
  { format: 'dpkg', name: 'libc6', version: '2.36-9+deb12u4', sourceName: 'glibc', arch: 'amd64' },
  { format: 'dpkg', name: 'libfoo1', version: '1.2-3+b1', sourceName: 'foo', sourceVersion: '1.2-3', arch: 'arm64' },
];

const debianOs = { id: 'debian', versionId: '12', versionCodename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' };

const debianEntries: TarSpec[] = [
  { name: './', type: 'directory' },
  { name: './etc/', type: 'directory' },
  { name: './etc/os-release', content: DEBIAN_OS_RELEASE },
  { name: './etc/passwd', content: 'root:x:0:0:root:/root:/bin/bash\n' },
  { name: './var/lib/dpkg/', type: 'directory' },
  { name: './var/lib/dpkg/status', content: DPKG_STATUS },
  { name: './var/lib/dpkg/status-old', content: 'Package: stale\nStatus: install ok installed\nVersion: 1\n' },
];

function stanza(name: string, version: string, extra = ''): string {
  return `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n${extra}`;
}

describe('isScannableLayerType', () => {
  it('accepts OCI and Docker filesystem layers, compressed or not, and nothing else', () => {
    for (const type of [
      OCI_TAR,
      OCI_GZIP,
      OCI_ZSTD,
      'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
      DOCKER_GZIP,
      'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
      'application/vnd.docker.image.rootfs.diff.tar',
    ]) {
      expect([type, isScannableLayerType(type)]).toEqual([type, true]);
    }
    for (const type of [
      'application/vnd.oci.image.config.v1+json',
      'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
      'application/vnd.oci.empty.v1+json',
      'application/octet-stream',
      `${OCI_TAR}+bzip2`,
    ]) {
      expect([type, isScannableLayerType(type)]).toEqual([type, false]);
    }
  });
});

describe('readImageInventory', () => {
  it('reads a Debian-like image: os-release and the installed dpkg packages only', async () => {
    const inventory = await readImageInventory([await gzLayer(debianEntries)]);
    expect(inventory.os).toEqual(debianOs);
    expect(inventory.packages).toEqual(debianPackages);
  });

  it('reads the same image from a Docker gzip layer, an uncompressed tar, and a mislabelled one', async () => {
    const tar = await tarball(debianEntries);
    for (const source of [layer(DOCKER_GZIP, gzipSync(tar)), layer(OCI_TAR, tar), layer(OCI_TAR, gzipSync(tar)), layer(OCI_GZIP, tar)]) {
      const inventory = await readImageInventory([source]);
      expect(inventory.packages).toEqual(debianPackages);
      expect(inventory.os?.id).toBe('debian');
    }
  });

  it('reads zstd layers (stored blocks, and several frames of real zstd output)', async () => {
    const tar = await tarball([...debianEntries, { name: 'usr/share/filler', content: randomBytes(600_000) }]);
    expect((await readImageInventory([layer(OCI_ZSTD, zstdStored(tar))])).packages).toEqual(debianPackages);
    if (!zstdCli) {
      console.warn('zstd CLI not installed: the test of compressed (non-stored) zstd frames was skipped');
      return;
    }
    // Two frames, split mid-entry: a zstd stream may be any number of frames back to back.
    const half = Math.floor(tar.length / 2);
    const frames = Buffer.concat([zstdCompress(tar.subarray(0, half)), zstdCompress(tar.subarray(half))]);
    const inventory = await readImageInventory([layer(OCI_ZSTD, frames, 1000)]);
    expect(inventory.os).toEqual(debianOs);
    expect(inventory.packages).toEqual(debianPackages);
  });

  it('reads a distroless image: one dpkg stanza file per package in status.d', async () => {
    const inventory = await readImageInventory([
      await gzLayer([
        { name: 'etc/os-release', content: DEBIAN_OS_RELEASE },
        { name: 'var/lib/dpkg/status.d/base', content: stanza('base-files', '12.4+deb12u5') },
        { name: 'var/lib/dpkg/status.d/libssl3', content: stanza('libssl3', '3.0.11-1~deb12u2', 'Source: openssl\n') },
        { name: 'var/lib/dpkg/status.d/libssl3.md5sums', content: 'd41d8cd98f00b204e9800998ecf8427e  usr/lib/libssl.so.3\n' },
        // Distroless stanzas may leave Status out; a file may hold more than one stanza.
        { name: 'var/lib/dpkg/status.d/tzdata', content: 'Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n\nPackage: netbase\nVersion: 6.4\n' },
      ]),
    ]);
    expect(inventory.os?.versionCodename).toBe('bookworm');
    expect(inventory.packages).toEqual([
      { format: 'dpkg', name: 'base-files', version: '12.4+deb12u5', sourceName: 'base-files', arch: 'amd64' },
      { format: 'dpkg', name: 'libssl3', version: '3.0.11-1~deb12u2', sourceName: 'openssl', arch: 'amd64' },
      { format: 'dpkg', name: 'tzdata', version: '2024a-0+deb12u1', sourceName: 'tzdata', arch: 'all' },
      { format: 'dpkg', name: 'netbase', version: '6.4', sourceName: 'netbase' },
    ]);
  });

  it('reads an Alpine image: apk installed, and os-release through its symlink', async () => {
    const apkInstalled = [
      'C:Q1abc=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\nS:383152\nI:622592\nT:the musl c library\no:musl\nm:Natanael Copa\nt:1700000000\nc:abc\n',
      'P:busybox\nV:1.36.1-r15\nA:x86_64\no:busybox\nF:bin\nR:busybox\n',
      'P:libcrypto3\nV:3.1.4-r5\nA:x86_64\no:openssl\np:so:libcrypto.so.3=3\n',
    ].join('\n');
    const inventory = await readImageInventory([
      await gzLayer([
        { name: 'usr/lib/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n' },
        { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
        { name: 'lib/apk/db/installed', content: apkInstalled },
      ]),
    ]);
    expect(inventory.os).toEqual({ id: 'alpine', versionId: '3.19.1', prettyName: 'Alpine Linux v3.19' });
    expect(inventory.packages).toEqual([
      { format: 'apk', name: 'musl', version: '1.2.4_git20230717-r4', sourceName: 'musl', arch: 'x86_64' },
      { format: 'apk', name: 'busybox', version: '1.36.1-r15', sourceName: 'busybox', arch: 'x86_64' },
      { format: 'apk', name: 'libcrypto3', version: '3.1.4-r5', sourceName: 'openssl', arch: 'x86_64' },
    ]);
  });

  it('follows a hardlink, an absolute symlink and a symlinked directory to the files of interest', async () => {
    const inventory = await readImageInventory([
      await gzLayer([
        { name: 'usr/lib/os-release', content: 'ID=alpine\nVERSION_ID=3.20.0\n' },
        { name: 'usr/lib/apk/db/installed', content: 'P:zlib\nV:1.3.1-r1\no:zlib\n' },
        { name: 'etc/os-release', type: 'link', linkname: 'usr/lib/os-release' },
      ]),
      // merged /usr, added by a later layer: lib/apk/db/installed is now usr/lib/apk/db/installed
      await gzLayer([{ name: 'lib', type: 'symlink', linkname: '/usr/lib' }]),
    ]);
    expect(inventory.os).toEqual({ id: 'alpine', versionId: '3.20.0' });
    expect(inventory.packages).toEqual([{ format: 'apk', name: 'zlib', version: '1.3.1-r1', sourceName: 'zlib' }]);
  });

  it('treats a symlink loop as a missing file instead of following it forever', async () => {
    const inventory = await readImageInventory([
      await gzLayer([
        { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
        { name: 'usr/lib/os-release', type: 'symlink', linkname: '/etc/os-release' },
        { name: 'var/lib/dpkg', type: 'symlink', linkname: 'dpkg' },
      ]),
    ]);
    expect(inventory).toEqual({ packages: [] });
  });

  it('a package database replaced in a later layer is read as the later layer has it', async () => {
    const inventory = await readImageInventory([
      await gzLayer(debianEntries),
      await gzLayer([{ name: 'var/lib/dpkg/status', content: `${stanza('libc6', '2.36-9+deb12u7', 'Source: glibc\n')}\n${stanza('curl', '7.88.1-10+deb12u5')}` }]),
    ]);
    expect(inventory.os).toEqual(debianOs);
    expect(inventory.packages).toEqual([
      { format: 'dpkg', name: 'libc6', version: '2.36-9+deb12u7', sourceName: 'glibc', arch: 'amd64' },
      { format: 'dpkg', name: 'curl', version: '7.88.1-10+deb12u5', sourceName: 'curl', arch: 'amd64' },
    ]);
  });

  it('a whiteout deletes the dpkg status file (and a directory whiteout its subtree); a later layer may add it back', async () => {
    const base = await gzLayer(debianEntries);
    const deleted = await readImageInventory([base, await gzLayer([{ name: 'var/lib/dpkg/.wh.status' }])]);
    expect(deleted.packages).toEqual([]);
    expect(deleted.os).toEqual(debianOs);

    const dirDeleted = await readImageInventory([base, await gzLayer([{ name: 'var/lib/.wh.dpkg' }, { name: 'etc/.wh.os-release' }])]);
    expect(dirDeleted).toEqual({ packages: [] });

    const readded = await readImageInventory([
      base,
      await gzLayer([{ name: 'var/lib/dpkg/.wh.status' }]),
      await gzLayer([{ name: 'var/lib/dpkg/status', content: stanza('bash', '5.2.15-2+b7') }]),
    ]);
    expect(readded.packages).toEqual([{ format: 'dpkg', name: 'bash', version: '5.2.15-2+b7', sourceName: 'bash', arch: 'amd64' }]);
  });

  it('an opaque whiteout hides the lower layers\' directory contents, not the same layer\'s', async () => {
    const inventory = await readImageInventory([
      await gzLayer([
        { name: 'etc/os-release', content: DEBIAN_OS_RELEASE },
        { name: 'var/lib/dpkg/status', content: stanza('old', '1') },
        { name: 'var/lib/dpkg/status.d/lower', content: stanza('lower', '1') },
      ]),
      // The marker follows the layer's own file: whiteouts apply to lower layers only.
      await gzLayer([
        { name: 'var/lib/dpkg/status.d/upper', content: stanza('upper', '2') },
        { name: 'var/lib/dpkg/.wh..wh..opq' },
      ]),
    ]);
    expect(inventory.os?.id).toBe('debian');
    expect(inventory.packages).toEqual([{ format: 'dpkg', name: 'upper', version: '2', sourceName: 'upper', arch: 'amd64' }]);
  });

  it('fails on an unsupported layer media type before reading anything', async () => {
    let opened = false;
    const artifact: LayerSource = {
      mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
      digest: 'sha256:helm',
      open: async () => {
        opened = true;
        return Readable.from([]);
      },
    };
    const error = await scanFailure(readImageInventory([await gzLayer(debianEntries), artifact]));
    expect(error.reason).toMatch(/^UnsupportedImageError: layer sha256:helm has media type application\/vnd\.cncf\.helm/);
    expect(opened).toBe(false);
  });

  it('fails on a truncated gzip layer, naming the layer', async () => {
    const whole = gzipSync(await tarball(debianEntries));
    const truncated = layer(OCI_GZIP, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const error = await scanFailure(readImageInventory([truncated]));
    expect(error.reason).toBe(`Layer ${truncated.digest} is not valid gzip: unexpected end of file`);
  });

  it('fails on truncated, corrupt or oversized-window zstd', async () => {
    const stored = zstdStored(await tarball(debianEntries));
    const truncated = layer(OCI_ZSTD, stored.subarray(0, stored.length - 100));
    expect((await scanFailure(readImageInventory([truncated]))).reason).toBe(
      `Layer ${truncated.digest} is not valid zstd: the zstd stream is truncated (it ends inside a frame)`,
    );
    // A reserved block type (3) right after a valid frame header.
    const corrupt = layer(OCI_ZSTD, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38, 0x07, 0x00, 0x00]));
    expect((await scanFailure(readImageInventory([corrupt]))).reason).toMatch(/is not valid zstd: a zstd block has the reserved block type/);
    // A frame that asks for a 2 GiB window: refused before any memory is allocated for it.
    const hugeWindow = layer(OCI_ZSTD, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0x01, 0x00, 0x00]));
    expect((await scanFailure(readImageInventory([hugeWindow]))).reason).toBe(
      `Layer ${hugeWindow.digest} is not valid zstd: a zstd frame declares a 2147483648-byte window, over the limit of 33554432 bytes`,
    );
    // A legitimate window over the default limit is read once the limit is raised.
    const wideWindow = Buffer.from(zstdStored(await tarball(debianEntries)));
    wideWindow[5] = 16 << 3; // 2^26 = 64 MiB
    await scanFailure(readImageInventory([layer(OCI_ZSTD, wideWindow)]));
    const wide = await readImageInventory([layer(OCI_ZSTD, wideWindow)], { maxZstdWindowBytes: 64 * 1024 * 1024 });
    expect(wide.packages).toEqual(debianPackages);
  });

  it('fails on a corrupt tar and on a truncated one', async () => {
    const garbage = layer(OCI_TAR, randomBytes(4096));
    expect((await scanFailure(readImageInventory([garbage]))).reason).toMatch(
      new RegExp(`^Layer ${garbage.digest} is not a valid tar archive: Invalid tar header`),
    );
    const tar = await tarball(debianEntries);
    const cut = layer(OCI_GZIP, gzipSync(tar.subarray(0, 1000)));
    expect((await scanFailure(readImageInventory([cut]))).reason).toBe(`Layer ${cut.digest} is not a valid tar archive: Unexpected end of data`);
  });

  it('fails on an entry path that climbs out of the image root, naming the path', async () => {
    const hostile = await gzLayer([{ name: 'etc/os-release', content: DEBIAN_OS_RELEASE }, { name: '../etc/passwd', content: 'root::0:0::/:/bin/sh\n' }]);
    const error = await scanFailure(readImageInventory([hostile]));
    expect(error.reason).toBe(`Layer ${hostile.digest} has an entry whose path leaves the image root: ../etc/passwd`);
    const viaLink = await gzLayer([{ name: 'etc/shadow', type: 'link', linkname: 'usr/../../../etc/shadow' }]);
    expect((await scanFailure(readImageInventory([viaLink]))).reason).toMatch(/leaves the image root: usr\/\.\.\/\.\.\/\.\.\/etc\/shadow$/);
  });

  it('fails on a decompression bomb once the uncompressed total passes the limit', async () => {
    const zeros = Buffer.alloc(32 * 1024 * 1024);
    const bomb = gzipSync(await tarball([{ name: 'zeros', content: zeros }]), { level: 9 });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const bombLayer = layer(OCI_GZIP, bomb);
    const error = await scanFailure(readImageInventory([bombLayer], { maxUncompressedBytes: 4 * 1024 * 1024 }));
    expect(error.reason).toMatch(new RegExp(`^Layer ${bombLayer.digest} decompresses past the limit of 4194304 bytes`));
    // The limit is for the whole image: two layers under it separately can pass it together.
    const small = await tarball([{ name: 'a', content: Buffer.alloc(600_000) }]);
    const limits = { maxUncompressedBytes: 1_000_000 };
    await readImageInventory([layer(OCI_TAR, small)], limits);
    await scanFailure(readImageInventory([layer(OCI_TAR, small), layer(OCI_TAR, small)], limits));
  });

  it('fails when the image has too many entries or too large a package database', async () => {
    const many = await gzLayer(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, content: 'x' })));
    expect((await scanFailure(readImageInventory([many], { maxEntries: 10 }))).reason).toBe(
      `Layer ${many.digest} takes the image past the limit of 10 files`,
    );
    const big = await gzLayer([{ name: 'var/lib/dpkg/status', content: stanza('a', '1').repeat(2000) }]);
    expect((await scanFailure(readImageInventory([big], { maxInterestingFileBytes: 10_000 }))).reason).toMatch(
      /has var\/lib\/dpkg\/status of \d+ bytes, which with the files already kept passes the limit of 10000 bytes$/,
    );
  });

  it('bounds what it keeps of the tree besides file contents: symlinks with long targets fail the scan at the limit', async () => {
    // 200 symlinks with 2 KB targets (pax linkpath records, which compress to almost nothing):
    // about 400 KB the tree would otherwise hold, however many there are.
    const links: TarSpec[] = Array.from({ length: 200 }, (_, i) => ({ name: `links/l${i}`, type: 'symlink', linkname: `${'x/'.repeat(1000)}${i}` }));
    const linky = await gzLayer([...debianEntries, ...links]);
    expect((await scanFailure(readImageInventory([linky], { maxInterestingFileBytes: 100_000 }))).reason).toMatch(
      new RegExp(`^Layer ${linky.digest} has links/l\\d+, which with the files, names and link targets already kept passes the limit of 100000 bytes$`),
    );
    expect((await readImageInventory([linky])).packages).toEqual(debianPackages);
    // What a later layer deletes is given back: the same links, whited out layer after layer, never add up.
    const removal = await gzLayer([{ name: '.wh.links', content: '' }]);
    const layers = Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? linky : removal));
    expect((await readImageInventory(layers, { maxInterestingFileBytes: 600_000 })).packages).toEqual(debianPackages);
  });

  it('fails with a ScanFailure when a layer cannot be opened or its stream breaks', async () => {
    const unopenable: LayerSource = { mediaType: OCI_GZIP, digest: 'sha256:gone', open: () => Promise.reject(new Error('blob not found')) };
    expect((await scanFailure(readImageInventory([unopenable]))).reason).toBe('Layer sha256:gone could not be opened: blob not found');

    const whole = gzipSync(await tarball(debianEntries));
    const breaking: LayerSource = {
      mediaType: OCI_GZIP,
      digest: 'sha256:breaks',
      open: async () =>
        new Readable({
          read() {
            this.push(whole.subarray(0, 200));
            this.destroy(new Error('connection reset'));
          },
        }),
    };
    expect((await scanFailure(readImageInventory([breaking]))).reason).toBe('Layer sha256:breaks could not be read: connection reset');
  });

  it('streams a 160 MiB layer of uninteresting files without holding it in memory', async () => {
    // Large next to the bound below, so the check holds with other test workers sharing the machine.
    const size = 160 * 1024 * 1024;
    const random = randomBytes(1024 * 1024); // gzip's 32 KiB window cannot compress 1 MiB repeats
    let produced = 0;
    const big: LayerSource = {
      mediaType: OCI_GZIP,
      digest: 'sha256:big',
      open: async () => {
        const packer = pack();
        void (async () => {
          await new Promise<void>((resolve, reject) => {
            const body = packer.entry({ name: 'usr/share/big.bin', size }, (error) => (error ? reject(error) : resolve()));
            const writeMore = (): void => {
              while (produced < size) {
                produced += random.length;
                if (!body.write(random)) {
                  body.once('drain', writeMore);
                  return;
                }
              }
              body.end(undefined);
            };
            writeMore();
          });
          packer.entry({ name: 'etc/os-release' }, DEBIAN_OS_RELEASE);
          packer.finalize();
        })();
        return pipeline(Readable.from(packer), createGzip({ level: 1 }), () => {});
      },
    };
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    try {
      const inventory = await readImageInventory([big]);
      expect(inventory.os?.id).toBe('debian');
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(produced).toBe(size);
    // Holding the layer would add at least 160 MiB; streaming it stays near a few chunks.
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  }, 120_000);
});
