import type { AwsError } from '../../model/errors.js';
import { invalidParameterAt } from '../messages.js';
import type {
  CountType,
  LifecycleAction,
  LifecyclePolicy,
  LifecycleRule,
  LifecycleSelection,
  SelectionStorageClass,
  TagStatus,
} from './policy-types.js';

/**
 * Parses a lifecycle policy text and checks it the way ECR does before storing it or running a
 * preview (userguide lifecycle_policy_parameters.html, LifecyclePolicies.html "Lifecycle policy
 * evaluation rules", lifecycle_policy_examples.html). The text's length (100..30,720) is checked
 * by the model before a handler runs, so it is not checked again here.
 *
 * ECR validates the text against a JSON schema first and then checks the rules against each
 * other. Its errors read
 *   Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint:
 *   'Lifecycle policy validation failure: <detail>'
 * where <detail> is the schema validator's sentence ("object has missing required properties
 * (["rules"])", "instance failed to match exactly one schema (matched 0 out of 2)", ...) or one of
 * ECR's own ("Rule for tagStatus=ANY must have the lowest priority per storage class"). ECR does
 * not say where the problem is; Berth adds " at <rule>, <field>" so the offending rule and field
 * can be found, keeping ECR's sentence first.
 */
export function parseLifecyclePolicy(text: string): LifecyclePolicy {
  let document: Json;
  try {
    document = JSON.parse(text) as Json;
  } catch {
    throw failure(COULD_NOT_MAP);
  }
  if (!isObject(document)) throw failure(COULD_NOT_MAP);

  checkProperties(document, TOP_LEVEL, ['rules'], 'the policy');
  const rules = document.rules;
  if (!Array.isArray(rules)) throw failure(wrongType(rules, 'array'), 'rules');
  if (rules.length < 1) throw failure(`array is too short: must have at least 1 elements but instance has ${rules.length} elements`, 'rules');
  if (rules.length > MAX_RULES) {
    throw failure(`array is too long: must have at most ${MAX_RULES} elements but instance has ${rules.length} elements`, 'rules');
  }

  const parsed = rules.map((rule, index) => parseRule(rule, index));
  parsed.forEach(checkIntegersFit);
  checkRulesTogether(parsed);
  return { rules: parsed.sort((a, b) => a.rulePriority - b.rulePriority) };
}

/** The quota "Rules per lifecycle policy" (service-quotas.html). */
const MAX_RULES = 50;
/** "There is a maximum limit of four wildcards (*) per string." */
const MAX_WILDCARDS = 4;
/** "You cannot configure lifecycle policies that delete images that have been in archive for less than 90 days." */
const MIN_ARCHIVE_DAYS = 90;

const COULD_NOT_MAP = 'Could not map policyString into LifecyclePolicy.';
/**
 * ECR's rule priorities are 32-bit (the API model's appliedRulePriority is an Integer), and a
 * policy is mapped onto its types after the schema check, so a number past the int range fits
 * the schema but not the mapping. ECR's exact words for it are not documented; Berth answers
 * the mapping failure, with where and why.
 */
const INT_MAX = 2_147_483_647;
/** The schema validator's sentence when a value fits neither of two alternative shapes (count vs age selection, expire vs transition action). */
const NO_SCHEMA_MATCHED = 'instance failed to match exactly one schema (matched 0 out of 2)';

const TOP_LEVEL = ['rules'];
const RULE = ['rulePriority', 'description', 'selection', 'action'];
const SELECTION = ['tagStatus', 'tagPrefixList', 'tagPatternList', 'storageClass', 'countType', 'countUnit', 'countNumber'];
const ACTION = ['type', 'targetStorageClass'];

const TAG_STATUSES: readonly TagStatus[] = ['tagged', 'untagged', 'any'];
const COUNT_TYPES: readonly CountType[] = ['imageCountMoreThan', 'sinceImagePushed', 'sinceImagePulled', 'sinceImageTransitioned'];
const STORAGE_CLASSES: readonly SelectionStorageClass[] = ['standard', 'archive'];
const ACTION_TYPES = ['expire', 'transition'] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: Json | undefined): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const has = (object: JsonObject, key: string): boolean => Object.hasOwn(object, key);

const failure = (detail: string, where?: string, why?: string): AwsError =>
  invalidParameterAt(
    'LifecyclePolicyText',
    `Lifecycle policy validation failure: ${detail}${where ? ` at ${where}` : ''}${why ? ` (${why})` : ''}`,
  );

/** The JSON schema type name of a value, as the schema validator reports it. */
function jsonType(value: Json | undefined): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const wrongType = (value: Json | undefined, allowed: string) =>
  `instance type (${jsonType(value)}) does not match any allowed primitive type (allowed: ["${allowed}"])`;

const notInEnum = (value: Json | undefined, allowed: readonly string[]) =>
  `instance value (${JSON.stringify(value)}) not found in enum (possible values: ${JSON.stringify(allowed)})`;

const belowMinimum = (minimum: number, found: number) =>
  `numeric instance is lower than the required minimum (minimum: ${minimum}, found: ${found})`;

/** Unknown properties first, then missing required ones, as the schema validator reports them. */
function checkProperties(object: JsonObject, allowed: readonly string[], required: readonly string[], where: string): void {
  const unknown = Object.keys(object).filter((key) => !allowed.includes(key)).sort();
  if (unknown.length > 0) {
    throw failure(`object instance has properties which are not allowed by the schema: (${JSON.stringify(unknown)})`, where);
  }
  const missing = required.filter((key) => !has(object, key)).sort();
  if (missing.length > 0) throw failure(`object has missing required properties (${JSON.stringify(missing)})`, where);
}

function requireString<T extends string>(value: Json | undefined, allowed: readonly T[], where: string): T {
  if (typeof value !== 'string') throw failure(wrongType(value, 'string'), where);
  if (!(allowed as readonly string[]).includes(value)) throw failure(notInEnum(value, allowed), where);
  return value as T;
}

function requireInteger(value: Json | undefined, minimum: number, where: string, why?: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw failure(wrongType(value, 'integer'), where);
  if (value < minimum) throw failure(belowMinimum(minimum, value), where, why);
  return value;
}

function requireStringList(value: Json | undefined, where: string): string[] {
  if (!Array.isArray(value)) throw failure(wrongType(value, 'array'), where);
  if (value.length < 1) throw failure(`array is too short: must have at least 1 elements but instance has 0 elements`, where);
  value.forEach((item, index) => {
    if (typeof item !== 'string') throw failure(wrongType(item, 'string'), `${where}[${index}]`);
  });
  return value as string[];
}

function checkIntegersFit(rule: LifecycleRule): void {
  const named = `rule with rulePriority ${rule.rulePriority}`;
  if (rule.rulePriority > INT_MAX) throw failure(COULD_NOT_MAP, `${named}, rulePriority`, `larger than ${INT_MAX}`);
  if (rule.selection.countNumber > INT_MAX) throw failure(COULD_NOT_MAP, `${named}, selection.countNumber`, `larger than ${INT_MAX}`);
}

function parseRule(rule: Json, index: number): LifecycleRule {
  const position = `rules[${index}]`;
  if (!isObject(rule)) throw failure(wrongType(rule, 'object'), position);
  checkProperties(rule, RULE, ['rulePriority', 'selection', 'action'], position);

  const rulePriority = requireInteger(rule.rulePriority, 1, `${position}.rulePriority`);
  // From here on the rule is named the way its author knows it: by its priority.
  const named = `rule with rulePriority ${rulePriority}`;
  const where = (field: string) => `${named}, ${field}`;

  let description: string | undefined;
  if (has(rule, 'description')) {
    if (typeof rule.description !== 'string') throw failure(wrongType(rule.description, 'string'), where('description'));
    description = rule.description;
  }

  const selection = parseSelection(rule.selection, where);
  const action = parseAction(rule.action, where);
  checkSelectionFitsAction(selection, action, where);
  return { rulePriority, ...(description !== undefined ? { description } : {}), selection, action };
}

function parseSelection(value: Json, where: (field: string) => string): LifecycleSelection {
  if (!isObject(value)) throw failure(wrongType(value, 'object'), where('selection'));
  checkProperties(value, SELECTION, ['tagStatus', 'countType', 'countNumber'], where('selection'));

  const tagStatus = requireString(value.tagStatus, TAG_STATUSES, where('selection.tagStatus'));
  const tagPrefixList = has(value, 'tagPrefixList') ? requireStringList(value.tagPrefixList, where('selection.tagPrefixList')) : undefined;
  const tagPatternList = has(value, 'tagPatternList') ? requireStringList(value.tagPatternList, where('selection.tagPatternList')) : undefined;
  checkTagLists(tagStatus, tagPrefixList, tagPatternList, where);

  const storageClass = has(value, 'storageClass')
    ? requireString(value.storageClass, STORAGE_CLASSES, where('selection.storageClass'))
    : undefined;

  const countType = value.countType;
  if (typeof countType !== 'string') throw failure(wrongType(countType, 'string'), where('selection.countType'));
  if (!(COUNT_TYPES as readonly string[]).includes(countType)) {
    // Count and age selections are alternative schemas; an unknown countType fits neither.
    throw failure(NO_SCHEMA_MATCHED, where('selection.countType'), `countType must be one of ${COUNT_TYPES.join(', ')}`);
  }
  const counted = countType as CountType;
  const byAge = counted !== 'imageCountMoreThan';

  if (byAge && !has(value, 'countUnit')) {
    throw failure(NO_SCHEMA_MATCHED, where('selection.countUnit'), `countUnit "days" is required when countType is ${counted}`);
  }
  if (!byAge && has(value, 'countUnit')) {
    throw failure(NO_SCHEMA_MATCHED, where('selection.countUnit'), 'countUnit is not allowed when countType is imageCountMoreThan');
  }
  const countUnit = byAge ? requireString(value.countUnit, ['days'] as const, where('selection.countUnit')) : undefined;

  // "When using a countType of sinceImageTransitioned, this is required, and the only supported
  // value is archive"; with every other count type "the only supported value is standard".
  if (counted === 'sinceImageTransitioned' && storageClass !== 'archive') {
    throw failure(
      storageClass === undefined ? 'object has missing required properties (["storageClass"])' : notInEnum(storageClass, ['archive']),
      where('selection.storageClass'),
      'countType sinceImageTransitioned selects archived images and needs storageClass "archive"',
    );
  }
  if (counted !== 'sinceImageTransitioned' && storageClass === 'archive') {
    throw failure(notInEnum(storageClass, ['standard']), where('selection.storageClass'), `countType ${counted} only selects standard images`);
  }

  const archived = counted === 'sinceImageTransitioned';
  const countNumber = requireInteger(
    value.countNumber,
    archived ? MIN_ARCHIVE_DAYS : 1,
    where('selection.countNumber'),
    archived ? 'images must stay in archive for a minimum of 90 days before they can be expired' : undefined,
  );

  return {
    tagStatus,
    ...(tagPrefixList ? { tagPrefixList } : {}),
    ...(tagPatternList ? { tagPatternList } : {}),
    storageClass: storageClass ?? 'standard',
    countType: counted,
    ...(countUnit ? { countUnit } : {}),
    countNumber,
  };
}

function checkTagLists(
  tagStatus: TagStatus,
  tagPrefixList: string[] | undefined,
  tagPatternList: string[] | undefined,
  where: (field: string) => string,
): void {
  if (tagStatus === 'tagged') {
    if (!tagPrefixList && !tagPatternList) {
      throw failure('Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED.', where('selection.tagStatus'));
    }
    if (tagPrefixList && tagPatternList) {
      throw failure(
        'A lifecycle policy rule may specify either tagPatternList or tagPrefixList, but not both',
        where('selection.tagPatternList'),
      );
    }
  } else {
    const given = tagPrefixList ? 'tagPrefixList' : tagPatternList ? 'tagPatternList' : undefined;
    if (given) {
      throw failure(
        `${given} may only be used when tagStatus=TAGGED`,
        where(`selection.${given}`),
        `this rule has tagStatus ${tagStatus}`,
      );
    }
  }
  tagPatternList?.forEach((pattern, index) => {
    const wildcards = pattern.split('*').length - 1;
    if (wildcards > MAX_WILDCARDS) {
      throw failure(
        `There is a maximum limit of four wildcards (*) per string; ${JSON.stringify(pattern)} has ${wildcards}`,
        where(`selection.tagPatternList[${index}]`),
      );
    }
  });
}

function parseAction(value: Json, where: (field: string) => string): LifecycleAction {
  if (!isObject(value)) throw failure(wrongType(value, 'object'), where('action'));
  checkProperties(value, ACTION, ['type'], where('action'));
  const type = requireString(value.type, ACTION_TYPES, where('action.type'));

  // Expire and transition are alternative schemas: only a transition names a target class.
  if (type === 'expire') {
    if (has(value, 'targetStorageClass')) {
      throw failure(NO_SCHEMA_MATCHED, where('action.targetStorageClass'), 'targetStorageClass is only allowed when type is transition');
    }
    return { type };
  }
  if (!has(value, 'targetStorageClass')) {
    throw failure(NO_SCHEMA_MATCHED, where('action.targetStorageClass'), 'targetStorageClass "archive" is required when type is transition');
  }
  requireString(value.targetStorageClass, ['archive'] as const, where('action.targetStorageClass'));
  return { type, targetStorageClass: 'archive' };
}

/**
 * "The sinceImagePulled count type must be used with the transition action"; "The
 * sinceImageTransitioned count type must be used with the expire action and the archive storage
 * class". Archive selections only exist with sinceImageTransitioned, so a transition always moves
 * standard images.
 */
function checkSelectionFitsAction(selection: LifecycleSelection, action: LifecycleAction, where: (field: string) => string): void {
  if (selection.countType === 'sinceImagePulled' && action.type !== 'transition') {
    throw failure(
      notInEnum(action.type, ['transition']),
      where('action.type'),
      'the sinceImagePulled count type must be used with the transition action',
    );
  }
  if (selection.countType === 'sinceImageTransitioned' && action.type !== 'expire') {
    throw failure(
      notInEnum(action.type, ['expire']),
      where('action.type'),
      'the sinceImageTransitioned count type must be used with the expire action',
    );
  }
}

/** What ECR checks across rules once each rule is well formed. */
function checkRulesTogether(rules: LifecycleRule[]): void {
  const seen = new Set<number>();
  for (const rule of rules) {
    if (seen.has(rule.rulePriority)) {
      throw failure(
        `rulePriority ${rule.rulePriority} is used by more than one rule`,
        `rule with rulePriority ${rule.rulePriority}, rulePriority`,
        'each rule must have a unique rulePriority',
      );
    }
    seen.add(rule.rulePriority);
  }

  // The ordering and uniqueness rules hold per storage class: a policy may archive "any" image
  // with one rule and expire "any" archived image with another (the userguide's "Combining
  // archive and expire rules").
  for (const storageClass of STORAGE_CLASSES) {
    const selecting = rules
      .filter((rule) => rule.selection.storageClass === storageClass)
      .sort((a, b) => a.rulePriority - b.rulePriority);
    const last = selecting.at(-1);
    const anyRule = selecting.find((rule) => rule.selection.tagStatus === 'any');
    if (anyRule && last && anyRule !== last) {
      throw failure(
        'Rule for tagStatus=ANY must have the lowest priority per storage class',
        `rule with rulePriority ${anyRule.rulePriority}, selection.tagStatus`,
        `its rulePriority must be higher than every other rule selecting ${storageClass} images; rule with rulePriority ${last.rulePriority} is evaluated after it`,
      );
    }

    const untagged = selecting.filter((rule) => rule.selection.tagStatus === 'untagged');
    if (untagged.length > 1) {
      throw failure(
        'Only one rule can select untagged images per storage class',
        `rule with rulePriority ${untagged[1].rulePriority}, selection.tagStatus`,
        `rule with rulePriority ${untagged[0].rulePriority} already selects untagged ${storageClass} images`,
      );
    }

    // "The set of all rules selecting a specific storage class must contain a unique set of prefixes."
    const prefixSets = new Map<string, number>();
    for (const rule of selecting) {
      if (!rule.selection.tagPrefixList) continue;
      const key = JSON.stringify([...new Set(rule.selection.tagPrefixList)].sort());
      const earlier = prefixSets.get(key);
      if (earlier !== undefined) {
        throw failure(
          'The set of all rules selecting a specific storage class must contain a unique set of prefixes',
          `rule with rulePriority ${rule.rulePriority}, selection.tagPrefixList`,
          `rule with rulePriority ${earlier} selects the same prefixes ${key} in ${storageClass} storage`,
        );
      }
      prefixSets.set(key, rule.rulePriority);
    }
  }
}
