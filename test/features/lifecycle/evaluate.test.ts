import { evaluateLifecyclePolicy } from '../../../src/features/lifecycle/evaluate.js';
import { matchesWildcard } from '../../../src/lib/wildcard.js';
import { parseLifecyclePolicy } from '../../../src/features/lifecycle/policy.js';
import type {
  LifecycleAction,
  LifecycleDecision,
  LifecycleImage,
  LifecyclePolicy,
  LifecycleRule,
  LifecycleSelection,
} from '../../../src/features/lifecycle/policy-types.js';
import { docPolicies } from './fixtures/doc-policies.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 5, 1, 12);
const daysAgo = (days: number): number => NOW - days * DAY;

/** An image named `name` (its digest is `sha256:<name>`), pushed `pushed` days before NOW. */
function image(name: string, tags: string[], pushed: number, more: Partial<LifecycleImage> = {}): LifecycleImage {
  return { digest: digestOf(name), tags, pushedAt: daysAgo(pushed), storageClass: 'STANDARD', manifests: [], ...more };
}
const digestOf = (name: string): string => `sha256:${name}`;
const archived = (name: string, tags: string[], pushed: number, archivedDaysAgo: number, more: Partial<LifecycleImage> = {}) =>
  image(name, tags, pushed, { storageClass: 'ARCHIVE', transitionedAt: daysAgo(archivedDaysAgo), ...more });

const EXPIRE: LifecycleAction = { type: 'expire' };
const TRANSITION: LifecycleAction = { type: 'transition', targetStorageClass: 'archive' };

type SelectionInput = Omit<LifecycleSelection, 'storageClass' | 'countUnit'> & Partial<Pick<LifecycleSelection, 'storageClass'>>;
function rule(rulePriority: number, selection: SelectionInput, action: LifecycleAction = EXPIRE): LifecycleRule {
  const countUnit = selection.countType === 'imageCountMoreThan' ? {} : { countUnit: 'days' as const };
  return { rulePriority, selection: { storageClass: 'standard', ...countUnit, ...selection }, action };
}
const policy = (...rules: LifecycleRule[]): LifecyclePolicy => ({ rules });

/** Decisions as `<name>:<ACTION>@<priority>`, in the order the evaluator returned them. */
function outcome(decisions: LifecycleDecision[]): string[] {
  return decisions.map((decision) => {
    expect(decision.targetStorageClass).toBe(decision.action === 'TRANSITION' ? 'ARCHIVE' : undefined);
    return `${decision.digest.slice('sha256:'.length)}:${decision.action}@${decision.appliedRulePriority}`;
  });
}
const evaluate = (p: LifecyclePolicy, images: LifecycleImage[], now = NOW): string[] => outcome(evaluateLifecyclePolicy(p, images, now));

interface Case {
  name: string;
  /** The example's name in test/features/lifecycle/fixtures/doc-policies.ts, where it is one. */
  fixture?: string;
  policy: LifecyclePolicy;
  images: LifecycleImage[];
  expected: string[];
}

// The user guide's examples (lifecycle_policy_examples.html). Where the page lists the
// repository's images and the outcome, they are used as given (image "A" is sha256:A);
// where it shows only the policy, the images are chosen to exercise it.
const multipleRulesImages = [image('A', ['beta-1', 'prod-1'], 10), image('B', ['beta-2', 'prod-2'], 9), image('C', ['beta-3'], 8)];
const multipleTagsAImages = [
  image('A', ['alpha-1'], 12),
  image('B', ['beta-1'], 11),
  image('C', ['alpha-2', 'beta-2'], 10),
  image('D', ['alpha-3'], 4),
  image('E', ['beta-3'], 3),
  image('F', ['alpha-4', 'beta-4'], 2),
];
const multipleTagsBImages = [
  image('A', ['alpha-1', 'beta-1', 'gamma-1'], 10),
  image('B', ['alpha-2', 'beta-2'], 9),
  image('C', ['alpha-3', 'beta-3', 'gamma-2'], 8),
];
const lastPulledImages = [
  image('pulled-long-ago', ['v1'], 300, { lastPulledAt: daysAgo(120) }),
  image('pulled-lately', ['v2'], 300, { lastPulledAt: daysAgo(10) }),
  image('never-pulled-old', [], 100),
  image('never-pulled-new', ['v3'], 30),
  image('never-pulled-90-days', [], 90),
  archived('already-archived', ['v0'], 400, 200),
];

const documentedExamples: Case[] = [
  {
    name: 'Filtering on image age: prod* older than 14 days (exactly 14 days is not older)',
    fixture: 'Filtering on image age',
    policy: policy(rule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'sinceImagePushed', countNumber: 14 })),
    images: [
      image('prod-15d', ['prod-1'], 15),
      image('prod-14d', ['prod-2'], 14),
      image('production-20d', ['production'], 20),
      image('dev-30d', ['dev-1'], 30),
      image('untagged-30d', [], 30),
    ],
    expected: ['production-20d:EXPIRE@1', 'prod-15d:EXPIRE@1'],
  },
  {
    name: 'Filtering on last pulled time: a never-pulled image ages from its push',
    fixture: 'Filtering on last pulled time',
    policy: policy(rule(1, { tagStatus: 'any', countType: 'sinceImagePulled', countNumber: 90 }, TRANSITION)),
    images: lastPulledImages,
    expected: ['pulled-long-ago:TRANSITION@1', 'never-pulled-old:TRANSITION@1'],
  },
  {
    name: 'Filtering on archive transition time: archived for more than 365 days',
    fixture: 'Filtering on archive transition time',
    policy: policy(rule(1, { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countNumber: 365 })),
    images: [archived('archived-400d', ['v1'], 800, 400), archived('archived-100d', [], 800, 100), image('standard-800d', ['v2'], 800)],
    expected: ['archived-400d:EXPIRE@1'],
  },
  {
    name: 'Filtering on image count: keep one untagged image',
    fixture: 'Filtering on image count',
    policy: policy(rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 })),
    images: [image('U1', [], 3), image('U2', [], 2), image('U3', [], 1), image('T', ['v1'], 5)],
    expected: ['U1:EXPIRE@1', 'U2:EXPIRE@1'],
  },
  {
    name: 'Filtering on multiple rules, example A: B matches rule 1, so rule 2 cannot expire it',
    fixture: 'Filtering on multiple rules: Example A',
    policy: policy(
      rule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 1 }),
      rule(2, { tagStatus: 'tagged', tagPatternList: ['beta*'], countType: 'imageCountMoreThan', countNumber: 1 }),
    ),
    images: multipleRulesImages,
    expected: ['A:EXPIRE@1'],
  },
  {
    name: 'Filtering on multiple rules, example A, in its earlier tagPrefixList form',
    policy: policy(
      rule(1, { tagStatus: 'tagged', tagPrefixList: ['prod'], countType: 'imageCountMoreThan', countNumber: 1 }),
      rule(2, { tagStatus: 'tagged', tagPrefixList: ['beta'], countType: 'imageCountMoreThan', countNumber: 1 }),
    ),
    images: multipleRulesImages,
    expected: ['A:EXPIRE@1'],
  },
  {
    name: 'Filtering on multiple rules, example B: rule 1 sees all three, rule 2 sees none',
    fixture: 'Filtering on multiple rules: Example B',
    policy: policy(
      rule(1, { tagStatus: 'tagged', tagPatternList: ['beta*'], countType: 'imageCountMoreThan', countNumber: 1 }),
      rule(2, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 1 }),
    ),
    images: multipleRulesImages,
    expected: ['A:EXPIRE@1', 'B:EXPIRE@1'],
  },
  {
    name: 'Filtering on multiple tags in a single rule, example A: both patterns must match',
    fixture: 'Filtering on multiple tags in a single rule: Example A',
    policy: policy(rule(1, { tagStatus: 'tagged', tagPatternList: ['alpha*', 'beta*'], countType: 'sinceImagePushed', countNumber: 5 })),
    images: multipleTagsAImages,
    expected: ['C:EXPIRE@1'],
  },
  {
    name: 'Filtering on multiple tags in a single rule, example A, with tagPrefixList: both prefixes must match',
    policy: policy(rule(1, { tagStatus: 'tagged', tagPrefixList: ['alpha', 'beta'], countType: 'sinceImagePushed', countNumber: 5 })),
    images: multipleTagsAImages,
    expected: ['C:EXPIRE@1'],
  },
  {
    name: 'Filtering on multiple tags in a single rule, example B: tags are not exclusive',
    fixture: 'Filtering on multiple tags in a single rule: Example B',
    policy: policy(rule(1, { tagStatus: 'tagged', tagPatternList: ['alpha*', 'beta*'], countType: 'imageCountMoreThan', countNumber: 1 })),
    images: multipleTagsBImages,
    expected: ['A:EXPIRE@1', 'B:EXPIRE@1'],
  },
  {
    name: 'Filtering on all images, example A: keep the newest image of all',
    fixture: 'Filtering on all images: Example A',
    policy: policy(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })),
    images: [image('A', ['alpha-1'], 4), image('B', ['beta-1'], 3), image('C', [], 2), image('D', ['alpha-2'], 1)],
    expected: ['A:EXPIRE@1', 'B:EXPIRE@1', 'C:EXPIRE@1'],
  },
  {
    // D and E are both "pushed 1 day ago"; the page's outcome (rule 3 keeps E, marks D) is the
    // digest tie-break: sha256:E > sha256:D, so E counts as the newer. E is not older than one
    // day, so rule 2 identifies it without marking it, and that alone shields it from rule 3.
    name: 'Filtering on all images, example B: rule 3 counts every image but acts only on D',
    fixture: 'Filtering on all images: Example B',
    policy: policy(
      rule(1, { tagStatus: 'tagged', tagPatternList: ['alpha*'], countType: 'imageCountMoreThan', countNumber: 1 }),
      rule(2, { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1 }),
      rule(3, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }),
    ),
    images: [
      image('A', ['alpha-1', 'beta-1'], 4),
      image('B', [], 3),
      image('C', ['alpha-2'], 2),
      image('D', ['git hash'], 1),
      image('E', [], 1),
    ],
    expected: ['A:EXPIRE@1', 'B:EXPIRE@2', 'D:EXPIRE@3'],
  },
  {
    name: 'Archive examples: archive prod images older than 30 days (never one already archived)',
    fixture: 'Archive examples: Archiving images older than a specified number of days',
    policy: policy(rule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'sinceImagePushed', countNumber: 30 }, TRANSITION)),
    images: [
      image('prod-31d', ['prod-7'], 31),
      image('prod-29d', ['prod-8'], 29),
      archived('prod-archived', ['prod-1'], 200, 100),
      image('dev-100d', ['dev'], 100),
    ],
    expected: ['prod-31d:TRANSITION@1'],
  },
  {
    name: 'Archive examples: archive images not pulled in 90 days, restored images age from their restore',
    fixture: 'Archive examples: Archiving images not pulled in a specified number of days',
    policy: policy(rule(1, { tagStatus: 'any', countType: 'sinceImagePulled', countNumber: 90 }, TRANSITION)),
    images: [
      ...lastPulledImages,
      image('restored-30d-unpulled', ['r1'], 400, { lastPulledAt: daysAgo(300), lastActivatedAt: daysAgo(30) }),
      image('restored-100d-unpulled', ['r2'], 400, { lastPulledAt: daysAgo(300), lastActivatedAt: daysAgo(100) }),
      image('restored-100d-pulled-since', ['r3'], 400, { lastPulledAt: daysAgo(10), lastActivatedAt: daysAgo(100) }),
    ],
    expected: ['pulled-long-ago:TRANSITION@1', 'never-pulled-old:TRANSITION@1', 'restored-100d-unpulled:TRANSITION@1'],
  },
  {
    name: 'Archive examples: combining archive and expire rules (a standard rule does not shield archived images)',
    fixture: 'Archive examples: Combining archive and expire rules',
    policy: policy(
      rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countNumber: 30 }, TRANSITION),
      rule(2, { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countNumber: 365 }),
    ),
    images: [
      image('standard-40d', ['v4'], 40),
      image('standard-10d', [], 10),
      archived('archived-400d', ['v1'], 900, 400),
      archived('archived-100d', ['v2'], 900, 100),
      image('restored-10d', ['v3'], 900, { lastActivatedAt: daysAgo(10), lastPulledAt: daysAgo(500) }),
    ],
    expected: ['standard-40d:TRANSITION@1', 'archived-400d:EXPIRE@2'],
  },
];

describe('the user guide examples', () => {
  test.each(documentedExamples)('$name', ({ policy: p, images, expected }) => {
    expect(evaluate(p, images)).toEqual(expected);
  });

  const withFixture = documentedExamples.filter((example) => example.fixture !== undefined);
  test.each(withFixture)('parsed from the page: $fixture', ({ fixture, policy: p, images, expected }) => {
    const text = docPolicies.find((doc) => doc.name === fixture)?.text;
    expect(text).toBeDefined();
    const parsed = parseLifecyclePolicy(text!);
    expect(parsed.rules.map(({ rulePriority, selection, action }) => ({ rulePriority, selection, action }))).toEqual(p.rules);
    expect(evaluate(parsed, images)).toEqual(expected);
  });

  test('every example policy on the page is covered', () => {
    const covered = new Set(withFixture.map((example) => example.fixture));
    expect(docPolicies.map((doc) => doc.name).filter((name) => !covered.has(name))).toEqual([]);
  });
});

describe('edge cases', () => {
  const cases: Case[] = [
    {
      name: 'an empty repository',
      policy: policy(
        rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1 }),
        rule(2, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }),
      ),
      images: [],
      expected: [],
    },
    {
      name: 'a policy with no rules',
      policy: policy(),
      images: [image('A', [], 100)],
      expected: [],
    },
    {
      name: 'fewer images than the count keeps',
      policy: policy(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 5 })),
      images: [image('A', [], 3), image('B', ['v'], 2)],
      expected: [],
    },
    {
      name: 'equal push times: the smaller digest counts as older and goes first',
      policy: policy(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })),
      images: [image('b', ['x'], 2), image('c', [], 2), image('a', ['y'], 2)],
      expected: ['a:EXPIRE@1', 'b:EXPIRE@1'],
    },
    {
      name: 'images with many tags: each pattern may be met by a different tag, and a pattern without * is exact',
      policy: policy(rule(1, { tagStatus: 'tagged', tagPatternList: ['prod*', '*-rc*', 'latest'], countType: 'sinceImagePushed', countNumber: 1 })),
      images: [
        image('all-three', ['build-77', 'latest', 'prod-2026', 'v1-rc2', 'sha-abc'], 5),
        image('no-exact-latest', ['latest-2', 'prod-2026', 'v1-rc2'], 5),
        image('one-tag-two-patterns', ['prod-rc1', 'latest'], 5),
        image('missing-rc', ['latest', 'prod', 'stable'], 5),
      ],
      expected: ['all-three:EXPIRE@1', 'one-tag-two-patterns:EXPIRE@1'],
    },
    {
      name: 'a prefix must start a tag, not occur inside it',
      policy: policy(rule(1, { tagStatus: 'tagged', tagPrefixList: ['prod'], countType: 'sinceImagePushed', countNumber: 1 })),
      images: [image('starts', ['prod-1', 'x'], 5), image('inside', ['my-prod'], 5), image('untagged', [], 5)],
      expected: ['starts:EXPIRE@1'],
    },
    {
      name: 'sinceImagePulled with never-pulled images: the push time counts, strictly older than the limit',
      policy: policy(rule(1, { tagStatus: 'untagged', countType: 'sinceImagePulled', countNumber: 30 }, TRANSITION)),
      images: [image('never-31d', [], 31), image('never-30d', [], 30), image('pulled-yesterday', [], 200, { lastPulledAt: daysAgo(1) })],
      expected: ['never-31d:TRANSITION@1'],
    },
    {
      name: 'a higher-priority rule shields the images it selects, even those it keeps',
      policy: policy(
        rule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 10 }),
        rule(2, { tagStatus: 'any', countType: 'sinceImagePushed', countNumber: 7 }),
      ),
      images: [image('prod-old', ['prod-1'], 100), image('dev-old', ['dev-1'], 100), image('untagged-old', [], 50), image('dev-new', ['dev-2'], 3)],
      expected: ['dev-old:EXPIRE@2', 'untagged-old:EXPIRE@2'],
    },
    {
      name: 'rules are applied by rulePriority, whatever order the policy lists them in',
      policy: policy(
        rule(20, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 1 }),
        rule(10, { tagStatus: 'tagged', tagPatternList: ['beta*'], countType: 'imageCountMoreThan', countNumber: 1 }),
      ),
      images: multipleRulesImages,
      expected: ['A:EXPIRE@10', 'B:EXPIRE@10'],
    },
    {
      name: 'a count rule on standard images does not count archived ones, and a transition never touches them',
      policy: policy(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, TRANSITION)),
      images: [image('S1', ['a'], 10), image('S2', ['b'], 5), archived('AR', ['c'], 1, 1)],
      expected: ['S1:TRANSITION@1'],
    },
    {
      name: 'a transition rule aimed at archived images acts on none of them',
      policy: policy(rule(1, { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countNumber: 1 }, TRANSITION)),
      images: [archived('AR', ['c'], 500, 400)],
      expected: [],
    },
    {
      name: 'a restored image ages and counts from its restore, not its push',
      policy: policy(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })),
      images: [image('pushed-5d', ['a'], 5), image('restored-1d', ['b'], 400, { lastActivatedAt: daysAgo(1) })],
      expected: ['pushed-5d:EXPIRE@1'],
    },
  ];
  test.each(cases)('$name', ({ policy: p, images, expected }) => {
    expect(evaluate(p, images)).toEqual(expected);
  });

  test('the outcome does not depend on the order the images are listed in', () => {
    const images = [image('b', ['x'], 2), image('c', [], 2), image('a', ['y'], 2), image('d', [], 1)];
    const p = policy(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 2 }));
    const expected = evaluate(p, images);
    expect(expected).toEqual(['a:EXPIRE@1', 'b:EXPIRE@1']);
    expect(evaluate(p, [...images].reverse())).toEqual(expected);
    expect(evaluate(p, [images[2], images[0], images[3], images[1]])).toEqual(expected);
  });

  test('the evaluator reads its inputs without changing them', () => {
    const images = multipleRulesImages.map((i) => Object.freeze({ ...i, tags: Object.freeze([...i.tags]) as string[] }));
    const p = policy(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }));
    const rules = Object.freeze([...p.rules]) as LifecycleRule[];
    const before = JSON.stringify({ images, rules });
    expect(evaluate({ rules }, Object.freeze([...images]) as LifecycleImage[])).toEqual(['A:EXPIRE@1', 'B:EXPIRE@1']);
    expect(JSON.stringify({ images, rules })).toBe(before);
  });

  test('an image is transitioned, then expired once it has been archived long enough', () => {
    const p = policy(
      rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countNumber: 30 }, TRANSITION),
      rule(2, { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countNumber: 90 }),
    );
    let images = [image('old', ['v1'], 31), image('new', ['v2'], 1)];
    expect(evaluate(p, images)).toEqual(['old:TRANSITION@1']);

    // What a run does with the decision: the image moves to the archive class, now.
    images = images.map((i) => (i.digest === digestOf('old') ? { ...i, storageClass: 'ARCHIVE' as const, transitionedAt: NOW } : i));
    expect(evaluate(p, images)).toEqual([]);
    // Archived exactly 90 days is not more than 90 ("new", pushed 91 days before, is archived now).
    expect(evaluate(p, images, NOW + 90 * DAY)).toEqual(['new:TRANSITION@1']);
    expect(evaluate(p, images, NOW + 91 * DAY)).toEqual(['new:TRANSITION@1', 'old:EXPIRE@2']);
  });
});

describe('images a manifest list references', () => {
  const index = (name: string, tags: string[], pushed: number, children: string[], more: Partial<LifecycleImage> = {}) =>
    image(name, tags, pushed, { manifests: children.map(digestOf), ...more });
  const expireUntagged = rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1 });

  const cases: Case[] = [
    {
      name: 'the untagged children of a tagged index outlive an untagged rule while the index stays',
      policy: policy(expireUntagged),
      images: [index('idx', ['v1'], 10, ['child-1', 'child-2']), image('child-1', [], 10), image('child-2', [], 10), image('orphan', [], 10)],
      expected: ['orphan:EXPIRE@1'],
    },
    {
      name: 'children go with an index expired in the same evaluation, listed after it',
      policy: policy(expireUntagged, rule(2, { tagStatus: 'tagged', tagPatternList: ['v*'], countType: 'sinceImagePushed', countNumber: 5 })),
      images: [index('idx', ['v1'], 10, ['child-1', 'child-2']), image('child-1', [], 10), image('child-2', [], 10), image('orphan', [], 10)],
      expected: ['idx:EXPIRE@2', 'child-1:EXPIRE@1', 'child-2:EXPIRE@1', 'orphan:EXPIRE@1'],
    },
    {
      name: 'a child two indexes share stays while either index does',
      policy: policy(expireUntagged, rule(2, { tagStatus: 'tagged', tagPatternList: ['old*'], countType: 'sinceImagePushed', countNumber: 5 })),
      images: [
        index('idx-old', ['old'], 10, ['shared', 'only-old']),
        index('idx-new', ['new'], 10, ['shared']),
        image('shared', [], 10),
        image('only-old', [], 10),
      ],
      expected: ['idx-old:EXPIRE@2', 'only-old:EXPIRE@1'],
    },
    {
      name: 'a held child is still counted and still shields, and is freed when a lower rule expires its index',
      policy: policy(expireUntagged, rule(2, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })),
      images: [index('idx', ['v1'], 10, ['child-1', 'child-2']), image('child-1', [], 10), image('child-2', [], 10), image('newest', ['v2'], 0)],
      expected: ['idx:EXPIRE@2', 'child-1:EXPIRE@1', 'child-2:EXPIRE@1'],
    },
    {
      name: 'an index archived in the same evaluation lets its children be archived, index first',
      policy: policy(rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countNumber: 5 }, TRANSITION)),
      images: [image('child', [], 10), index('idx', ['v1'], 10, ['child'])],
      expected: ['idx:TRANSITION@1', 'child:TRANSITION@1'],
    },
    {
      name: 'an index being archived does not let its children be expired: expiry waits for the index to be deleted',
      policy: policy(
        rule(1, { tagStatus: 'tagged', tagPatternList: ['v*'], countType: 'sinceImagePushed', countNumber: 5 }, TRANSITION),
        rule(2, { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1 }),
      ),
      images: [index('idx', ['v1'], 10, ['child']), image('child', [], 10), image('orphan', [], 10)],
      expected: ['idx:TRANSITION@1', 'orphan:EXPIRE@2'],
    },
    {
      name: 'the children of an index already archived can be archived',
      policy: policy(rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1 }, TRANSITION)),
      images: [index('idx', ['v1'], 100, ['child'], { storageClass: 'ARCHIVE', transitionedAt: daysAgo(50) }), image('child', [], 100)],
      expected: ['child:TRANSITION@1'],
    },
  ];
  test.each(cases)('$name', ({ policy: p, images, expected }) => {
    expect(evaluate(p, images)).toEqual(expected);
  });
});

describe('artifacts that refer to a subject (signatures, SBOMs)', () => {
  const referrer = (name: string, subject: string, pushed: number, more: Partial<LifecycleImage> = {}) =>
    image(name, [], pushed, { subject: digestOf(subject), ...more });

  const cases: Case[] = [
    {
      name: 'an artifact is expired with its subject, under the subject rule, even when a higher rule identified it',
      policy: policy(
        rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 10 }),
        rule(2, { tagStatus: 'tagged', tagPatternList: ['v*'], countType: 'imageCountMoreThan', countNumber: 1 }),
      ),
      images: [image('app-1', ['v1'], 10), image('app-2', ['v2'], 5), referrer('sig-1', 'app-1', 10), referrer('sig-2', 'app-2', 5)],
      expected: ['app-1:EXPIRE@2', 'sig-1:EXPIRE@2'],
    },
    {
      name: 'an artifact of an artifact follows too',
      policy: policy(rule(1, { tagStatus: 'tagged', tagPatternList: ['v*'], countType: 'sinceImagePushed', countNumber: 7 })),
      images: [image('app', ['v1'], 10), referrer('sbom', 'app', 9), referrer('sbom-sig', 'sbom', 1), referrer('unrelated-sig', 'other', 9)],
      expected: ['app:EXPIRE@1', 'sbom:EXPIRE@1', 'sbom-sig:EXPIRE@1'],
    },
    {
      name: 'an artifact is archived with its subject',
      policy: policy(rule(1, { tagStatus: 'tagged', tagPatternList: ['v*'], countType: 'sinceImagePushed', countNumber: 7 }, TRANSITION)),
      images: [image('app', ['v1'], 10), referrer('sig', 'app', 1), archived('old-sig', [], 100, 50, { subject: digestOf('app') })],
      expected: ['app:TRANSITION@1', 'sig:TRANSITION@1'],
    },
    {
      name: 'an artifact a rule archives is expired instead when its subject is expired',
      policy: policy(
        rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1 }, TRANSITION),
        rule(2, { tagStatus: 'tagged', tagPatternList: ['v*'], countType: 'sinceImagePushed', countNumber: 7 }),
      ),
      images: [image('app', ['v1'], 10), referrer('sig', 'app', 10)],
      expected: ['app:EXPIRE@2', 'sig:EXPIRE@2'],
    },
    {
      name: 'rules act on artifacts like any other image while their subject stays',
      policy: policy(rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1 })),
      images: [image('app', ['v1'], 10), referrer('sig', 'app', 10)],
      expected: ['sig:EXPIRE@1'],
    },
  ];
  test.each(cases)('$name', ({ policy: p, images, expected }) => {
    expect(evaluate(p, images)).toEqual(expected);
  });
});

describe('tag patterns', () => {
  test.each([
    ['prod*', 'prod', true],
    ['prod*', 'production-team1', true],
    ['prod*', 'my-prod', false],
    ['*prod*', 'repo-production', true],
    ['*prod*', 'prod-team', true],
    ['*prod*', 'pro-d', false],
    ['prod', 'prod', true],
    ['prod', 'prod1', false],
    ['*', 'anything', true],
    ['*test*1*2*3', 'my-test-1-2-3', true],
    ['*test*1*2*3', 'test123', true],
    ['*test*1*2*3', 'test-3-2-1', false],
    ['test*1*2*3*', 'test123-rc', true],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['Prod*', 'prod-1', false],
    ['v1.*', 'v1.2', true],
    ['v1.*', 'v102', false],
  ])('%s against %s: %s', (pattern, tag, expected) => {
    expect(matchesWildcard(pattern, tag)).toBe(expected);
  });
});
