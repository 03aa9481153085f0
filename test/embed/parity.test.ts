import * as sdk from '@aws-sdk/client-ecr';
import {
  BatchCheckLayerAvailabilityCommand,
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  DeleteRegistryPolicyCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryPolicyCommand,
  DescribeImagesCommand,
  DescribeRegistryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAccountSettingCommand,
  GetAuthorizationTokenCommand,
  GetDownloadUrlForLayerCommand,
  GetRegistryPolicyCommand,
  GetRepositoryPolicyCommand,
  InitiateLayerUploadCommand,
  ListImageReferrersCommand,
  ListImagesCommand,
  ListTagsForResourceCommand,
  PutAccountSettingCommand,
  PutImageCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutRegistryPolicyCommand,
  SetRepositoryPolicyCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { operationNames } from '../../src/model/generated/operations.js';
import { mockEcr, startBerth } from '../../src/index.js';
import { commandFor } from './commands.js';
import { minimalInput } from './minimal-input.js';
import { buildImage, DOCKER_MANIFEST, OCI_MANIFEST, pushLayer, sha256 } from './images.js';
import { Transcript } from './transcript.js';

// The in-process mode (mockEcr) and the HTTP server (startBerth) must be the same ECR: each
// scenario below runs once against a fresh server through `new ECRClient({ endpoint })` and
// once against a fresh mockEcr() through a client with no endpoint, and the two transcripts
// (every answer, every error's class, name, message and fields) must be equal.

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const credentials = { accessKeyId: ACCOUNT, secretAccessKey: 'secret' };

const repositoryPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'AllowPull', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: ['ecr:BatchGetImage'] }],
});
const registryPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AllowReplication',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::333333333333:root' },
      Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
      Resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/*`,
    },
  ],
});

type Scenario = (t: Transcript) => Promise<void>;

const scenarios: Array<[string, Scenario]> = [
  [
    'repositories: create, describe, settings, delete',
    async (t) => {
      await t.ok(
        new CreateRepositoryCommand({
          repositoryName: 'parity/app',
          imageTagMutability: 'IMMUTABLE',
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfiguration: { encryptionType: 'AES256' },
          tags: [{ Key: 'team', Value: 'core' }],
        }),
      );
      await t.ok(new CreateRepositoryCommand({ repositoryName: 'parity/other' }));
      await t.ok(new CreateRepositoryCommand({ repositoryName: 'parity/third' }));
      await t.fails(new CreateRepositoryCommand({ repositoryName: 'parity/app' }), 'RepositoryAlreadyExistsException');
      await t.fails(new CreateRepositoryCommand({ repositoryName: 'Parity/Upper_Case' }), 'InvalidParameterException');
      await t.fails(new CreateRepositoryCommand({ repositoryName: 'x' }), 'InvalidParameterException');
      await t.fails(new CreateRepositoryCommand({ repositoryName: 'parity/kms', encryptionConfiguration: { encryptionType: 'NOPE' as 'AES256' } }), 'InvalidParameterException');
      await t.ok(new DescribeRepositoriesCommand({}));
      const page = await t.ok(new DescribeRepositoriesCommand({ maxResults: 2 }));
      await t.ok(new DescribeRepositoriesCommand({ maxResults: 2, nextToken: page.nextToken }));
      await t.ok(new DescribeRepositoriesCommand({ repositoryNames: ['parity/other'] }));
      await t.fails(new DescribeRepositoriesCommand({ repositoryNames: ['parity/missing'] }), 'RepositoryNotFoundException');
      await t.fails(new DescribeRepositoriesCommand({ maxResults: 0 }), 'InvalidParameterException');
      await t.fails(new DescribeRepositoriesCommand({ nextToken: 'not-a-token' }), 'InvalidParameterException');
      await t.ok(new PutImageTagMutabilityCommand({ repositoryName: 'parity/app', imageTagMutability: 'MUTABLE' }));
      await t.fails(new PutImageTagMutabilityCommand({ repositoryName: 'parity/missing', imageTagMutability: 'MUTABLE' }), 'RepositoryNotFoundException');
      await t.ok(new PutImageScanningConfigurationCommand({ repositoryName: 'parity/app', imageScanningConfiguration: { scanOnPush: false } }));
      await t.fails(
        new PutImageScanningConfigurationCommand({ repositoryName: 'parity/missing', imageScanningConfiguration: { scanOnPush: true } }),
        'RepositoryNotFoundException',
      );
      await t.fails(new PutImageScanningConfigurationCommand({ repositoryName: 'parity/app', imageScanningConfiguration: {}, registryId: 'abc' }), 'ValidationException');
      await t.ok(new DescribeRepositoriesCommand({ repositoryNames: ['parity/app'] }));
      await t.ok(new DeleteRepositoryCommand({ repositoryName: 'parity/other' }));
      await t.fails(new DeleteRepositoryCommand({ repositoryName: 'parity/other' }), 'RepositoryNotFoundException');
      await t.ok(new DescribeRepositoriesCommand({}));
    },
  ],
  [
    'repository tags',
    async (t) => {
      const { repository } = await t.ok(new CreateRepositoryCommand({ repositoryName: 'parity/tagged', tags: [{ Key: 'a', Value: '1' }] }));
      const resourceArn = repository!.repositoryArn!;
      await t.ok(new TagResourceCommand({ resourceArn, tags: [{ Key: 'a', Value: 'one' }, { Key: 'b', Value: '2' }] }));
      await t.ok(new ListTagsForResourceCommand({ resourceArn }));
      await t.ok(new UntagResourceCommand({ resourceArn, tagKeys: ['a'] }));
      await t.ok(new ListTagsForResourceCommand({ resourceArn }));
      const tooMany = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));
      await t.fails(new TagResourceCommand({ resourceArn, tags: tooMany }), 'TooManyTagsException');
      await t.fails(new TagResourceCommand({ resourceArn, tags: [{ Key: 'aws:reserved', Value: 'x' }] }), 'InvalidTagParameterException');
      await t.fails(new TagResourceCommand({ resourceArn: 'not-an-arn', tags: [{ Key: 'a', Value: 'b' }] }), 'InvalidParameterException');
      await t.fails(new ListTagsForResourceCommand({ resourceArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/parity/none` }), 'RepositoryNotFoundException');
      await t.fails(new UntagResourceCommand({ resourceArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/parity/none`, tagKeys: ['a'] }), 'RepositoryNotFoundException');
    },
  ],
  [
    'repository and registry policies',
    async (t) => {
      await t.ok(new CreateRepositoryCommand({ repositoryName: 'parity/policy' }));
      await t.fails(new GetRepositoryPolicyCommand({ repositoryName: 'parity/policy' }), 'RepositoryPolicyNotFoundException');
      await t.ok(new SetRepositoryPolicyCommand({ repositoryName: 'parity/policy', policyText: repositoryPolicy }));
      await t.ok(new GetRepositoryPolicyCommand({ repositoryName: 'parity/policy' }));
      await t.fails(new SetRepositoryPolicyCommand({ repositoryName: 'parity/policy', policyText: '{not json' }), 'InvalidParameterException');
      await t.fails(new SetRepositoryPolicyCommand({ repositoryName: 'parity/missing', policyText: repositoryPolicy }), 'RepositoryNotFoundException');
      await t.ok(new DeleteRepositoryPolicyCommand({ repositoryName: 'parity/policy' }));
      await t.fails(new DeleteRepositoryPolicyCommand({ repositoryName: 'parity/policy' }), 'RepositoryPolicyNotFoundException');
      await t.fails(new GetRegistryPolicyCommand({}), 'RegistryPolicyNotFoundException');
      await t.ok(new PutRegistryPolicyCommand({ policyText: registryPolicy }));
      await t.ok(new GetRegistryPolicyCommand({}));
      await t.fails(new PutRegistryPolicyCommand({ policyText: '' }), 'InvalidParameterException');
      await t.fails(new PutRegistryPolicyCommand({ policyText: '[]' }), 'InvalidParameterException');
      await t.ok(new DeleteRegistryPolicyCommand({}));
      await t.fails(new DeleteRegistryPolicyCommand({}), 'RegistryPolicyNotFoundException');
    },
  ],
  [
    'account settings, registry and authorization token',
    async (t) => {
      await t.ok(new DescribeRegistryCommand({}));
      await t.ok(new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }));
      await t.ok(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'ENABLED' }));
      await t.ok(new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }));
      await t.ok(new GetAccountSettingCommand({ name: 'REGISTRY_POLICY_SCOPE' }));
      await t.fails(new PutAccountSettingCommand({ name: 'NO_SUCH_SETTING', value: 'ENABLED' }), 'ValidationException');
      await t.fails(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'SOMETIMES' }), 'ValidationException');
      await t.fails(new GetAccountSettingCommand({ name: 'X'.repeat(200) }), 'ValidationException');
      await t.ok(new GetAuthorizationTokenCommand({}));
      await t.ok(new GetAuthorizationTokenCommand({ registryIds: [ACCOUNT, '210987654321'] }));
      await t.fails(new GetAuthorizationTokenCommand({ registryIds: ['not-an-account'] }), 'InvalidParameterException');
    },
  ],
  [
    'layers: upload, check, download URL',
    async (t) => {
      await t.fails(new InitiateLayerUploadCommand({ repositoryName: 'parity/nowhere' }), 'RepositoryNotFoundException');
      await t.ok(new CreateRepositoryCommand({ repositoryName: 'parity/layers' }));
      const repositoryName = 'parity/layers';
      const bytes = Buffer.from('a layer '.repeat(100));
      const digest = await pushLayer(t, repositoryName, bytes);
      await t.ok(new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [digest, sha256('never pushed'), 'sha256:nothex'] }));
      await t.fails(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'parity/nowhere', layerDigests: [digest] }), 'RepositoryNotFoundException');
      await t.fails(new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [] }), 'InvalidParameterException');

      await t.fails(
        new UploadLayerPartCommand({ repositoryName, uploadId: '0b1e2c3d-0000-4000-8000-000000000000', partFirstByte: 0, partLastByte: 9, layerPartBlob: Buffer.alloc(10) }),
        'UploadNotFoundException',
      );
      const { uploadId } = await t.ok(new InitiateLayerUploadCommand({ repositoryName }));
      await t.fails(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256('')] }), 'EmptyUploadException');
      await t.fails(
        new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 5, partLastByte: 14, layerPartBlob: Buffer.alloc(10) }),
        'InvalidLayerPartException',
      );
      await t.fails(
        new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 0, partLastByte: 99, layerPartBlob: Buffer.alloc(10) }),
        'InvalidLayerPartException',
      );
      await t.ok(new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 0, partLastByte: bytes.length - 1, layerPartBlob: bytes }));
      await t.fails(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256('other bytes')] }), 'InvalidLayerException');
      const again = await t.ok(new InitiateLayerUploadCommand({ repositoryName }));
      await t.ok(new UploadLayerPartCommand({ repositoryName, uploadId: again.uploadId, partFirstByte: 0, partLastByte: bytes.length - 1, layerPartBlob: bytes }));
      await t.fails(new CompleteLayerUploadCommand({ repositoryName, uploadId: again.uploadId, layerDigests: [digest] }), 'LayerAlreadyExistsException');
      await t.fails(new CompleteLayerUploadCommand({ repositoryName, uploadId: '0b1e2c3d-0000-4000-8000-000000000001', layerDigests: [digest] }), 'UploadNotFoundException');

      await t.fails(new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: sha256('absent') }), 'LayersNotFoundException');
      await t.fails(new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: digest }), 'LayerInaccessibleException');
      await t.fails(new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: 'sha256:xyz' }), 'InvalidParameterException');
      const image = await buildImage(t, repositoryName, 'downloadable');
      await t.ok(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: 'v1' }));
      await t.ok(new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: image.layer }));
    },
  ],
  [
    'images: put, get, describe, list, referrers, delete',
    async (t) => {
      const repositoryName = 'parity/images';
      await t.ok(new CreateRepositoryCommand({ repositoryName }));
      await t.ok(new CreateRepositoryCommand({ repositoryName: 'parity/locked', imageTagMutability: 'IMMUTABLE' }));
      await t.fails(new PutImageCommand({ repositoryName: 'parity/nowhere', imageManifest: '{}' }), 'RepositoryNotFoundException');

      const first = await buildImage(t, repositoryName, 'first');
      await t.ok(new PutImageCommand({ repositoryName, imageManifest: first.manifest, imageTag: 'v1' }));
      await t.fails(new PutImageCommand({ repositoryName, imageManifest: first.manifest, imageTag: 'v1' }), 'ImageAlreadyExistsException');
      await t.ok(new PutImageCommand({ repositoryName, imageManifest: first.manifest, imageTag: 'latest' }));
      await t.fails(new PutImageCommand({ repositoryName, imageManifest: 'not a manifest', imageTag: 'bad' }), 'InvalidParameterException');
      await t.fails(new PutImageCommand({ repositoryName, imageManifest: first.manifest, imageDigest: sha256('other'), imageTag: 'v9' }), 'ImageDigestDoesNotMatchException');
      const missingLayer = JSON.parse(first.manifest) as { layers: Array<{ digest: string }> };
      missingLayer.layers[0].digest = sha256('no such layer');
      await t.fails(new PutImageCommand({ repositoryName, imageManifest: JSON.stringify(missingLayer), imageTag: 'v2' }), 'LayersNotFoundException');

      const locked = await buildImage(t, 'parity/locked', 'locked');
      const lockedAgain = await buildImage(t, 'parity/locked', 'locked again');
      await t.ok(new PutImageCommand({ repositoryName: 'parity/locked', imageManifest: locked.manifest, imageTag: 'v1' }));
      await t.fails(new PutImageCommand({ repositoryName: 'parity/locked', imageManifest: lockedAgain.manifest, imageTag: 'v1' }), 'ImageTagAlreadyExistsException');

      const subject = await buildImage(t, repositoryName, 'subject', 'oci');
      await t.ok(new PutImageCommand({ repositoryName, imageManifest: subject.manifest, imageTag: 'oci' }));
      const signature = await buildImage(t, repositoryName, 'signature', 'oci', subject);
      await t.ok(new PutImageCommand({ repositoryName, imageManifest: signature.manifest }));
      await t.ok(new ListImageReferrersCommand({ repositoryName, subjectId: { imageDigest: subject.digest } }));
      await t.ok(new ListImageReferrersCommand({ repositoryName, subjectId: { imageDigest: subject.digest }, filter: { artifactTypes: ['application/vnd.example.sbom'] } }));
      await t.fails(new ListImageReferrersCommand({ repositoryName: 'parity/nowhere', subjectId: { imageDigest: subject.digest } }), 'RepositoryNotFoundException');
      await t.fails(new ListImageReferrersCommand({ repositoryName, subjectId: { imageDigest: 'nope' } }), 'InvalidParameterException');
      await t.fails(new ListImageReferrersCommand({ repositoryName, subjectId: { imageDigest: subject.digest }, maxResults: 0 }), 'ValidationException');

      await t.ok(
        new BatchGetImageCommand({
          repositoryName,
          imageIds: [{ imageTag: 'v1' }, { imageDigest: subject.digest }, { imageTag: 'absent' }, { imageDigest: 'sha256:zz' }],
          acceptedMediaTypes: [DOCKER_MANIFEST, OCI_MANIFEST],
        }),
      );
      await t.fails(new BatchGetImageCommand({ repositoryName: 'parity/nowhere', imageIds: [{ imageTag: 'v1' }] }), 'RepositoryNotFoundException');
      await t.fails(new BatchGetImageCommand({ repositoryName, imageIds: [] }), 'InvalidParameterException');

      await t.ok(new DescribeImagesCommand({ repositoryName }));
      await t.ok(new DescribeImagesCommand({ repositoryName, filter: { tagStatus: 'UNTAGGED' } }));
      const firstPage = await t.ok(new DescribeImagesCommand({ repositoryName, maxResults: 1 }));
      await t.ok(new DescribeImagesCommand({ repositoryName, maxResults: 1, nextToken: firstPage.nextToken }));
      await t.ok(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: 'latest' }] }));
      await t.fails(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: 'absent' }] }), 'ImageNotFoundException');
      await t.fails(new DescribeImagesCommand({ repositoryName: 'parity/nowhere' }), 'RepositoryNotFoundException');
      await t.fails(new DescribeImagesCommand({ repositoryName, maxResults: 1001 }), 'InvalidParameterException');

      await t.ok(new ListImagesCommand({ repositoryName }));
      await t.ok(new ListImagesCommand({ repositoryName, filter: { tagStatus: 'TAGGED' } }));
      const listPage = await t.ok(new ListImagesCommand({ repositoryName, maxResults: 2 }));
      await t.ok(new ListImagesCommand({ repositoryName, maxResults: 2, nextToken: listPage.nextToken }));
      await t.fails(new ListImagesCommand({ repositoryName: 'parity/nowhere' }), 'RepositoryNotFoundException');
      await t.fails(new ListImagesCommand({ repositoryName, nextToken: 'garbage' }), 'InvalidParameterException');

      await t.ok(new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageTag: 'latest' }, { imageTag: 'absent' }] }));
      await t.fails(new BatchDeleteImageCommand({ repositoryName: 'parity/nowhere', imageIds: [{ imageTag: 'v1' }] }), 'RepositoryNotFoundException');
      await t.ok(new ListImagesCommand({ repositoryName }));
      await t.fails(new DeleteRepositoryCommand({ repositoryName }), 'RepositoryNotEmptyException');
      await t.ok(new DeleteRepositoryCommand({ repositoryName, force: true }));
      await t.fails(new ListImagesCommand({ repositoryName }), 'RepositoryNotFoundException');
    },
  ],
  [
    'lifecycle policies, storage class and scanning',
    async (t) => {
      const repositoryName = 'parity/scan';
      await t.ok(new CreateRepositoryCommand({ repositoryName }));
      const lifecyclePolicyText = JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: 'untagged images go after two weeks',
            selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
            action: { type: 'expire' },
          },
        ],
      });
      await t.fails(new sdk.GetLifecyclePolicyCommand({ repositoryName }), 'LifecyclePolicyNotFoundException');
      await t.ok(new sdk.PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText }));
      await t.fails(
        new sdk.PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText: lifecyclePolicyText.replace('"untagged"', '"tagged"') }),
        'InvalidParameterException',
      );
      await t.ok(new sdk.GetLifecyclePolicyCommand({ repositoryName }));
      await t.fails(new sdk.GetLifecyclePolicyPreviewCommand({ repositoryName }), 'LifecyclePolicyPreviewNotFoundException');
      await t.ok(new sdk.StartLifecyclePolicyPreviewCommand({ repositoryName }));
      await sdk.waitUntilLifecyclePolicyPreviewComplete({ client: t.client, maxWaitTime: 20, minDelay: 1, maxDelay: 1 }, { repositoryName });
      await t.ok(new sdk.GetLifecyclePolicyPreviewCommand({ repositoryName }));
      await t.ok(new sdk.DeleteLifecyclePolicyCommand({ repositoryName }));

      await t.ok(new sdk.GetRegistryScanningConfigurationCommand({}));
      await t.fails(
        new sdk.PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [{ scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' }] }] }),
        'InvalidParameterException',
      );
      await t.ok(
        new sdk.PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: 'other/*', filterType: 'WILDCARD' }] }] }),
      );
      await t.ok(new sdk.BatchGetRepositoryScanningConfigurationCommand({ repositoryNames: [repositoryName, 'parity/missing'] }));

      const image = await buildImage(t, repositoryName, 'scanned');
      await t.ok(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: 'v1' }));
      const imageId = { imageTag: 'v1' };
      await t.fails(new sdk.DescribeImageScanFindingsCommand({ repositoryName, imageId }), 'ScanNotFoundException');
      await t.ok(new sdk.StartImageScanCommand({ repositoryName, imageId }));
      // The layer is not a real tarball: the scan fails, the same way in both modes.
      const settled = await sdk.waitUntilImageScanComplete({ client: t.client, maxWaitTime: 20, minDelay: 1, maxDelay: 1 }, { repositoryName, imageId }).catch(
        (error: Error) => error,
      );
      expect(String(settled)).toMatch(/FAILURE/);
      await t.ok(new sdk.DescribeImageScanFindingsCommand({ repositoryName, imageId }));
      await t.ok(new DescribeImagesCommand({ repositoryName }));
      await t.fails(new sdk.StartImageScanCommand({ repositoryName, imageId }), 'LimitExceededException');

      await t.ok(new sdk.UpdateImageStorageClassCommand({ repositoryName, imageId, targetStorageClass: 'ARCHIVE' }));
      await t.fails(new sdk.StartImageScanCommand({ repositoryName, imageId }), 'ImageArchivedException');
      await t.ok(new DescribeImagesCommand({ repositoryName, filter: { imageStatus: 'ARCHIVED' } }));
      await t.fails(new sdk.UpdateImageStorageClassCommand({ repositoryName, imageId, targetStorageClass: 'ARCHIVE' }), 'ImageStorageClassUpdateNotSupportedException');
      await t.ok(new sdk.UpdateImageStorageClassCommand({ repositoryName, imageId, targetStorageClass: 'STANDARD' }));
    },
  ],
  [
    'an operation Berth has not built yet',
    async (t) => {
      await t.fails(new sdk.DescribePullThroughCacheRulesCommand({}), 'NotImplementedException');
    },
  ],
];

async function overHttp(scenario: Scenario): Promise<Transcript> {
  const berth = await startBerth();
  try {
    const transcript = new Transcript(new ECRClient({ endpoint: berth.endpoint, region: REGION, credentials }));
    await scenario(transcript);
    return transcript;
  } finally {
    await berth.stop();
  }
}

async function inProcess(scenario: Scenario): Promise<Transcript> {
  const mock = await mockEcr();
  try {
    const transcript = new Transcript(new ECRClient({ region: REGION, credentials }));
    await scenario(transcript);
    return transcript;
  } finally {
    await mock.restore();
  }
}

const covered = new Set<string>();

// The HTTP run always comes first and with no mock installed: while mockEcr is active it
// answers every ECRClient, endpoint or not.
test.each(scenarios)('%s: same answers and error classes in-process as over HTTP', async (_title, scenario) => {
  const http = await overHttp(scenario);
  const local = await inProcess(scenario);
  expect(local.outcomes).toEqual(http.outcomes);
  expect(local.errors).toHaveLength(http.errors.length);
  local.errors.forEach((error, i) => expect(error.constructor).toBe(http.errors[i].constructor));
  for (const operation of http.operations) covered.add(operation);
});

test('the table calls every implemented operation', async () => {
  // Which operations are built is asked of Berth itself: a not-built one answers a valid call
  // with NotImplementedException (checked for all 62 in mock-ecr.test.ts).
  const mock = await mockEcr();
  const implemented: string[] = [];
  try {
    const client = new ECRClient({ region: REGION, credentials });
    for (const name of operationNames) {
      const error = await client.send(commandFor(name, minimalInput(name))).then(
        () => undefined,
        (e: Error) => e,
      );
      if (error?.name !== 'NotImplementedException') implemented.push(name);
    }
  } finally {
    await mock.restore();
  }
  expect(implemented.length).toBeGreaterThanOrEqual(29);
  expect(implemented.filter((name) => !covered.has(name))).toEqual([]);
});
