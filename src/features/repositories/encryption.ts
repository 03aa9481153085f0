import { createHash } from 'node:crypto';
import { partitionOf } from '../../lib/arn.js';
import type { Scope } from '../../lib/scope.js';
import type { EncryptionConfiguration } from '../../model/generated/types.js';
import type { RepositoryRecord } from '../../store/records.js';
import { invalidParameter } from '../messages.js';

/**
 * The ARN of the AWS-managed ECR key (alias aws/ecr) of a registry. Real ECR reports KMS
 * without a key of the caller's as that key's ARN, `arn:aws:kms:<region>:<account>:key/<uuid>`,
 * not the alias (terraform-provider-aws TestAccECRRepository_Encryption_kms, run against AWS,
 * matches `key/<UUID>$`). An AWS-managed key is one per account and region, so the UUID is
 * derived from both: every repository of a registry reports the same key, as in AWS.
 */
export function awsManagedKeyArn(scope: Scope): string {
  const hex = createHash('sha256').update(`aws/ecr:${scope.accountId}:${scope.region}`).digest('hex');
  // Shaped as a version-4 UUID, like the key IDs KMS hands out.
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return `arn:${partitionOf(scope.region)}:kms:${scope.region}:${scope.accountId}:key/${uuid}`;
}

/** The encryption a new repository is stored with, or InvalidParameterException. */
export function checkEncryption(scope: Scope, config: EncryptionConfiguration | undefined): RepositoryRecord['encryption'] {
  if (!config) return { encryptionType: 'AES256' };
  if (config.encryptionType === 'AES256') {
    if (config.kmsKey) throw invalidParameter('A KMS key can only be specified when encryptionType is KMS or KMS_DSSE');
    return { encryptionType: 'AES256' };
  }
  // KMS and KMS_DSSE both fall back to the AWS-managed key (API_EncryptionConfiguration).
  return { encryptionType: config.encryptionType, kmsKey: config.kmsKey ?? awsManagedKeyArn(scope) };
}
