#!/usr/bin/env node
// Builds Berth's ECR service model from npm packages, then generates the TypeScript that the
// server is typed by.
//
//   node scripts/build-model.mjs          write api-models/ecr.json and src/model/generated/*
//   node scripts/build-model.mjs --check  exit 1 (and say which file) when any of them is stale
//
// Sources, all from node_modules:
//   @aws-sdk/client-ecr schemas (`<Shape>$`)  operations, structures, members, required members, errors
//   @aws-sdk/client-ecr enums and .d.ts       enum values, and which member uses which enum
//   @aws-sdk/client-ecr commands/*.d.ts   each operation's errors (@throws)
//   api-models/overlay.json               our own facts the npm package lacks: length, range, pattern
import { readFileSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const clientDir = dirname(require.resolve('@aws-sdk/client-ecr/package.json'));
// The CommonJS build: its index exports every schema (`<Shape>$`) and every enum object.
const client = require('@aws-sdk/client-ecr');
const clientVersion = JSON.parse(readFileSync(join(clientDir, 'package.json'), 'utf8')).version;

const STRUCT = 3, LIST = 1, MAP = 2, UNION = 4, ERROR = -3, OPERATION = 9;
const LIST_MODIFIER = 0b0100_0000, MAP_MODIFIER = 0b1000_0000;

function simpleType(code) {
  switch (code) {
    case 0: return 'string';
    case 1: return 'number';
    case 2: return 'boolean';
    case 4: case 5: case 6: case 7: return 'timestamp';
    case 15: return 'document';
    case 21: case 42: return 'blob';
    case 17: case 19: return 'number';
    default: throw new Error(`unknown simple schema code ${code}`);
  }
}

async function readNpmModel() {
  const schemas = client;
  const structures = {};
  const errors = {};
  const operations = {};

  const deref = (ref) => (typeof ref === 'function' ? ref() : ref);

  // Turns a schema reference into our inline type: lists and maps inline, structures by name.
  function typeOf(ref) {
    let schema = deref(ref);
    if (Array.isArray(schema) && typeof schema[0] !== 'number') schema = deref(schema[0]); // [ref, memberTraits]
    if (typeof schema === 'number') {
      if (schema & MAP_MODIFIER) return { type: 'map', key: { type: 'string' }, value: { type: simpleType(schema & ~MAP_MODIFIER) } };
      if (schema & LIST_MODIFIER) return { type: 'list', member: { type: simpleType(schema & ~LIST_MODIFIER) } };
      return { type: simpleType(schema) };
    }
    const [kind, , name] = schema;
    if (kind === LIST) return { type: 'list', member: typeOf(schema[4]) };
    if (kind === MAP) return { type: 'map', key: typeOf(schema[4]), value: typeOf(schema[5]) };
    if (kind === STRUCT || kind === UNION) {
      addStructure(schema);
      return { type: 'structure', shape: name };
    }
    if (kind === 0) return typeOf(schema[4]);
    throw new Error(`unexpected schema kind ${kind} for ${name}`);
  }

  function membersOf(schema) {
    const [, , , , names, refs, requiredCount = 0] = schema;
    const members = {};
    names.forEach((member, i) => {
      members[member] = { ...typeOf(refs[i]), ...(i < requiredCount ? { required: true } : {}) };
    });
    return members;
  }

  function addStructure(schema) {
    const [kind, , name] = schema;
    if (structures[name]) return;
    structures[name] = { type: kind === UNION ? 'union' : 'structure', members: {} };
    structures[name].members = membersOf(schema);
  }

  for (const value of Object.values(schemas)) {
    if (!Array.isArray(value)) continue;
    if (value[0] === ERROR) {
      const [, , name, traits] = value;
      const fault = Object.values(traits).includes('server') ? 'server' : 'client';
      errors[name] = { fault, httpStatus: fault === 'server' ? 500 : 400, members: membersOf(value) };
    }
  }
  for (const value of Object.values(schemas)) {
    if (!Array.isArray(value) || value[0] !== OPERATION) continue;
    const [, , name, , input, output] = value;
    operations[name] = { input: typeOf(input).shape, output: typeOf(output).shape, errors: [] };
  }
  return { structures, errors, operations };
}

// Enum values from enums.js; which member is which enum from the .d.ts interfaces.
async function readEnums(structures) {
  const enums = {};
  const enumsDts = readFileSync(join(clientDir, 'dist-types/models/enums.d.ts'), 'utf8');
  for (const [, name] of enumsDts.matchAll(/^export declare const (\w+): \{/gm)) enums[name] = Object.values(client[name]);
  const dts = readFileSync(join(clientDir, 'dist-types/models/models_0.d.ts'), 'utf8');
  const interfaceRe = /export interface (\w+) \{([\s\S]*?)\n\}/g;
  for (const [, name, body] of dts.matchAll(interfaceRe)) {
    const structure = structures[name];
    if (!structure) continue;
    for (const [, member, typeText] of body.matchAll(/^\s{4}(\w+)\??: ([^;]+);/gm)) {
      const base = typeText.replace(/ \| undefined$/, '');
      const isList = base.endsWith('[]');
      const enumName = base.replace(/\[\]$/, '');
      if (!enums[enumName] || !structure.members[member]) continue;
      const target = isList ? structure.members[member].member : structure.members[member];
      if (target && target.type === 'string') target.enum = enumName;
    }
  }
  return enums;
}

function readOperationErrors(operations) {
  const dir = join(clientDir, 'dist-types/commands');
  for (const file of readdirSync(dir)) {
    const match = /^(\w+)Command\.d\.ts$/.exec(file);
    if (!match || !operations[match[1]]) continue;
    const text = readFileSync(join(dir, file), 'utf8');
    const thrown = [...text.matchAll(/@throws \{@link (\w+)\}/g)].map((m) => m[1]).filter((e) => e !== 'ECRServiceException');
    operations[match[1]].errors = [...new Set(thrown)].sort();
  }
}

// Applies overlay constraints. Keys: "Structure.member", "*.member" (any structure), and a
// trailing "[]" for the items of a list member. The most specific key wins; null removes.
function applyOverlay(structures, overlay) {
  const used = new Set();
  const lookup = (structure, path) => {
    for (const key of [`${structure}.${path}`, `*.${path}`]) {
      if (key in overlay.members) {
        used.add(key);
        const name = overlay.members[key];
        if (name === null) return null;
        const constraint = overlay.constraints[name];
        if (!constraint) throw new Error(`overlay member ${key} names unknown constraint ${name}`);
        return constraint;
      }
    }
    return null;
  };
  for (const [structureName, structure] of Object.entries(structures)) {
    for (const [member, type] of Object.entries(structure.members)) {
      Object.assign(type, lookup(structureName, member));
      if (type.type === 'list') Object.assign(type.member, lookup(structureName, `${member}[]`));
    }
  }
  const unused = Object.keys(overlay.members).filter((key) => !used.has(key));
  if (unused.length) throw new Error(`overlay keys match no member: ${unused.join(', ')}`);
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}

// ---------- TypeScript generation ----------

function tsType(type, direction) {
  switch (type.type) {
    case 'string': return type.enum ?? 'string';
    case 'number': return 'number';
    case 'boolean': return 'boolean';
    case 'timestamp': return 'Date';
    case 'blob': return 'string';
    case 'document': return 'unknown';
    case 'list': return `Array<${tsType(type.member, direction)}>`;
    case 'map': return `Record<string, ${tsType(type.value, direction)}>`;
    case 'structure': return type.shape;
    default: throw new Error(`no TS type for ${type.type}`);
  }
}

const HEADER = '// Generated by scripts/build-model.mjs from api-models/ecr.json. Do not edit: run `npm run models`.\n';

function generateTypes(model) {
  const out = [HEADER];
  for (const [name, values] of Object.entries(model.enums)) {
    out.push(`export type ${name} = ${values.map((v) => JSON.stringify(v)).join(' | ')};`);
  }
  out.push('');
  for (const [name, structure] of Object.entries(model.structures)) {
    out.push(`export interface ${name} {`);
    for (const [member, type] of Object.entries(structure.members)) {
      out.push(`  ${member}${type.required ? '' : '?'}: ${tsType(type)};`);
    }
    out.push('}', '');
  }
  return out.join('\n');
}

function generateOperations(model) {
  const names = Object.keys(model.operations);
  const out = [HEADER];
  out.push(`import type * as T from './types.js';`, '');
  out.push(`export const operationNames = [\n${names.map((n) => `  '${n}',`).join('\n')}\n] as const;`, '');
  out.push('export type OperationName = (typeof operationNames)[number];', '');
  out.push('/** Input and output shape of every operation. */');
  out.push('export interface OperationShapes {');
  for (const [name, op] of Object.entries(model.operations)) {
    out.push(`  ${name}: { input: T.${op.input}; output: T.${op.output} };`);
  }
  out.push('}', '');
  out.push(`export const errorNames = [\n${Object.keys(model.errors).map((n) => `  '${n}',`).join('\n')}\n] as const;`, '');
  out.push('export type ErrorName = (typeof errorNames)[number];', '');
  return out.join('\n');
}

// ---------- main ----------

async function buildAll() {
  const { structures, errors, operations } = await readNpmModel();
  const enums = await readEnums(structures);
  readOperationErrors(operations);
  const overlay = JSON.parse(readFileSync(join(root, 'api-models/overlay.json'), 'utf8'));
  applyOverlay(structures, overlay);
  const model = sortKeys({
    metadata: {
      service: 'ecr',
      apiVersion: '2015-09-21',
      protocol: 'awsJson1_1',
      targetPrefix: 'AmazonEC2ContainerRegistry_V20150921',
      signingName: 'ecr',
      source: `@aws-sdk/client-ecr@${clientVersion} + api-models/overlay.json`,
    },
    operations,
    structures,
    errors,
    enums,
  });
  return {
    'api-models/ecr.json': JSON.stringify(model, null, 1) + '\n',
    'src/model/generated/types.ts': generateTypes(model),
    'src/model/generated/operations.ts': generateOperations(model),
  };
}

const files = await buildAll();
if (process.argv.includes('--check')) {
  const stale = Object.entries(files).filter(([path, text]) => {
    try {
      return readFileSync(join(root, path), 'utf8') !== text;
    } catch {
      return true;
    }
  });
  for (const [path] of stale) console.error(`stale: ${path} (run npm run models)`);
  process.exit(stale.length ? 1 : 0);
} else {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
    console.log(`wrote ${relative(process.cwd(), join(root, path)) || path}`);
  }
}
