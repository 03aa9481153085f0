import { loadModel, type MemberType } from '../../src/model/model.js';
import type { OperationName } from '../../src/model/generated/operations.js';

// The smallest input of an operation that Berth's model validation accepts: every required
// member, nothing else. Lets a test send all 62 operations without listing their inputs by hand.

/** Values that satisfy the patterns the model uses; the first that fits is taken. */
const PATTERN_SAMPLES = [
  'sample',
  '123456789012',
  'eu-west-1',
  '0b1e2c3d-0000-4000-8000-000000000000',
  `sha256:${'ab'.repeat(32)}`,
  'arn:aws:ecr:eu-west-1:123456789012:repository/sample',
  'arn:aws:iam::123456789012:role/sample',
  'arn:aws:signer:eu-west-1:123456789012:/signing-profiles/sample_profile',
  'https://example.com',
];

function sampleString(member: Extract<MemberType, { type: 'string' }>, path: string): string {
  const model = loadModel();
  if (member.enum) return model.enums[member.enum][0];
  const min = member.length?.min ?? 0;
  const fits = (value: string) => value.length >= min && value.length <= (member.length?.max ?? Infinity);
  if (!member.pattern) return 'sample'.padEnd(Math.max(min, 6), 'x');
  const pattern = new RegExp(member.pattern);
  const sample = PATTERN_SAMPLES.find((value) => fits(value) && pattern.test(value));
  if (sample === undefined) throw new Error(`no sample value for ${path} matches ${member.pattern}`);
  return sample;
}

function sampleOf(member: MemberType, path: string): unknown {
  switch (member.type) {
    case 'string':
      return sampleString(member, path);
    case 'number':
      return member.range?.min ?? 1;
    case 'boolean':
      return false;
    case 'timestamp':
      return new Date(0);
    case 'document':
      return {};
    case 'blob':
      return Buffer.alloc(Math.max(member.length?.min ?? 1, 1));
    case 'list':
      return Array.from({ length: Math.max(member.length?.min ?? 1, 1) }, () => sampleOf(member.member, `${path}[]`));
    case 'map':
      return {};
    case 'structure':
      return structureSample(member.shape, path);
  }
}

function structureSample(shapeName: string, path: string): Record<string, unknown> {
  const shape = loadModel().structures[shapeName];
  const entries = Object.entries(shape.members);
  if (shape.type === 'union') {
    const [name, member] = entries[0];
    return { [name]: sampleOf(member, `${path}.${name}`) };
  }
  return Object.fromEntries(entries.filter(([, member]) => member.required).map(([name, member]) => [name, sampleOf(member, `${path}.${name}`)]));
}

export function minimalInput(operation: OperationName): Record<string, unknown> {
  return structureSample(loadModel().operations[operation].input, operation);
}
