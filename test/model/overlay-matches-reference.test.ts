// Checks Berth's built model (api-models/ecr.json: npm client + api-models/overlay.json) against
// the AWS reference Smithy model in ../shared/api-models/ecr.json, when that file is present.
//
// For every structure that both models have, each member is compared with the shape its Smithy
// member targets: length / range / pattern, the same for list items, enum values, and whether it
// is required (error shapes: members, required and enums only, as the overlay does not reach
// them). For every operation in the reference, the input, output and error list are compared.
// The four replication-backfill operations are newer than the reference and are not checked here.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const oursPath = join(repoRoot, 'api-models', 'ecr.json');
const referencePath = join(repoRoot, '..', 'shared', 'api-models', 'ecr.json');
const NS = 'com.amazonaws.ecr#';

interface Bounds {
  min?: number;
  max?: number;
}

interface OurType {
  type: string;
  required?: boolean;
  enum?: string;
  length?: Bounds;
  range?: Bounds;
  pattern?: string;
  member?: OurType;
  key?: OurType;
  value?: OurType;
  shape?: string;
}

interface OurStructure {
  type: string;
  members: Record<string, OurType>;
}

interface OurModel {
  operations: Record<string, { input: string; output: string; errors: string[] }>;
  structures: Record<string, OurStructure>;
  errors: Record<string, { members: Record<string, OurType> }>;
  enums: Record<string, string[]>;
}

type Traits = Record<string, unknown>;

interface SmithyShape {
  type: string;
  traits?: Traits;
  member?: { target: string; traits?: Traits };
  members?: Record<string, { target: string; traits?: Traits }>;
  input?: { target: string };
  output?: { target: string };
  errors?: Array<{ target: string }>;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const local = (id: string): string => id.replace(NS, '');

/** The limits we compare, in one canonical form. A string or list length of at least 0 says nothing. */
function canonical(limits: { length?: Bounds; range?: Bounds; pattern?: string }): string {
  const out: Record<string, unknown> = {};
  if (limits.length) {
    const { min, max } = limits.length;
    const length: Bounds = {};
    if (min !== undefined && min !== 0) length.min = min;
    if (max !== undefined) length.max = max;
    if (Object.keys(length).length) out.length = length;
  }
  if (limits.range) {
    const { min, max } = limits.range;
    out.range = { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  }
  if (limits.pattern !== undefined) out.pattern = limits.pattern;
  return JSON.stringify(out);
}

function referenceLimits(shape: SmithyShape | undefined): string {
  const traits = shape?.traits ?? {};
  return canonical({
    length: traits['smithy.api#length'] as Bounds | undefined,
    range: traits['smithy.api#range'] as Bounds | undefined,
    pattern: traits['smithy.api#pattern'] as string | undefined,
  });
}

const ourLimits = (type: OurType): string => canonical(type);

const referenceAvailable = existsSync(referencePath);
if (!referenceAvailable) {
  console.log(
    `overlay-matches-reference: skipped, the reference Smithy model ${referencePath} is not there ` +
      '(it is optional: Berth builds and runs without it).',
  );
}

(referenceAvailable ? describe : describe.skip)('api-models/ecr.json against the reference Smithy model', () => {
  test('constraints, enums, required members and operation errors match', () => {
    const ours = readJson<OurModel>(oursPath);
    const reference = readJson<{ shapes: Record<string, SmithyShape> }>(referencePath).shapes;
    const shape = (id: string): SmithyShape | undefined => reference[id];

    const mismatches: string[] = [];
    const newerEnumValues: string[] = [];
    let structuresCompared = 0;
    let membersCompared = 0;
    let enumsCompared = 0;

    function compareEnum(where: string, ours_: OurType, target: SmithyShape | undefined, targetId: string): void {
      const refIsEnum = target?.type === 'enum';
      if (!refIsEnum && !ours_.enum) return;
      if (!refIsEnum) {
        mismatches.push(`${where}: ours is enum ${ours_.enum}, reference ${local(targetId)} is ${target?.type}`);
        return;
      }
      if (!ours_.enum) {
        mismatches.push(`${where}: reference is enum ${local(targetId)}, ours is a plain ${ours_.type}`);
        return;
      }
      enumsCompared++;
      const refValues = Object.entries(target.members ?? {}).map(
        ([name, m]) => (m.traits?.['smithy.api#enumValue'] as string | undefined) ?? name,
      );
      const ourValues = ours.enums[ours_.enum];
      if (!ourValues) {
        mismatches.push(`${where}: enum ${ours_.enum} has no values in our model`);
        return;
      }
      const missing = refValues.filter((v) => !ourValues.includes(v));
      if (missing.length) mismatches.push(`${where}: enum ${ours_.enum} lacks reference values ${missing.join(', ')}`);
      const extra = ourValues.filter((v) => !refValues.includes(v));
      if (extra.length) newerEnumValues.push(`${ours_.enum} (${where}): ${extra.join(', ')}`);
    }

    // Error shapes: the overlay is applied to structures only, so their members carry no limits.
    function compareMembers(kind: 'structure' | 'error', name: string, members: Record<string, OurType>, refShape: SmithyShape): void {
      structuresCompared++;
      const refMembers = refShape.members ?? {};
      for (const member of Object.keys(refMembers)) {
        if (!(member in members)) mismatches.push(`${kind} ${name}.${member}: in the reference only`);
      }
      for (const [member, type] of Object.entries(members)) {
        const where = `${name}.${member}`;
        const refMember = refMembers[member];
        if (!refMember) {
          mismatches.push(`${kind} ${where}: in our model only`);
          continue;
        }
        membersCompared++;
        const refRequired = refMember.traits?.['smithy.api#required'] !== undefined;
        if (Boolean(type.required) !== refRequired) {
          mismatches.push(`${where}: required is ${Boolean(type.required)} in ours, ${refRequired} in the reference`);
        }
        const target = shape(refMember.target);
        const refLimits = referenceLimits(target);
        if (kind === 'structure' && ourLimits(type) !== refLimits) {
          mismatches.push(`${where}: limits ${ourLimits(type)} in ours, ${refLimits} in the reference (${local(refMember.target)})`);
        }
        compareEnum(where, type, target, refMember.target);
        if (type.type === 'list' || target?.type === 'list') {
          if (type.type !== 'list' || target?.type !== 'list' || !type.member || !target.member) {
            mismatches.push(`${where}: list in one model only (ours ${type.type}, reference ${target?.type})`);
            continue;
          }
          const itemTarget = shape(target.member.target);
          const refItemLimits = referenceLimits(itemTarget);
          if (kind === 'structure' && ourLimits(type.member) !== refItemLimits) {
            mismatches.push(
              `${where}[]: limits ${ourLimits(type.member)} in ours, ${refItemLimits} in the reference (${local(target.member.target)})`,
            );
          }
          compareEnum(`${where}[]`, type.member, itemTarget, target.member.target);
        }
      }
    }

    for (const [name, structure] of Object.entries(ours.structures)) {
      const refShape = shape(NS + name);
      if (!refShape) continue; // newer than the reference
      if (refShape.type !== 'structure' && refShape.type !== 'union') {
        mismatches.push(`structure ${name}: the reference shape is a ${refShape.type}`);
        continue;
      }
      compareMembers('structure', name, structure.members, refShape);
    }
    for (const [name, error] of Object.entries(ours.errors)) {
      const refShape = shape(NS + name);
      if (refShape) compareMembers('error', name, error.members, refShape);
    }

    const refOperations = Object.entries(reference).filter(([, s]) => s.type === 'operation');
    for (const [id, refOp] of refOperations) {
      const name = local(id);
      const op = ours.operations[name];
      if (!op) {
        mismatches.push(`operation ${name}: missing from our model`);
        continue;
      }
      if (refOp.input && op.input !== local(refOp.input.target)) {
        mismatches.push(`operation ${name}: input ${op.input} in ours, ${local(refOp.input.target)} in the reference`);
      }
      if (refOp.output && op.output !== local(refOp.output.target)) {
        mismatches.push(`operation ${name}: output ${op.output} in ours, ${local(refOp.output.target)} in the reference`);
      }
      const refErrors = (refOp.errors ?? []).map((e) => local(e.target)).sort();
      const ourErrors = [...op.errors].sort();
      const onlyRef = refErrors.filter((e) => !ourErrors.includes(e));
      const onlyOurs = ourErrors.filter((e) => !refErrors.includes(e));
      if (onlyRef.length) mismatches.push(`operation ${name}: errors only in the reference: ${onlyRef.join(', ')}`);
      if (onlyOurs.length) mismatches.push(`operation ${name}: errors only in ours: ${onlyOurs.join(', ')}`);
    }

    if (newerEnumValues.length) {
      console.log(`Enum values in our model (newer npm client) that the reference lacks:\n  ${newerEnumValues.join('\n  ')}`);
    }

    expect(refOperations).toHaveLength(58);
    expect(structuresCompared).toBeGreaterThan(200);
    expect(membersCompared).toBeGreaterThan(500);
    expect(enumsCompared).toBeGreaterThan(28);
    expect(mismatches.length ? `${mismatches.length} mismatches:\n${mismatches.join('\n')}` : 'no mismatches').toBe(
      'no mismatches',
    );
  });
});
