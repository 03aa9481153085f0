import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { OperationName } from './generated/operations.js';
import type { MemberType, ServiceModel, StructureShape } from './model.js';

/**
 * Input validation driven by the model: one ajv validator per operation, compiled on first
 * use, whose failures are worded the way AWS words them.
 *
 *   wrong JSON type          -> SerializationException (the AWS JSON protocol cannot read it)
 *   constraint not satisfied -> ValidationException "N validation error(s) detected: ...", or
 *                               for ECR's older operations InvalidParameterException (see below)
 */
export type ValidationFailure =
  | { kind: 'serialization'; message: string }
  | { kind: 'validation'; message: string }
  | { kind: 'invalid-parameter'; message: string };

type JsonSchema = Record<string, unknown>;

const FRIENDLY_TYPE: Record<string, string> = {
  string: 'String',
  number: 'Integer',
  integer: 'Integer',
  boolean: 'Boolean',
  timestamp: 'Date',
  blob: 'ByteBuffer',
  list: 'List',
  map: 'Map',
  structure: 'Structure',
};

function schemaOf(type: MemberType, enums: ServiceModel['enums']): JsonSchema {
  switch (type.type) {
    case 'string': {
      const schema: JsonSchema = { type: 'string' };
      if (type.length?.min !== undefined) schema.minLength = type.length.min;
      if (type.length?.max !== undefined) schema.maxLength = type.length.max;
      if (type.pattern !== undefined) schema.pattern = type.pattern;
      if (type.enum !== undefined) schema.enum = enums[type.enum];
      return schema;
    }
    case 'number': {
      // The npm schemas say only "number", but every numeric member of ECR's inputs is an
      // integer or long in AWS's model (no float or double), so a fraction cannot be read.
      const schema: JsonSchema = { type: 'integer' };
      if (type.range?.min !== undefined) schema.minimum = type.range.min;
      if (type.range?.max !== undefined) schema.maximum = type.range.max;
      return schema;
    }
    case 'boolean':
      return { type: 'boolean' };
    case 'timestamp':
      return { type: 'number' };
    case 'blob':
      return { type: 'string' }; // base64; byte limits are checked where the bytes are used
    case 'document':
      return {};
    case 'list': {
      const schema: JsonSchema = { type: 'array', items: schemaOf(type.member, enums) };
      if (type.length?.min !== undefined) schema.minItems = type.length.min;
      if (type.length?.max !== undefined) schema.maxItems = type.length.max;
      return schema;
    }
    case 'map': {
      const schema: JsonSchema = { type: 'object', additionalProperties: schemaOf(type.value, enums) };
      if (type.length?.min !== undefined) schema.minProperties = type.length.min;
      if (type.length?.max !== undefined) schema.maxProperties = type.length.max;
      return schema;
    }
    case 'structure':
      return { $ref: `#/$defs/${type.shape}` };
  }
}

function structureSchema(shape: StructureShape, enums: ServiceModel['enums']): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, member] of Object.entries(shape.members)) {
    properties[name] = schemaOf(member, enums);
    if (member.required) required.push(name);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

/**
 * No ECR input nests more than a handful of levels. A body nested thousands deep (in a member
 * the model does not even know) would overflow the stack of the recursive walks here and in
 * ajv, turning a client's mistake into a ServerException; it is refused as unreadable instead.
 */
const MAX_DEPTH = 64;
class TooDeep extends Error {}

/**
 * JSON null means "not set" in the AWS JSON protocol: drop it before validating. A member named
 * "__proto__" is dropped too: no shape has one, and assigning it would set the copy's prototype,
 * so its contents would pass for the request's own members.
 */
function withoutNulls(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new TooDeep();
  if (Array.isArray(value)) return value.map((item) => withoutNulls(item, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== null && key !== '__proto__') out[key] = withoutNulls(item, depth + 1);
    }
    return out;
  }
  return value;
}

/** "/tags/0/Key" -> "tags.1.member.Key", AWS's way of naming a member in a message. */
function awsPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (extra !== undefined) parts.push(extra);
  return parts.map((part) => (/^\d+$/.test(part) ? `${Number(part) + 1}.member` : part)).join('.');
}

function valueAt(input: unknown, instancePath: string): unknown {
  let value = input;
  for (const part of instancePath.split('/').slice(1)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

/** Java-style rendering, as AWS prints values in validation messages. */
function render(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(render).join(', ')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${k}=${render(v)}`).join(', ')}}`;
  }
  return String(value);
}

const displayPattern = (pattern: string): string => pattern.replace(/^\^/, '').replace(/\$$/, '');

function constraintText(error: ErrorObject): string | undefined {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'Member must not be null';
    case 'minLength':
    case 'minItems':
    case 'minProperties':
      return `Member must have length greater than or equal to ${String(params.limit)}`;
    case 'maxLength':
    case 'maxItems':
    case 'maxProperties':
      return `Member must have length less than or equal to ${String(params.limit)}`;
    case 'minimum':
      return `Member must have value greater than or equal to ${String(params.limit)}`;
    case 'maximum':
      return `Member must have value less than or equal to ${String(params.limit)}`;
    case 'pattern':
      return `Member must satisfy regular expression pattern: ${displayPattern(String(params.pattern))}`;
    case 'enum':
      return `Member must satisfy enum value set: [${(params.allowedValues as unknown[]).map(String).join(', ')}]`;
    default:
      return undefined;
  }
}

/** Keywords that constrain a scalar (string or number) value. */
const SCALAR_KEYWORDS = new Set(['minLength', 'maxLength', 'pattern', 'enum', 'minimum', 'maximum']);

/**
 * Every constraint of a list's scalar member, in AWS's order. AWS reports a bad element of such
 * a list once for the whole list: "Value '[a, B]' at 'names' failed to satisfy constraint:
 * Member must satisfy constraint: [Member must have length less than or equal to 256, ...]".
 */
function memberConstraints(schema: JsonSchema): string {
  const parts: string[] = [];
  if (schema.maxLength !== undefined) parts.push(`Member must have length less than or equal to ${String(schema.maxLength)}`);
  if (schema.minLength !== undefined) parts.push(`Member must have length greater than or equal to ${String(schema.minLength)}`);
  if (schema.maximum !== undefined) parts.push(`Member must have value less than or equal to ${String(schema.maximum)}`);
  if (schema.minimum !== undefined) parts.push(`Member must have value greater than or equal to ${String(schema.minimum)}`);
  if (schema.pattern !== undefined) parts.push(`Member must satisfy regular expression pattern: ${displayPattern(String(schema.pattern))}`);
  if (Array.isArray(schema.enum)) parts.push(`Member must satisfy enum value set: [${schema.enum.map(String).join(', ')}]`);
  return `Member must satisfy constraint: [${parts.join(', ')}]`;
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'START_ARRAY';
  if (value && typeof value === 'object') return 'START_OBJECT';
  if (typeof value === 'string') return 'STRING_VALUE';
  if (typeof value === 'number') return 'NUMBER_VALUE';
  if (typeof value === 'boolean') return value ? 'TRUE_VALUE' : 'FALSE_VALUE';
  return 'VALUE';
}

function serializationMessage(error: ErrorObject, input: unknown): string {
  const value = valueAt(input, error.instancePath);
  const expected = String((error.params as { type?: string }).type);
  if (Array.isArray(value)) return 'Start of list found where not expected';
  if (value && typeof value === 'object') return 'Start of structure or map found where not expected.';
  const target = expected === 'array' ? 'List' : expected === 'object' ? 'Structure' : FRIENDLY_TYPE[expected] ?? expected;
  return `${jsonKind(value)} can not be converted to ${/^[AEIOU]/.test(target) ? 'an' : 'a'} ${target}`;
}

interface Violation {
  /** AWS's member path, e.g. "tags.1.member.Key". */
  path: string;
  /** The value as AWS prints it: quoted, or null when missing. */
  value: string;
  /** AWS's constraint text, e.g. "Member must have length less than or equal to 256". */
  constraint: string;
}

/** "N validation error(s) detected: Value 'x' at 'p' failed to satisfy constraint: ...; ..." */
function validationException(violations: Violation[]): ValidationFailure {
  const count = violations.length;
  const details = violations.map((v) => `Value ${v.value} at '${v.path}' failed to satisfy constraint: ${v.constraint}`);
  return { kind: 'validation', message: `${count} validation error${count === 1 ? '' : 's'} detected: ${details.join('; ')}` };
}

/**
 * ECR's older operations (CreateRepository, DescribeRepositories, ...) do not have
 * ValidationException among their errors: ECR checks their input itself and answers the first
 * violation as InvalidParameterException, e.g. "Invalid parameter at 'repositoryName' failed to
 * satisfy constraint: 'must have length greater than or equal to 2'".
 */
function invalidParameter(violation: Violation): ValidationFailure {
  const constraint = violation.constraint
    .replace(/^Member must satisfy regular expression pattern: (.*)$/s, "must satisfy regular expression '$1'")
    .replace(/^Member /, '');
  return { kind: 'invalid-parameter', message: `Invalid parameter at '${violation.path}' failed to satisfy constraint: '${constraint}'` };
}

export interface InputValidator {
  /** Returns the cleaned input, or the failure to answer. */
  validate(operation: OperationName, input: unknown): { ok: true; input: Record<string, unknown> } | { ok: false; failure: ValidationFailure };
}

/**
 * Validators depend on the model alone, so engines in one process share them (and what each
 * has compiled): a second in-process engine starts without compiling anything again.
 */
const validatorsByModel = new WeakMap<ServiceModel, InputValidator>();

/**
 * Patterns compile without the u flag: some AWS patterns escape characters that u forbids.
 * verbose: errors carry the schema that failed, so a list member's constraints can be listed.
 * validateSchema off: the schemas are generated from the model, and checking them against
 * JSON Schema's meta-schema took most of the start-up time.
 */
export const AJV_OPTIONS = {
  allErrors: true,
  verbose: true,
  strict: false,
  unicodeRegExp: false,
  validateFormats: false,
  validateSchema: false,
} as const;

/** Where an operation's input schema is in modelSchema(). */
export const operationSchemaRef = (model: ServiceModel, operation: OperationName): string =>
  `ecr#/$defs/${model.operations[operation].input}`;

/**
 * The validators `npm run build` compiled ahead of time (scripts/build-validators.mjs writes
 * them beside this module in dist/): compiling the first one at run time costs ~20 ms, most of
 * an in-process start. Absent when running from the sources (tests): then ajv compiles.
 */
function loadPrecompiledValidators(): Partial<Record<OperationName, ValidateFunction>> | undefined {
  try {
    const require = createRequire(import.meta.url);
    return require(fileURLToPath(new URL('./generated/validators.cjs', import.meta.url))) as Partial<Record<OperationName, ValidateFunction>>;
  } catch {
    return undefined;
  }
}

/** Loaded with this module, so its cost falls on import, not on starting an engine. */
const PRECOMPILED = loadPrecompiledValidators();

/** Every structure of the model as JSON Schema, under `ecr#/$defs/<name>`. */
export function modelSchema(model: ServiceModel): JsonSchema {
  const defs: Record<string, JsonSchema> = {};
  for (const [name, shape] of Object.entries(model.structures)) defs[name] = structureSchema(shape, model.enums);
  return { $id: 'ecr', $defs: defs };
}

export function createInputValidator(model: ServiceModel): InputValidator {
  let validator = validatorsByModel.get(model);
  if (!validator) {
    validator = buildInputValidator(model);
    validatorsByModel.set(model, validator);
  }
  return validator;
}

function buildInputValidator(model: ServiceModel): InputValidator {
  let ajv: Ajv | undefined;
  const precompiled = PRECOMPILED;
  const compiled = new Map<OperationName, ValidateFunction>();
  // Operations whose modeled errors have InvalidParameterException but not ValidationException.
  const legacyOperations = new Set(
    (Object.keys(model.operations) as OperationName[]).filter((name) => {
      const { errors } = model.operations[name];
      return errors.includes('InvalidParameterException') && !errors.includes('ValidationException');
    }),
  );

  const validatorFor = (operation: OperationName): ValidateFunction => {
    let validate = compiled.get(operation);
    if (!validate) {
      validate = precompiled?.[operation];
      if (!validate) {
        if (!ajv) {
          ajv = new Ajv(AJV_OPTIONS);
          ajv.addSchema(modelSchema(model));
        }
        validate = ajv.compile({ $ref: operationSchemaRef(model, operation) });
      }
      compiled.set(operation, validate);
    }
    return validate;
  };

  return {
    validate(operation, rawInput) {
      if (rawInput === null || typeof rawInput !== 'object' || Array.isArray(rawInput)) {
        return { ok: false, failure: { kind: 'serialization', message: 'Start of structure or map expected' } };
      }
      let input: Record<string, unknown>;
      try {
        input = withoutNulls(rawInput) as Record<string, unknown>;
      } catch (error) {
        if (!(error instanceof TooDeep)) throw error;
        return { ok: false, failure: { kind: 'serialization', message: `Input is nested more than ${MAX_DEPTH} levels deep` } };
      }
      const validate = validatorFor(operation);
      if (validate(input)) return { ok: true, input };
      const errors = validate.errors ?? [];
      const typeError = errors.find((e) => e.keyword === 'type');
      if (typeError) return { ok: false, failure: { kind: 'serialization', message: serializationMessage(typeError, input) } };
      const violations: Violation[] = [];
      const reportedLists = new Set<string>();
      for (const error of errors) {
        const constraint = constraintText(error);
        if (!constraint) continue;
        const listElement = /^(.*)\/\d+$/.exec(error.instancePath);
        if (listElement && SCALAR_KEYWORDS.has(error.keyword) && Array.isArray(valueAt(input, listElement[1]))) {
          const listPath = listElement[1];
          if (reportedLists.has(listPath)) continue;
          reportedLists.add(listPath);
          const constraints = memberConstraints(error.parentSchema as JsonSchema);
          violations.push({ path: awsPath(listPath), value: `'${render(valueAt(input, listPath))}'`, constraint: constraints });
          continue;
        }
        const missing = error.keyword === 'required' ? String((error.params as { missingProperty: string }).missingProperty) : undefined;
        const path = awsPath(error.instancePath, missing);
        const value = missing === undefined ? `'${render(valueAt(input, error.instancePath))}'` : 'null';
        violations.push({ path, value, constraint });
      }
      return { ok: false, failure: legacyOperations.has(operation) ? invalidParameter(violations[0]) : validationException(violations) };
    },
  };
}
