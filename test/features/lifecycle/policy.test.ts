import { parseLifecyclePolicy } from '../../../src/features/lifecycle/policy.js';
import { AwsError } from '../../../src/model/errors.js';
import { docPolicies } from './fixtures/doc-policies.js';

// ECR wraps every lifecycle grammar error this way (cloudposse/terraform-aws-ecr#158, moto's
// recorded responses); the detail after "validation failure:" says what is wrong.
const PREFIX = "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const untaggedCount = { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 };
const taggedAge = { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 };
const archivedAge = { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 365 };
const expire = { type: 'expire' };
const transition = { type: 'transition', targetStorageClass: 'archive' };

const rule = (rulePriority: Json, selection: Json, action: Json = expire) => ({ rulePriority, selection, action });
const policy = (...rules: Json[]) => JSON.stringify({ rules });

function failureOf(text: string): AwsError {
  try {
    parseLifecyclePolicy(text);
  } catch (error) {
    expect(error).toBeInstanceOf(AwsError);
    return error as AwsError;
  }
  throw new Error(`accepted: ${text}`);
}

describe('parseLifecyclePolicy accepts', () => {
  test.each(docPolicies)('the user guide example "$name"', ({ text }) => {
    const parsed = parseLifecyclePolicy(text);
    expect(parsed.rules.length).toBe((JSON.parse(text) as { rules: unknown[] }).rules.length);
  });

  test('the largest 32-bit rulePriority and countNumber', () => {
    const parsed = parseLifecyclePolicy(policy(rule(2 ** 31 - 1, { ...untaggedCount, countNumber: 2 ** 31 - 1 })));
    expect(parsed.rules[0]).toMatchObject({ rulePriority: 2 ** 31 - 1, selection: { countNumber: 2 ** 31 - 1 } });
  });

  test('four wildcards per pattern, the most the userguide allows', () => {
    const text = policy(rule(1, { ...taggedAge, tagPatternList: ['*test*1*2*3', 'test*1*2*3*'] }));
    expect(parseLifecyclePolicy(text).rules[0].selection.tagPatternList).toEqual(['*test*1*2*3', 'test*1*2*3*']);
  });

  test('an any rule last among standard rules while an archive rule has a higher priority', () => {
    const text = policy(
      rule(3, archivedAge),
      rule(1, taggedAge, transition),
      rule(2, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 30 }, transition),
    );
    expect(parseLifecyclePolicy(text).rules.map((r) => r.rulePriority)).toEqual([1, 2, 3]);
  });

  test('one untagged rule per storage class, and the same prefixes in both classes', () => {
    const text = policy(
      rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, transition),
      rule(2, { ...archivedAge, tagStatus: 'untagged' }),
      rule(3, { tagStatus: 'tagged', tagPrefixList: ['v'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 }, transition),
      rule(4, { ...archivedAge, tagStatus: 'tagged', tagPrefixList: ['v'], countNumber: 90 }),
    );
    expect(parseLifecyclePolicy(text).rules).toHaveLength(4);
  });

  test('and returns rules sorted by rulePriority, in the grammar’s own spelling, standard by default', () => {
    const text = policy(
      rule(10, archivedAge),
      { ...rule(2, taggedAge, transition), description: 'Archive prod' },
      rule(1, untaggedCount),
    );
    expect(parseLifecyclePolicy(text)).toEqual({
      rules: [
        {
          rulePriority: 1,
          selection: { tagStatus: 'untagged', storageClass: 'standard', countType: 'imageCountMoreThan', countNumber: 1 },
          action: { type: 'expire' },
        },
        {
          rulePriority: 2,
          description: 'Archive prod',
          selection: {
            tagStatus: 'tagged',
            tagPatternList: ['prod*'],
            storageClass: 'standard',
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 14,
          },
          action: { type: 'transition', targetStorageClass: 'archive' },
        },
        {
          rulePriority: 10,
          selection: {
            tagStatus: 'any',
            storageClass: 'archive',
            countType: 'sinceImageTransitioned',
            countUnit: 'days',
            countNumber: 365,
          },
          action: { type: 'expire' },
        },
      ],
    });
  });
});

interface Violation {
  name: string;
  text: string;
  /** What the message must say: ECR's sentence and where (rule and field). */
  mentions: string[];
}

const violations: Violation[] = [
  { name: 'malformed JSON', text: '{"rules": [', mentions: ['Could not map policyString into LifecyclePolicy.'] },
  { name: 'a policy that is not an object', text: '[]', mentions: ['Could not map policyString into LifecyclePolicy.'] },
  {
    name: 'an unknown top-level property',
    text: JSON.stringify({ version: 1, rules: [rule(1, untaggedCount)] }),
    mentions: ['object instance has properties which are not allowed by the schema: (["version"])'],
  },
  { name: 'no rules', text: '{}', mentions: ['object has missing required properties (["rules"])'] },
  { name: 'rules that are not an array', text: JSON.stringify({ rules: rule(1, untaggedCount) }), mentions: ['(allowed: ["array"])', 'at rules'] },
  { name: 'an empty rules array', text: policy(), mentions: ['array is too short', 'at rules'] },
  {
    name: 'more than 50 rules',
    text: policy(...Array.from({ length: 51 }, (_, i) => rule(i + 1, { ...taggedAge, tagPatternList: [`v${i}*`] }))),
    mentions: ['must have at most 50 elements', 'at rules'],
  },
  { name: 'a rule that is not an object', text: policy('rule'), mentions: ['(allowed: ["object"])', 'at rules[0]'] },
  {
    name: 'an unknown rule property',
    text: policy({ ...rule(1, untaggedCount), priority: 1 }),
    mentions: ['not allowed by the schema: (["priority"])', 'at rules[0]'],
  },
  { name: 'a rule without rulePriority', text: policy({ selection: untaggedCount, action: expire }), mentions: ['(["rulePriority"])', 'at rules[0]'] },
  { name: 'a rule without selection', text: policy({ rulePriority: 1, action: expire }), mentions: ['(["selection"])', 'at rules[0]'] },
  { name: 'a rule without action', text: policy({ rulePriority: 1, selection: untaggedCount }), mentions: ['(["action"])', 'at rules[0]'] },
  { name: 'a fractional rulePriority', text: policy(rule(1.5, untaggedCount)), mentions: ['(allowed: ["integer"])', 'at rules[0].rulePriority'] },
  { name: 'rulePriority 0', text: policy(rule(0, untaggedCount)), mentions: ['(minimum: 1, found: 0)', 'at rules[0].rulePriority'] },
  {
    name: 'a description that is not a string',
    text: policy({ ...rule(1, untaggedCount), description: 5 }),
    mentions: ['(allowed: ["string"])', 'rule with rulePriority 1, description'],
  },
  {
    name: 'an unknown selection property',
    text: policy(rule(1, { ...untaggedCount, tagPrefix: ['v'] })),
    mentions: ['not allowed by the schema: (["tagPrefix"])', 'rule with rulePriority 1, selection'],
  },
  {
    name: 'a selection without countNumber',
    text: policy(rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan' })),
    mentions: ['object has missing required properties (["countNumber"])', 'rule with rulePriority 1, selection'],
  },
  {
    name: 'an unknown tagStatus',
    text: policy(rule(1, { ...untaggedCount, tagStatus: 'TAGGED' })),
    mentions: ['instance value ("TAGGED") not found in enum', 'rule with rulePriority 1, selection.tagStatus'],
  },
  {
    name: 'a tagged rule without a tag list',
    text: policy(rule(1, { ...untaggedCount, tagStatus: 'tagged' })),
    mentions: ['Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED.', 'rule with rulePriority 1, selection.tagStatus'],
  },
  {
    name: 'a tagged rule with both tag lists',
    text: policy(rule(1, { ...taggedAge, tagPrefixList: ['prod'] })),
    mentions: ['either tagPatternList or tagPrefixList, but not both', 'rule with rulePriority 1, selection.tagPatternList'],
  },
  {
    name: 'an untagged rule with a tagPrefixList',
    text: policy(rule(1, { ...untaggedCount, tagPrefixList: ['v'] })),
    mentions: ['tagPrefixList may only be used when tagStatus=TAGGED', 'rule with rulePriority 1, selection.tagPrefixList'],
  },
  {
    name: 'an any rule with a tagPatternList',
    text: policy(rule(1, { ...untaggedCount, tagStatus: 'any', tagPatternList: ['v*'] })),
    mentions: ['tagPatternList may only be used when tagStatus=TAGGED', 'rule with rulePriority 1, selection.tagPatternList'],
  },
  {
    name: 'an empty tagPrefixList',
    text: policy(rule(1, { ...untaggedCount, tagStatus: 'tagged', tagPrefixList: [] })),
    mentions: ['array is too short', 'rule with rulePriority 1, selection.tagPrefixList'],
  },
  {
    name: 'a tag pattern that is not a string',
    text: policy(rule(1, { ...taggedAge, tagPatternList: ['prod*', 7] })),
    mentions: ['(allowed: ["string"])', 'rule with rulePriority 1, selection.tagPatternList[1]'],
  },
  {
    name: 'a tag pattern with more than four wildcards',
    text: policy(rule(1, { ...taggedAge, tagPatternList: ['test*1*2*3*4*5*6'] })),
    mentions: ['maximum limit of four wildcards', 'rule with rulePriority 1, selection.tagPatternList[0]'],
  },
  {
    name: 'an unknown storageClass',
    text: policy(rule(1, { ...untaggedCount, storageClass: 'glacier' })),
    mentions: ['instance value ("glacier") not found in enum', 'rule with rulePriority 1, selection.storageClass'],
  },
  {
    name: 'an unknown countType',
    text: policy(rule(1, { ...untaggedCount, countType: 'imageCountLessThan' })),
    mentions: ['instance failed to match exactly one schema (matched 0 out of 2)', 'rule with rulePriority 1, selection.countType'],
  },
  {
    name: 'an age count type without countUnit',
    text: policy(rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 14 })),
    mentions: ['instance failed to match exactly one schema (matched 0 out of 2)', 'rule with rulePriority 1, selection.countUnit'],
  },
  {
    name: 'countUnit with imageCountMoreThan',
    text: policy(rule(1, { ...untaggedCount, countUnit: 'days' })),
    mentions: ['instance failed to match exactly one schema (matched 0 out of 2)', 'rule with rulePriority 1, selection.countUnit'],
  },
  {
    name: 'a countUnit other than days',
    text: policy(rule(1, { ...taggedAge, countUnit: 'hours' })),
    mentions: ['instance value ("hours") not found in enum (possible values: ["days"])', 'rule with rulePriority 1, selection.countUnit'],
  },
  {
    name: 'countNumber 0',
    text: policy(rule(1, { ...untaggedCount, countNumber: 0 })),
    mentions: ['(minimum: 1, found: 0)', 'rule with rulePriority 1, selection.countNumber'],
  },
  {
    name: 'a countNumber that is a string',
    text: policy(rule(1, { ...untaggedCount, countNumber: '5' })),
    mentions: ['instance type (string)', '(allowed: ["integer"])', 'rule with rulePriority 1, selection.countNumber'],
  },
  {
    name: 'sinceImageTransitioned without storageClass',
    text: policy(rule(1, { tagStatus: 'any', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 365 })),
    mentions: ['(["storageClass"])', 'rule with rulePriority 1, selection.storageClass'],
  },
  {
    name: 'sinceImageTransitioned selecting standard images',
    text: policy(rule(1, { ...archivedAge, storageClass: 'standard' })),
    mentions: ['instance value ("standard") not found in enum (possible values: ["archive"])', 'rule with rulePriority 1, selection.storageClass'],
  },
  {
    name: 'an archive selection with another count type',
    text: policy(rule(1, { ...untaggedCount, storageClass: 'archive' })),
    mentions: ['instance value ("archive") not found in enum (possible values: ["standard"])', 'rule with rulePriority 1, selection.storageClass'],
  },
  {
    name: 'expiring archived images before their 90-day minimum',
    text: policy(rule(1, { ...archivedAge, countNumber: 30 })),
    mentions: ['(minimum: 90, found: 30)', 'rule with rulePriority 1, selection.countNumber'],
  },
  {
    name: 'sinceImagePulled with an expire action',
    text: policy(rule(1, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 }, expire)),
    mentions: ['must be used with the transition action', 'rule with rulePriority 1, action.type'],
  },
  {
    name: 'sinceImageTransitioned with a transition action',
    text: policy(rule(1, archivedAge, transition)),
    mentions: ['must be used with the expire action', 'rule with rulePriority 1, action.type'],
  },
  {
    name: 'an unknown action type',
    text: policy(rule(1, untaggedCount, { type: 'delete' })),
    mentions: ['instance value ("delete") not found in enum (possible values: ["expire","transition"])', 'rule with rulePriority 1, action.type'],
  },
  {
    name: 'an action without type',
    text: policy(rule(1, untaggedCount, {})),
    mentions: ['object has missing required properties (["type"])', 'rule with rulePriority 1, action'],
  },
  {
    name: 'an unknown action property',
    text: policy(rule(1, untaggedCount, { type: 'expire', days: 3 })),
    mentions: ['not allowed by the schema: (["days"])', 'rule with rulePriority 1, action'],
  },
  {
    name: 'a transition without targetStorageClass',
    text: policy(rule(1, taggedAge, { type: 'transition' })),
    mentions: ['instance failed to match exactly one schema (matched 0 out of 2)', 'rule with rulePriority 1, action.targetStorageClass'],
  },
  {
    name: 'a transition to a class other than archive',
    text: policy(rule(1, taggedAge, { type: 'transition', targetStorageClass: 'standard' })),
    mentions: ['instance value ("standard") not found in enum (possible values: ["archive"])', 'rule with rulePriority 1, action.targetStorageClass'],
  },
  {
    // cloudposse/terraform-aws-ecr#158: `targetStorageClass = null` on an expire action.
    name: 'an expire action with targetStorageClass',
    text: policy(rule(1, taggedAge, { type: 'expire', targetStorageClass: null })),
    mentions: ['instance failed to match exactly one schema (matched 0 out of 2)', 'rule with rulePriority 1, action.targetStorageClass'],
  },
  {
    name: 'two rules with the same rulePriority',
    text: policy(rule(1, untaggedCount), rule(1, taggedAge)),
    mentions: ['rulePriority 1 is used by more than one rule', 'rule with rulePriority 1, rulePriority'],
  },
  {
    name: 'an any rule evaluated before another rule on the same storage class',
    text: policy(rule(1, { ...untaggedCount, tagStatus: 'any' }), rule(2, taggedAge)),
    mentions: ['Rule for tagStatus=ANY must have the lowest priority per storage class', 'rule with rulePriority 1, selection.tagStatus'],
  },
  {
    name: 'two rules selecting untagged images of one storage class',
    text: policy(rule(1, untaggedCount), rule(2, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 })),
    mentions: ['Only one rule can select untagged images per storage class', 'rule with rulePriority 2, selection.tagStatus'],
  },
  {
    name: 'two rules with the same tag prefixes on one storage class',
    text: policy(
      rule(1, { tagStatus: 'tagged', tagPrefixList: ['prod', 'v'], countType: 'imageCountMoreThan', countNumber: 5 }),
      rule(2, { tagStatus: 'tagged', tagPrefixList: ['v', 'prod'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 }),
    ),
    mentions: ['must contain a unique set of prefixes', 'rule with rulePriority 2, selection.tagPrefixList'],
  },
  {
    name: 'a rulePriority past the 32-bit range ECR stores priorities in',
    text: policy(rule(2 ** 31, untaggedCount)),
    mentions: ['Could not map policyString into LifecyclePolicy.', 'rule with rulePriority 2147483648, rulePriority'],
  },
  {
    name: 'a countNumber past the 32-bit range',
    text: policy(rule(1, { ...untaggedCount, countNumber: 1e21 })),
    mentions: ['Could not map policyString into LifecyclePolicy.', 'rule with rulePriority 1, selection.countNumber'],
  },
];

describe('parseLifecyclePolicy rejects with InvalidParameterException', () => {
  test.each(violations)('$name', ({ text, mentions }) => {
    const error = failureOf(text);
    expect(error.type).toBe('InvalidParameterException');
    expect(error.status).toBe(400);
    expect(error.message.startsWith(PREFIX)).toBe(true);
    expect(error.message.endsWith("'")).toBe(true);
    for (const mention of mentions) expect(error.message).toContain(mention);
  });
});
