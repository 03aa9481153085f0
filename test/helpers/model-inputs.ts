import { loadModel, type MemberType } from '../../src/model/model.js';

// Inputs built from the model for every operation: well-formed, subtly wrong and plainly wrong.
// A seeded generator keeps failures reproducible.

const model = loadModel();
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const STRINGS = [
  'repo-a', 'team/app', '123456789012', '000000000000', 'latest', 'v1.2.3', '', ' ', 'A', 'a'.repeat(300),
  'sha256:' + 'a'.repeat(64), 'arn:aws:ecr:us-east-1:000000000000:repository/repo-a', 'arn:aws:ecr:::', '{"Statement":[]}',
  '*', '../../etc/passwd', 'ü', '\u0000', '%s%n', 'null', '[]',
];

export function generate(type: MemberType, random: () => number, depth: number): unknown {
  const pick = <T>(values: T[]): T => values[Math.floor(random() * values.length)];
  if (random() < 0.08) return pick([null, 1, 'x', true, [], {}, -1, 1e308, 'x'.repeat(5000)]); // wrong on purpose
  switch (type.type) {
    case 'string':
      return type.enum && random() < 0.7 ? pick(model.enums[type.enum]) : pick(STRINGS);
    case 'number':
      return pick([0, 1, 2, 10, 100, 1000, 1001, -5, 2 ** 31, 2 ** 53]);
    case 'boolean':
      return random() < 0.5;
    case 'timestamp':
      return pick([0, 1_700_000_000, -1, 1e12]);
    case 'blob':
      return pick(['', 'aGVsbG8=', '!!!not base64!!!']);
    case 'document':
      return { any: 'thing' };
    case 'list': {
      if (depth > 4) return [];
      const length = pick([0, 1, 2, 3, 101]);
      return Array.from({ length }, () => generate(type.member, random, depth + 1));
    }
    case 'map':
      return depth > 4 ? {} : { key: generate(type.value, random, depth + 1) };
    case 'structure': {
      if (depth > 4) return {};
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(model.structures[type.shape].members)) {
        if (member.required || random() < 0.6) out[name] = generate(member, random, depth + 1);
      }
      return out;
    }
  }
}

/** The seeded generator for one operation: the same inputs on every run. */
export const rngFor = (operation: string): (() => number) => rng([...operation].reduce((sum, c) => sum * 31 + c.charCodeAt(0), 7));

/** One generated input for the operation. */
export const generateInput = (operation: keyof typeof model.operations, random: () => number): unknown =>
  generate({ type: 'structure', shape: model.operations[operation].input }, random, 0);
