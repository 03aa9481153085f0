import { invalidParameterAt } from '../messages.js';

/**
 * Checks a repository or registry policy the way ECR does before storing it, and returns the
 * text ECR stores. Policies are IAM resource-based policies:
 *
 *   { "Version"?: "2012-10-17" | "2008-10-17", "Id"?: string, "Statement": statement | [statement, ...] }
 *   statement: Sid?, Effect Allow|Deny, Principal|NotPrincipal, Action|NotAction, Condition?,
 *              and Resource|NotResource, which a registry policy needs and a repository policy
 *              must not have (the repository is the resource; ECR rejects Resource there).
 *
 * Anything else is ECR's InvalidParameterException "Invalid parameter at 'PolicyText' failed to
 * satisfy constraint: 'Invalid repository policy provided'" (or "registry"). Principals are not
 * resolved against IAM (Berth has no IAM), and nothing here enforces a policy.
 */
export type PolicyKind = 'repository' | 'registry';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const DOCUMENT_KEYS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const PRINCIPAL_TYPES = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);
/** "*" or vendor:action, where the action part may hold wildcards ("ecr:*", "ecr:Get*"). */
const ACTION = /^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$/;

export const invalidPolicy = (kind: PolicyKind) => invalidParameterAt('PolicyText', `Invalid ${kind} policy provided`);

const isObject = (value: Json | undefined): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const has = (object: JsonObject, key: string): boolean => Object.hasOwn(object, key);

/** A string, or a non-empty list of strings, each passing `valid`. */
function isStringOrList(value: Json | undefined, valid: (s: string) => boolean): boolean {
  if (typeof value === 'string') return valid(value);
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && valid(v));
}

const nonEmpty = (s: string) => s.length > 0;

function isPrincipal(value: Json | undefined): boolean {
  if (value === '*') return true;
  if (!isObject(value)) return false;
  const entries = Object.entries(value);
  return entries.length > 0 && entries.every(([type, ids]) => PRINCIPAL_TYPES.has(type) && isStringOrList(ids, nonEmpty));
}

/** { operator: { key: value | [values] } } with scalar values. */
function isCondition(value: Json | undefined): boolean {
  if (!isObject(value)) return false;
  const scalar = (v: Json) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  return Object.values(value).every(
    (block) => isObject(block) && Object.values(block).every((v) => scalar(v) || (Array.isArray(v) && v.every(scalar))),
  );
}

/** Exactly one of the two keys is present. */
const oneOf = (statement: JsonObject, a: string, b: string) => has(statement, a) !== has(statement, b);

function isStatement(statement: Json, kind: PolicyKind): boolean {
  if (!isObject(statement)) return false;
  if (Object.keys(statement).some((key) => !STATEMENT_KEYS.has(key))) return false;
  if (has(statement, 'Sid') && typeof statement.Sid !== 'string') return false;
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') return false;
  if (!oneOf(statement, 'Principal', 'NotPrincipal') || !isPrincipal(statement.Principal ?? statement.NotPrincipal)) return false;
  if (!oneOf(statement, 'Action', 'NotAction') || !isStringOrList(statement.Action ?? statement.NotAction, (a) => ACTION.test(a))) {
    return false;
  }
  if (kind === 'repository') {
    if (has(statement, 'Resource') || has(statement, 'NotResource')) return false;
  } else if (!oneOf(statement, 'Resource', 'NotResource') || !isStringOrList(statement.Resource ?? statement.NotResource, nonEmpty)) {
    return false;
  }
  return !has(statement, 'Condition') || isCondition(statement.Condition);
}

function isPolicyDocument(document: Json, kind: PolicyKind): boolean {
  if (!isObject(document)) return false;
  if (Object.keys(document).some((key) => !DOCUMENT_KEYS.has(key))) return false;
  if (has(document, 'Version') && !(typeof document.Version === 'string' && VERSIONS.has(document.Version))) return false;
  if (has(document, 'Id') && typeof document.Id !== 'string') return false;
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  return statements.length > 0 && statements.every((statement) => isStatement(statement, kind));
}

/**
 * ECR answers (and returns from then on) a policy re-serialised by Jackson's default pretty
 * printer, not the caller's text: objects one member a line indented by two spaces with
 * `"key" : value`, arrays inline as `[ a, b ]`, `{ }` and `[ ]` when empty. Clients compare
 * policies as JSON, so the exact text matters only to tools that diff it; matching it keeps
 * those honest.
 */
export function formatPolicy(value: Json, nesting = 0): string {
  if (Array.isArray(value)) {
    return value.length ? `[ ${value.map((item) => formatPolicy(item, nesting)).join(', ')} ]` : '[ ]';
  }
  if (isObject(value)) {
    const entries = Object.entries(value);
    if (!entries.length) return '{ }';
    const indent = `\n${'  '.repeat(nesting + 1)}`;
    const members = entries.map(([key, member]) => `${indent}${JSON.stringify(key)} : ${formatPolicy(member, nesting + 1)}`);
    return `{${members.join(',')}\n${'  '.repeat(nesting)}}`;
  }
  return JSON.stringify(value);
}

/** The policy text to store, or InvalidParameterException. */
export function checkPolicyText(text: string, kind: PolicyKind): string {
  let document: Json;
  try {
    document = JSON.parse(text) as Json;
  } catch {
    throw invalidPolicy(kind);
  }
  if (!isPolicyDocument(document, kind)) throw invalidPolicy(kind);
  return formatPolicy(document);
}
