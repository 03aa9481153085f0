import { createHash } from 'node:crypto';

// A seeded generator for fuzz tests (mulberry32), so a failing case can be replayed from its seed.

export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number): number => Math.floor(next() * below);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  /** Mostly a sound value, sometimes one of the bad ones: a request must get past one field to reach the next. */
  const mostly = <T>(sound: () => T, bad: ReadonlyArray<() => T>, soundShare = 0.7): T => (next() < soundShare ? sound() : pick(bad)());
  return { next, int, pick, mostly };
}

export type Random = ReturnType<typeof seededRandom>;

/** `length` bytes with no repeating pattern (a sha256 chain from `seed`), so a chunk served from the wrong offset shows. */
export function patternedBytes(length: number, seed: string): Buffer {
  const out = Buffer.alloc(length);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < length; offset += block.length) {
    block.copy(out, offset);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}
