import { repositoryScanning, scanFilterMatches } from '../../../src/features/scanning/configuration.js';

// The user guide's table of filter wildcards (image-scanning-filters.html): repository names
// across, filters down. A filter without `*` matches names that contain it.
const NAMES = ['prod', 'repo-prod', 'prod-repo', 'repo-prod-repo', 'prodrepo'];
const TABLE: Array<[string, boolean[]]> = [
  ['prod', [true, true, true, true, true]],
  ['*prod', [true, true, false, false, false]],
  ['prod*', [true, false, true, false, true]],
  ['*prod*', [true, true, true, true, true]],
  ['prod*repo', [false, false, true, false, true]],
];

test.each(TABLE)('filter %s matches the repositories the user guide says it does', (filter, expected) => {
  expect(NAMES.map((name) => scanFilterMatches(filter, name))).toEqual(expected);
});

test('a repository matched by a filter without a wildcard reports that filter as applied', () => {
  const configuration = {
    scanType: 'BASIC' as const,
    rules: [{ scanFrequency: 'SCAN_ON_PUSH' as const, repositoryFilters: [{ filter: 'prod', filterType: 'WILDCARD' as const }] }],
  };
  expect(repositoryScanning(configuration, { name: 'team/prod-api', scanOnPush: false })).toEqual({
    scanType: 'BASIC',
    scanFrequency: 'SCAN_ON_PUSH',
    appliedScanFilters: [{ filter: 'prod', filterType: 'WILDCARD' }],
  });
  expect(repositoryScanning(configuration, { name: 'team/dev-api', scanOnPush: false }).scanFrequency).toBe('MANUAL');
});
