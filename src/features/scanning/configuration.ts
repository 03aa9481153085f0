import { repositoryArn } from '../../lib/arn.js';
import type { Scope } from '../../lib/scope.js';
import { matchesWildcard } from '../../lib/wildcard.js';
import type {
  RegistryScanningConfiguration,
  RegistryScanningRule,
  RepositoryScanningConfiguration,
  ScanFrequency,
  ScanType,
} from '../../model/generated/types.js';
import type { EcrHandlers } from '../../model/handlers.js';
import { repositoryKey } from '../../store/keys.js';
import type { RepositoryRecord } from '../../store/records.js';
import type { Store } from '../../store/store.js';
import { readRegistry, updateRegistry } from '../account/registry-record.js';
import { targetScope, type FeatureDeps } from '../deps.js';
import { invalidParameter } from '../messages.js';

// Which images get scanned, and when: the registry's scanning configuration (BASIC or ENHANCED,
// rules of repository filters with a scan frequency) and each repository's scanOnPush
// (API_PutRegistryScanningConfiguration, API_RegistryScanningRule, userguide image-scanning.html).

/** A registry nobody configured scans BASIC, manually, plus scan-on-push where a repository asks. */
const DEFAULT_CONFIGURATION: Required<RegistryScanningConfiguration> = { scanType: 'BASIC', rules: [] };

/** The registry's scanning configuration as stored (the API shape is plain data). */
export async function readScanningConfiguration(store: Store, scope: Scope): Promise<Required<RegistryScanningConfiguration>> {
  const stored = (await readRegistry(store, scope)).scanningConfiguration as RegistryScanningConfiguration | undefined;
  return { scanType: stored?.scanType ?? DEFAULT_CONFIGURATION.scanType, rules: stored?.rules ?? [] };
}

/** Basic scanning supports scan on push (else manual); enhanced, scan on push and continuous (API_RegistryScanningRule). */
const FREQUENCIES: Record<ScanType, ScanFrequency[]> = {
  BASIC: ['SCAN_ON_PUSH', 'MANUAL'],
  ENHANCED: ['SCAN_ON_PUSH', 'CONTINUOUS_SCAN'],
};

function checkRules(scanType: ScanType, rules: RegistryScanningRule[]): void {
  const seen = new Set<ScanFrequency>();
  for (const rule of rules) {
    if (!FREQUENCIES[scanType].includes(rule.scanFrequency)) {
      throw invalidParameter(`Invalid parameter: scanFrequency '${rule.scanFrequency}' is not supported for scanType '${scanType}'`);
    }
    if (seen.has(rule.scanFrequency)) {
      throw invalidParameter(`Invalid parameter: only one rule per scanFrequency is allowed, '${rule.scanFrequency}' appears twice`);
    }
    seen.add(rule.scanFrequency);
  }
}

/**
 * Whether a scanning filter selects a repository (userguide image-scanning-filters.html, "Filter
 * wildcards"): a filter without `*` matches every name that contains it (`prod` matches
 * `repo-prod-repo`); with `*`, the whole name must match, `*` standing for any run of characters
 * (`prod*` matches `prodrepo` but not `repo-prod`).
 */
export function scanFilterMatches(filter: string, repositoryName: string): boolean {
  return filter.includes('*') ? matchesWildcard(filter, repositoryName) : repositoryName.includes(filter);
}

/** How a repository's images are scanned now, and which registry filters say so. */
export function repositoryScanning(
  configuration: Required<RegistryScanningConfiguration>,
  repository: Pick<RepositoryRecord, 'name' | 'scanOnPush'>,
): { scanType: ScanType; scanFrequency: ScanFrequency; appliedScanFilters: RepositoryScanningConfiguration['appliedScanFilters'] } {
  const matching = (frequency: ScanFrequency) =>
    configuration.rules
      .filter((rule) => rule.scanFrequency === frequency)
      .flatMap((rule) => rule.repositoryFilters.filter((filter) => scanFilterMatches(filter.filter, repository.name)));
  // Continuous scanning includes scanning on push, so it wins where both rules match.
  for (const frequency of ['CONTINUOUS_SCAN', 'SCAN_ON_PUSH'] as const) {
    const filters = matching(frequency);
    if (filters.length && FREQUENCIES[configuration.scanType].includes(frequency)) {
      return { scanType: configuration.scanType, scanFrequency: frequency, appliedScanFilters: filters };
    }
  }
  // The repository's own scanOnPush applies to basic scanning only (enhanced ignores it).
  if (configuration.scanType === 'BASIC' && repository.scanOnPush) {
    return { scanType: 'BASIC', scanFrequency: 'SCAN_ON_PUSH', appliedScanFilters: [] };
  }
  return { scanType: configuration.scanType, scanFrequency: 'MANUAL', appliedScanFilters: [] };
}

export function scanningConfigurationHandlers(
  deps: FeatureDeps,
): Pick<EcrHandlers, 'PutRegistryScanningConfiguration' | 'GetRegistryScanningConfiguration' | 'BatchGetRepositoryScanningConfiguration'> {
  const { store } = deps;
  return {
    async PutRegistryScanningConfiguration(context, input) {
      const scope = context.scope;
      const configuration: Required<RegistryScanningConfiguration> = {
        scanType: input.scanType ?? 'BASIC',
        rules: (input.rules ?? []).map((rule) => ({
          scanFrequency: rule.scanFrequency,
          repositoryFilters: rule.repositoryFilters.map(({ filter, filterType }) => ({ filter, filterType })),
        })),
      };
      checkRules(configuration.scanType, configuration.rules);
      await updateRegistry(store, scope, (current) => ({ ...current, scanningConfiguration: configuration }));
      return { registryScanningConfiguration: configuration };
    },

    async GetRegistryScanningConfiguration(context) {
      const scope = context.scope;
      return { registryId: scope.accountId, scanningConfiguration: await readScanningConfiguration(store, scope) };
    },

    async BatchGetRepositoryScanningConfiguration(context, input) {
      const scope = targetScope(context);
      const configuration = await readScanningConfiguration(store, scope);
      const scanningConfigurations: RepositoryScanningConfiguration[] = [];
      const failures = [];
      for (const name of [...new Set(input.repositoryNames)]) {
        const repository = await store.tables.repositories.get(repositoryKey(scope, name));
        if (!repository) {
          failures.push({ repositoryName: name, failureCode: 'REPOSITORY_NOT_FOUND' as const, failureReason: 'REPOSITORY_NOT_FOUND' });
          continue;
        }
        const applied = repositoryScanning(configuration, repository);
        scanningConfigurations.push({
          repositoryArn: repositoryArn(scope, name),
          repositoryName: name,
          scanOnPush: applied.scanFrequency !== 'MANUAL',
          scanFrequency: applied.scanFrequency,
          appliedScanFilters: applied.appliedScanFilters,
        });
      }
      return { scanningConfigurations, failures };
    },
  };
}
