// Scanning through the AWS SDK over HTTP with images pushed through /v2: real gzipped tar
// layers holding os-release and package databases, matched against a small OSV database
// written by the test. Findings must be exactly the vulnerable packages.
import {
  BatchGetRepositoryScanningConfigurationCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  GetRegistryScanningConfigurationCommand,
  ImageNotFoundException,
  LimitExceededException,
  PutImageCommand,
  PutImageScanningConfigurationCommand,
  PutRegistryScanningConfigurationCommand,
  ScanNotFoundException,
  StartImageScanCommand,
  UnsupportedImageTypeException,
  waitUntilImageScanComplete,
  type DescribeImageScanFindingsCommandOutput,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { createRepository, descriptorOf, MEDIA, ociIndex, putManifest, uniqueName } from '../../helpers/registry.js';
import {
  alpineOsRelease,
  apkInstalled,
  debianOsRelease,
  dpkgStanza,
  dpkgStatus,
  gzipLayer,
  osvRecord,
  pushLayerBlobs,
  pushLayers,
  writeOsvDatabase,
} from '../../helpers/scan-images.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanKey } from '../../../src/store/keys.js';
import { NO_DATABASE, SCAN_COMPLETE, UNSUPPORTED_IMAGE } from '../../../src/features/scanning/scan-image.js';

const CRITICAL_VECTOR = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'; // 9.8
const MEDIUM_VECTOR = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N'; // 5.4

let server: TestServer;
let client: ECRClient;
let database: Awaited<ReturnType<typeof writeOsvDatabase>>;

beforeAll(async () => {
  database = await writeOsvDatabase([
    // openssl 3.0.11-1~deb12u1 is installed (source of libssl3 too): affected.
    osvRecord('DEBIAN-CVE-2026-1001', 'Debian:12', 'openssl', '3.0.11-1~deb12u2', { aliases: ['CVE-2026-1001'], severity: [{ type: 'CVSS_V3', score: CRITICAL_VECTOR }] }),
    // zlib is installed at exactly the fixed version: not affected.
    osvRecord('DEBIAN-CVE-2026-1002', 'Debian:12', 'zlib', '1:1.2.13.dfsg-1'),
    // bash 5.2.15-2+b2 is newer than the fix 5.2.15-2: not affected.
    osvRecord('DEBIAN-CVE-2026-1003', 'Debian:12', 'bash', '5.2.15-2'),
    // curl is vulnerable, but a later layer deletes its status.d entry (whiteout).
    osvRecord('DEBIAN-CVE-2026-1004', 'Debian:12', 'curl', '7.88.1-10+deb12u9'),
    // Same package on another release: not this image's ecosystem.
    osvRecord('DEBIAN-CVE-2026-1005', 'Debian:11', 'openssl', '3.0.99-1'),
    // No fix yet, and rated by Debian's urgency only.
    osvRecord('DEBIAN-CVE-2026-1006', 'Debian:12', 'tar', undefined, {
      affected: [{ package: { ecosystem: 'Debian:12', name: 'tar' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], ecosystem_specific: { urgency: 'low' } }],
    }),
    osvRecord('ALPINE-CVE-2026-2001', 'Alpine:v3.19', 'busybox', '1.36.1-r16', { severity: [{ type: 'CVSS_V3', score: MEDIUM_VECTOR }] }),
    osvRecord('ALPINE-CVE-2026-2002', 'Alpine:v3.19', 'musl', '1.2.4-r1'),
  ]);
  server = await startTestServer({ vulnDbPath: database.path, lifecycleIntervalMs: 0 });
  client = server.client();
});
afterAll(async () => {
  await server.close();
  await database.remove();
});

const debianLayers = () => [
  gzipLayer([
    debianOsRelease('12'),
    dpkgStatus([
      { name: 'openssl', version: '3.0.11-1~deb12u1' },
      { name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl' },
      { name: 'zlib1g', version: '1:1.2.13.dfsg-1', source: 'zlib' },
      { name: 'bash', version: '5.2.15-2+b2' },
      { name: 'tar', version: '1.34+dfsg-1.2' },
      { name: 'oldpkg', version: '0.1', status: 'deinstall ok config-files' },
    ]),
    { name: 'var/lib/dpkg/status.d/curl', content: dpkgStanza({ name: 'curl', version: '7.88.1-10+deb12u5' }) },
  ]),
  gzipLayer([{ name: 'var/lib/dpkg/status.d/.wh.curl', content: '' }, { name: 'app/main.js', content: 'console.log(1)\n' }]),
];

async function scanned(repositoryName: string, imageTag: string): Promise<DescribeImageScanFindingsCommandOutput> {
  await waitUntilImageScanComplete({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { repositoryName, imageId: { imageTag } });
  return client.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageTag } }));
}

const attribute = (finding: { attributes?: Array<{ key?: string; value?: string }> }, key: string) =>
  finding.attributes?.find((entry) => entry.key === key)?.value;

describe('basic scanning of a Debian image', () => {
  test('scan on push finds exactly the vulnerable packages; patched and whited-out ones are not reported', async () => {
    const name = uniqueName('scan-debian');
    await createRepository(server, name);
    await client.send(new PutImageScanningConfigurationCommand({ repositoryName: name, imageScanningConfiguration: { scanOnPush: true } }));
    const digest = await pushLayers(server, name, 'v1', debianLayers());

    const out = await scanned(name, 'v1');
    expect(out.imageScanStatus).toEqual({ status: 'COMPLETE', description: SCAN_COMPLETE });
    expect(out.imageId).toEqual({ imageDigest: digest, imageTag: 'v1' });
    const findings = out.imageScanFindings!.findings!;
    const reported = findings.map((finding) => `${finding.name} ${attribute(finding, 'package_name')} ${attribute(finding, 'package_version')} ${finding.severity}`).sort();
    expect(reported).toEqual([
      'CVE-2026-1001 libssl3 3.0.11-1~deb12u1 CRITICAL',
      'CVE-2026-1001 openssl 3.0.11-1~deb12u1 CRITICAL',
      // Debian's and Alpine's record ids name the CVE they track; findings carry the CVE id, as ECR's do.
      'CVE-2026-1006 tar 1.34+dfsg-1.2 LOW',
    ]);
    expect(out.imageScanFindings!.findingSeverityCounts).toEqual({ CRITICAL: 2, LOW: 1 });
    expect(out.imageScanFindings!.imageScanCompletedAt).toBeInstanceOf(Date);
    expect(out.imageScanFindings!.vulnerabilitySourceUpdatedAt).toEqual(new Date('2026-11-01T00:00:00Z'));
    expect(out.imageScanFindings!.enhancedFindings).toBeUndefined();

    const [detail] = (await client.send(new DescribeImagesCommand({ repositoryName: name }))).imageDetails!;
    expect(detail.imageScanStatus).toEqual({ status: 'COMPLETE', description: SCAN_COMPLETE });
    expect(detail.imageScanFindingsSummary?.findingSeverityCounts).toEqual({ CRITICAL: 2, LOW: 1 });

    const paged = await client.send(new DescribeImageScanFindingsCommand({ repositoryName: name, imageId: { imageDigest: digest }, maxResults: 2 }));
    expect(paged.imageScanFindings!.findings).toHaveLength(2);
    const rest = await client.send(new DescribeImageScanFindingsCommand({ repositoryName: name, imageId: { imageDigest: digest }, maxResults: 2, nextToken: paged.nextToken }));
    expect(rest.nextToken).toBeUndefined();
    expect([...paged.imageScanFindings!.findings!, ...rest.imageScanFindings!.findings!]).toEqual(findings);
  });

  test('StartImageScan: IN_PROGRESS then COMPLETE; a second manual scan within 24 hours is LimitExceededException', async () => {
    const name = uniqueName('scan-manual');
    await createRepository(server, name);
    const digest = await pushLayers(server, name, 'v1', debianLayers());
    await expect(client.send(new DescribeImageScanFindingsCommand({ repositoryName: name, imageId: { imageTag: 'v1' } }))).rejects.toBeInstanceOf(
      ScanNotFoundException,
    );
    const started = await client.send(new StartImageScanCommand({ repositoryName: name, imageId: { imageTag: 'v1' } }));
    expect(started).toMatchObject({ repositoryName: name, imageId: { imageDigest: digest, imageTag: 'v1' }, imageScanStatus: { status: 'IN_PROGRESS' } });
    expect((await scanned(name, 'v1')).imageScanFindings!.findings).toHaveLength(3);
    await expect(client.send(new StartImageScanCommand({ repositoryName: name, imageId: { imageDigest: digest } }))).rejects.toBeInstanceOf(
      LimitExceededException,
    );
    // A day later on Berth's clock, it may be scanned again.
    server.clock.setOffsetSeconds(24 * 3600 + 60);
    try {
      expect((await client.send(new StartImageScanCommand({ repositoryName: name, imageId: { imageTag: 'v1' } }))).imageScanStatus!.status).toBe('IN_PROGRESS');
      await scanned(name, 'v1');
    } finally {
      server.clock.setOffsetSeconds(0);
    }
    await expect(client.send(new StartImageScanCommand({ repositoryName: name, imageId: { imageTag: 'nope' } }))).rejects.toBeInstanceOf(ImageNotFoundException);
  });

  test('a scan on push counts toward the 24-hour limit: StartImageScan right after it is LimitExceededException', async () => {
    // API_StartImageScan: "This limit includes if an image was scanned on initial push."
    const name = uniqueName('scan-push-limit');
    await createRepository(server, name);
    await client.send(new PutImageScanningConfigurationCommand({ repositoryName: name, imageScanningConfiguration: { scanOnPush: true } }));
    await pushLayers(server, name, 'v1', debianLayers());
    expect((await scanned(name, 'v1')).imageScanStatus!.status).toBe('COMPLETE');
    await expect(client.send(new StartImageScanCommand({ repositoryName: name, imageId: { imageTag: 'v1' } }))).rejects.toBeInstanceOf(LimitExceededException);
    server.clock.setOffsetSeconds(24 * 3600 + 60);
    try {
      expect((await client.send(new StartImageScanCommand({ repositoryName: name, imageId: { imageTag: 'v1' } }))).imageScanStatus!.status).toBe('IN_PROGRESS');
      await scanned(name, 'v1');
    } finally {
      server.clock.setOffsetSeconds(0);
    }
  });

  test('a registry filter without a wildcard selects every repository whose name contains it', async () => {
    const matched = uniqueName('team-prod-api');
    const other = uniqueName('team-dev-api');
    await createRepository(server, matched);
    await createRepository(server, other);
    await client.send(
      new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: 'prod', filterType: 'WILDCARD' }] }] }),
    );
    try {
      const out = await client.send(new BatchGetRepositoryScanningConfigurationCommand({ repositoryNames: [matched, other] }));
      expect(out.scanningConfigurations!.map(({ repositoryName, scanFrequency, scanOnPush, appliedScanFilters }) => ({ repositoryName, scanFrequency, scanOnPush, appliedScanFilters }))).toEqual([
        { repositoryName: matched, scanFrequency: 'SCAN_ON_PUSH', scanOnPush: true, appliedScanFilters: [{ filter: 'prod', filterType: 'WILDCARD' }] },
        { repositoryName: other, scanFrequency: 'MANUAL', scanOnPush: false, appliedScanFilters: [] },
      ]);
      // And the rule is what scans a push.
      await pushLayers(server, matched, 'v1', debianLayers());
      expect((await scanned(matched, 'v1')).imageScanStatus!.status).toBe('COMPLETE');
    } finally {
      await client.send(new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [] }));
    }
  });

  test('an image index cannot be scanned: UnsupportedImageTypeException', async () => {
    const name = uniqueName('scan-index');
    await createRepository(server, name);
    const child = await pushLayers(server, name, 'child', debianLayers());
    const index = ociIndex([descriptorOf(MEDIA.ociManifest, Buffer.from('x'), { digest: child, size: 1 })]);
    // The descriptor's size must be the child's: fetch it from the registry's HEAD.
    const head = await fetch(`${server.endpoint}/v2/${name}/manifests/${child}`, { method: 'HEAD' });
    const fixed = index.toString().replace('"size":1', `"size":${head.headers.get('content-length')}`);
    expect((await putManifest(server, name, 'multi', Buffer.from(fixed), MEDIA.ociIndex)).status).toBe(201);
    await expect(client.send(new StartImageScanCommand({ repositoryName: name, imageId: { imageTag: 'multi' } }))).rejects.toBeInstanceOf(
      UnsupportedImageTypeException,
    );
  });
});

describe('Alpine, enhanced findings and the registry configuration', () => {
  test('an Alpine image scanned on push under an ENHANCED registry rule reports enhancedFindings', async () => {
    const name = uniqueName('scan-alpine');
    await createRepository(server, name);
    await client.send(
      new PutRegistryScanningConfigurationCommand({
        scanType: 'ENHANCED',
        rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: 'scan-alpine*', filterType: 'WILDCARD' }] }],
      }),
    );
    try {
      const configuration = await client.send(new GetRegistryScanningConfigurationCommand({}));
      expect(configuration.scanningConfiguration).toEqual({
        scanType: 'ENHANCED',
        rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: 'scan-alpine*', filterType: 'WILDCARD' }] }],
      });
      const repositories = await client.send(new BatchGetRepositoryScanningConfigurationCommand({ repositoryNames: [name, 'scan-missing'] }));
      expect(repositories.scanningConfigurations).toEqual([
        expect.objectContaining({ repositoryName: name, scanFrequency: 'SCAN_ON_PUSH', scanOnPush: true, appliedScanFilters: [{ filter: 'scan-alpine*', filterType: 'WILDCARD' }] }),
      ]);
      expect(repositories.failures).toEqual([{ repositoryName: 'scan-missing', failureCode: 'REPOSITORY_NOT_FOUND', failureReason: 'REPOSITORY_NOT_FOUND' }]);

      await pushLayers(server, name, '3.19', [
        gzipLayer([
          alpineOsRelease('3.19.1'),
          apkInstalled([
            { name: 'busybox', version: '1.36.1-r15' },
            { name: 'busybox-binsh', version: '1.36.1-r15', origin: 'busybox' },
            { name: 'musl', version: '1.2.4-r2' },
          ]),
        ]),
      ]);
      const out = await scanned(name, '3.19');
      expect(out.imageScanFindings!.findings).toBeUndefined();
      const enhanced = out.imageScanFindings!.enhancedFindings!;
      expect(enhanced).toHaveLength(1);
      const [finding] = enhanced;
      expect(finding).toMatchObject({ severity: 'MEDIUM', status: 'ACTIVE', type: 'PACKAGE_VULNERABILITY', awsAccountId: '000000000000' });
      expect(finding.firstObservedAt).toBeInstanceOf(Date);
      expect(finding.packageVulnerabilityDetails!.vulnerabilityId).toBe('CVE-2026-2001');
      expect(finding.packageVulnerabilityDetails!.cvss).toEqual([expect.objectContaining({ baseScore: 5.4, scoringVector: MEDIUM_VECTOR })]);
      expect(finding.packageVulnerabilityDetails!.vulnerablePackages!.map((pkg) => `${pkg.name} ${pkg.fixedInVersion}`).sort()).toEqual([
        'busybox 1.36.1-r16',
        'busybox-binsh 1.36.1-r16',
      ]);
    } finally {
      await client.send(new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [] }));
    }
  });
});

describe('images the scanner cannot finish', () => {
  test.each([
    ['a truncated gzip layer', () => gzipLayer([debianOsRelease(), dpkgStatus([{ name: 'bash', version: '5.2' }])]).subarray(0, 60), /gzip|truncated|unexpected end/i],
    ['a path that climbs out of the root', () => gzipLayer([{ name: '../etc/passwd', content: 'root:x:0:0\n' }, debianOsRelease()]), /\.\./],
    ['a layer that is not a tarball', () => Buffer.from('plain text, not a tarball at all '.repeat(40)), /tar/i],
  ])('%s: the scan is FAILED with a reason, and the server stays healthy', async (_what, layer, reason) => {
    const name = uniqueName('scan-hostile');
    await createRepository(server, name);
    await pushLayers(server, name, 'bad', [layer()]);
    await client.send(new StartImageScanCommand({ repositoryName: name, imageId: { imageTag: 'bad' } }));
    const failure = await waitUntilImageScanComplete({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { repositoryName: name, imageId: { imageTag: 'bad' } }).catch(
      (error: Error) => error,
    );
    expect(String(failure)).toMatch(/FAILURE/);
    const out = await client.send(new DescribeImageScanFindingsCommand({ repositoryName: name, imageId: { imageTag: 'bad' } }));
    expect(out.imageScanStatus!.status).toBe('FAILED');
    expect(out.imageScanStatus!.description).toMatch(reason);
    expect((await fetch(`${server.endpoint}/_berth/health`)).status).toBe(200);
  });

  test('an image with no known OS is FAILED as ECR reports it: UnsupportedImageError', async () => {
    const name = uniqueName('scan-no-os');
    await createRepository(server, name);
    await pushLayers(server, name, 'v1', [gzipLayer([{ name: 'app/main.js', content: 'x' }])]);
    await client.send(new StartImageScanCommand({ repositoryName: name, imageId: { imageTag: 'v1' } }));
    await waitUntilImageScanComplete({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { repositoryName: name, imageId: { imageTag: 'v1' } }).catch(() => undefined);
    const out = await client.send(new DescribeImageScanFindingsCommand({ repositoryName: name, imageId: { imageTag: 'v1' } }));
    expect(out.imageScanStatus).toEqual({ status: 'FAILED', description: UNSUPPORTED_IMAGE });
  });
});

test('without a vulnerability database a scan completes and says so, with no findings', async () => {
  const bare = await startTestServer();
  try {
    const name = 'no-db';
    await createRepository(bare, name);
    await pushLayers(bare, name, 'v1', debianLayers());
    const bareClient = bare.client();
    await bareClient.send(new StartImageScanCommand({ repositoryName: name, imageId: { imageTag: 'v1' } }));
    await waitUntilImageScanComplete({ client: bareClient, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { repositoryName: name, imageId: { imageTag: 'v1' } });
    const out = await bareClient.send(new DescribeImageScanFindingsCommand({ repositoryName: name, imageId: { imageTag: 'v1' } }));
    expect(out.imageScanStatus).toEqual({ status: 'COMPLETE', description: NO_DATABASE });
    expect(out.imageScanFindings!.findings).toEqual([]);
    expect(out.imageScanFindings!.findingSeverityCounts).toEqual({});
  } finally {
    await bare.close();
  }
});

test('a decompression bomb passes the scan limit and is FAILED with a reason', async () => {
  const limited = await startTestServer({ scanLimits: { maxUncompressedBytes: 8 * 1024 * 1024 } });
  try {
    const name = 'bomb';
    await createRepository(limited, name);
    // 64 MiB of zeros in one file gzips to about 64 KiB.
    const bomb = gzipLayer([debianOsRelease(), { name: 'zeros', content: '\0'.repeat(64 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    await pushLayers(limited, name, 'v1', [bomb]);
    const limitedClient = limited.client();
    await limitedClient.send(new StartImageScanCommand({ repositoryName: name, imageId: { imageTag: 'v1' } }));
    await limited.engine.scans.idle();
    const out = await limitedClient.send(new DescribeImageScanFindingsCommand({ repositoryName: name, imageId: { imageTag: 'v1' } }));
    expect(out.imageScanStatus!.status).toBe('FAILED');
    expect(out.imageScanStatus!.description).toMatch(/limit|exceed/i);
  } finally {
    await limited.close();
  }
});

test('a scan a restart cut short is redone when the server starts again', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-scan-restart-'));
  try {
    const first = await startTestServer({ dataDir, ephemeral: false, vulnDbPath: database.path });
    await createRepository(first, 'restart');
    const digest = await pushLayers(first, 'restart', 'v1', debianLayers());
    // As a crash would leave it: IN_PROGRESS, never finished.
    const key = scanKey({ accountId: '000000000000', region: 'us-east-1' }, 'restart', digest);
    await first.store.write((batch) => batch.put('scans', key, { status: 'IN_PROGRESS', scanType: 'BASIC', startedAt: Date.now() }));
    await first.close();

    const second = await startTestServer({ dataDir, ephemeral: false, vulnDbPath: database.path });
    try {
      await second.engine.scans.idle();
      const out = await second.client().send(new DescribeImageScanFindingsCommand({ repositoryName: 'restart', imageId: { imageDigest: digest } }));
      expect(out.imageScanStatus!.status).toBe('COMPLETE');
      expect(out.imageScanFindings!.findings).toHaveLength(3);
    } finally {
      await second.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('scan on push leaves artifacts alone: a signature pushed with a subject gets no scan', async () => {
  const name = uniqueName('scan-artifact');
  await createRepository(server, name);
  await client.send(new PutImageScanningConfigurationCommand({ repositoryName: name, imageScanningConfiguration: { scanOnPush: true } }));
  const subject = await pushLayers(server, name, 'v1', debianLayers());
  const head = await fetch(`${server.endpoint}/v2/${name}/manifests/${subject}`, { method: 'HEAD' });
  const payload = Buffer.from('{"critical":{"identity":{}}}');
  const empty = Buffer.from('{}');
  for (const blob of [payload, empty]) {
    const upload = await fetch(`${server.endpoint}/v2/${name}/blobs/uploads/?digest=sha256:${createHash('sha256').update(blob).digest('hex')}`, { method: 'POST', body: blob });
    expect(upload.status).toBe(201);
  }
  const signature = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
      config: { mediaType: MEDIA.ociEmpty, digest: `sha256:${createHash('sha256').update(empty).digest('hex')}`, size: empty.length },
      layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: `sha256:${createHash('sha256').update(payload).digest('hex')}`, size: payload.length }],
      subject: { mediaType: MEDIA.ociManifest, digest: subject, size: Number(head.headers.get('content-length')) },
    }),
  );
  const signatureDigest = `sha256:${createHash('sha256').update(signature).digest('hex')}`;
  expect((await putManifest(server, name, signatureDigest, signature, MEDIA.ociManifest)).status).toBe(201);
  await server.engine.scans.idle();
  await expect(
    client.send(new DescribeImageScanFindingsCommand({ repositoryName: name, imageId: { imageDigest: signatureDigest } })),
  ).rejects.toBeInstanceOf(ScanNotFoundException);
  // The image itself was scanned on push.
  expect((await scanned(name, 'v1')).imageScanStatus!.status).toBe('COMPLETE');
});

test('PutImage triggers scan on push too', async () => {
  const name = uniqueName('scan-putimage');
  await createRepository(server, name);
  await client.send(new PutImageScanningConfigurationCommand({ repositoryName: name, imageScanningConfiguration: { scanOnPush: true } }));
  const manifest = await pushLayerBlobs(server, name, 'v1', debianLayers());
  await client.send(new PutImageCommand({ repositoryName: name, imageTag: 'v1', imageManifest: manifest.toString('utf8'), imageManifestMediaType: MEDIA.ociManifest }));
  const out = await scanned(name, 'v1');
  expect(out.imageScanStatus!.status).toBe('COMPLETE');
  expect(out.imageScanFindings!.findingSeverityCounts).toEqual({ CRITICAL: 2, LOW: 1 });
});
