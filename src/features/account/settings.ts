import type { Scope } from '../../lib/scope.js';
import { ecrError } from '../../model/errors.js';
import type { Store } from '../../store/store.js';
import { readRegistry } from './registry-record.js';

/**
 * The account settings ECR documents (API_PutAccountSetting, API_GetAccountSetting), the
 * values PutAccountSetting accepts and what GetAccountSetting answers before any was set.
 *
 * - BASIC_SCAN_TYPE_VERSION: the current reference accepts only AWS_NATIVE (Clair basic
 *   scanning is retired); new registries use AWS_NATIVE.
 * - REGISTRY_POLICY_SCOPE: new registries use V2 ("For new users, your registries are
 *   automatically configured to use the V2 registry policy"); the user guide still describes
 *   switching from V1, so V1 stays accepted.
 * - BLOB_MOUNTING: opt-in (userguide blob-mounting.html), so DISABLED until enabled.
 */
const ACCOUNT_SETTINGS = {
  BASIC_SCAN_TYPE_VERSION: { values: ['AWS_NATIVE'], defaultValue: 'AWS_NATIVE' },
  REGISTRY_POLICY_SCOPE: { values: ['V1', 'V2'], defaultValue: 'V2' },
  BLOB_MOUNTING: { values: ['ENABLED', 'DISABLED'], defaultValue: 'DISABLED' },
} as const satisfies Record<string, { values: readonly string[]; defaultValue: string }>;

export type AccountSettingName = keyof typeof ACCOUNT_SETTINGS;

const SETTING_NAMES = Object.keys(ACCOUNT_SETTINGS) as AccountSettingName[];

// The model leaves name and value free-form strings; ECR checks them in the service and
// answers ValidationException, worded the way AWS words an enum constraint.
const notInSet = (member: string, value: string, allowed: readonly string[]) =>
  ecrError(
    'ValidationException',
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
  );

export function checkSettingName(name: string): AccountSettingName {
  if (!(SETTING_NAMES as string[]).includes(name)) throw notInSet('name', name, SETTING_NAMES);
  return name as AccountSettingName;
}

export function checkSettingValue(name: AccountSettingName, value: string): string {
  const allowed: readonly string[] = ACCOUNT_SETTINGS[name].values;
  if (!allowed.includes(value)) throw notInSet('value', value, allowed);
  return value;
}

/** A setting's value in a registry: the stored one, else ECR's default. */
export function settingValue(stored: Record<string, string>, name: AccountSettingName): string {
  return stored[name] ?? ACCOUNT_SETTINGS[name].defaultValue;
}

/** The value of an account setting in `scope` (for the data plane: BLOB_MOUNTING). */
export async function readAccountSetting(store: Store, scope: Scope, name: AccountSettingName): Promise<string> {
  const registry = await readRegistry(store, scope);
  return settingValue(registry.accountSettings, name);
}
