// Scan on push end to end with Debian's clients: skopeo pushes an OCI image whose layers hold
// a Debian 12 dpkg database; the AWS CLI's `ecr wait image-scan-complete` waiter succeeds and
// `describe-image-scan-findings` reports exactly the vulnerable packages of the OSV database.
import { join } from 'node:path';
import { dpkgStatus, debianOsRelease, dpkgStanza, osvRecord, writeOsvDatabase } from '../helpers/scan-images.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { AWS_CLI, awsCli, requireAwsCliV2 } from './helpers.js';
import { OciLayout } from './oci-images.js';
import { describeWithTools, expectSuccess, requireTools, skopeo, tempDir } from './registry-clients.js';

const ACCOUNT = '456789012345';
const REGION = 'us-west-2';
const TOOLS = ['skopeo', AWS_CLI];
const TEST_TIMEOUT_MS = 300_000;

interface Finding {
  name: string;
  severity: string;
  attributes: Array<{ key: string; value: string }>;
}

describeWithTools(TOOLS)('scan on push with skopeo and the AWS CLI', () => {
  let server: TestServer;
  let aws: ReturnType<typeof awsCli>;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let database: Awaited<ReturnType<typeof writeOsvDatabase>>;

  beforeAll(async () => {
    requireTools(TOOLS);
    await requireAwsCliV2();
    database = await writeOsvDatabase([
      osvRecord('DEBIAN-CVE-2026-3001', 'Debian:12', 'openssl', '3.0.15-1~deb12u1', {
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }],
      }),
      osvRecord('DEBIAN-CVE-2026-3002', 'Debian:12', 'glibc', '2.36-9+deb12u4'),
    ]);
    server = await startTestServer({ vulnDbPath: database.path });
    aws = awsCli(server.endpoint, { accessKeyId: ACCOUNT, region: REGION });
    work = await tempDir('scanning');
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await work?.remove();
    await database?.remove();
  });

  test('skopeo push, the image-scan-complete waiter, then the findings', async () => {
    await aws.json('ecr', 'create-repository', '--repository-name', 'scanned/app', '--image-scanning-configuration', 'scanOnPush=true');
    const layout = new OciLayout(join(work.path, 'src'));
    const image = await layout.addImage([
      [
        { name: 'etc/' },
        debianOsRelease('12'),
        { name: 'var/lib/dpkg/' },
        dpkgStatus([
          { name: 'libssl3', version: '3.0.11-1~deb12u2', source: 'openssl' },
          { name: 'libc6', version: '2.36-9+deb12u4', source: 'glibc' },
        ]),
      ],
      [{ name: 'var/lib/dpkg/status.d/' }, { name: 'var/lib/dpkg/status.d/tzdata', content: dpkgStanza({ name: 'tzdata', version: '2024a-0+deb12u1' }) }],
    ]);
    layout.tag(image.descriptor, 'v1');
    await layout.finish();

    const creds = `AWS:${expectSuccess(await aws.run('ecr', 'get-login-password'), 'aws ecr get-login-password').stdout.trim()}`;
    expectSuccess(
      await skopeo(work.path).run(
        'copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout.dir}:v1`, `docker://127.0.0.1:${server.port}/scanned/app:v1`,
      ),
      'skopeo copy',
    );

    expectSuccess(
      await aws.run('ecr', 'wait', 'image-scan-complete', '--repository-name', 'scanned/app', '--image-id', 'imageTag=v1'),
      'aws ecr wait image-scan-complete',
    );
    const out = await aws.json<{
      imageScanStatus: { status: string; description: string };
      imageScanFindings: { findings: Finding[]; findingSeverityCounts: Record<string, number>; imageScanCompletedAt: string };
      imageId: { imageDigest: string };
    }>('ecr', 'describe-image-scan-findings', '--repository-name', 'scanned/app', '--image-id', 'imageTag=v1');
    expect(out.imageScanStatus.status).toBe('COMPLETE');
    expect(out.imageId.imageDigest).toBe(image.descriptor.digest);
    expect(Number.isNaN(Date.parse(out.imageScanFindings.imageScanCompletedAt))).toBe(false);
    const findings = out.imageScanFindings.findings.map((finding) => ({
      name: finding.name,
      severity: finding.severity,
      package: finding.attributes.find((attribute) => attribute.key === 'package_name')?.value,
    }));
    // libc6 is at the fixed version: not reported.
    expect(findings).toEqual([{ name: 'CVE-2026-3001', severity: 'HIGH', package: 'libssl3' }]);
    expect(out.imageScanFindings.findingSeverityCounts).toEqual({ HIGH: 1 });

    const described = await aws.json<{ imageDetails: Array<{ imageScanStatus: { status: string }; imageScanFindingsSummary: { findingSeverityCounts: Record<string, number> } }> }>(
      'ecr', 'describe-images', '--repository-name', 'scanned/app',
    );
    expect(described.imageDetails[0].imageScanStatus.status).toBe('COMPLETE');
    expect(described.imageDetails[0].imageScanFindingsSummary.findingSeverityCounts).toEqual({ HIGH: 1 });
  }, TEST_TIMEOUT_MS);
});
