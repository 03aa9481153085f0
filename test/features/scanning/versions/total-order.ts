// Checks that a comparator is a total preorder on a sample: reflexive, antisymmetric in sign,
// and transitive (over every triple). Returns the violations found, so a failing test prints them.

export function totalOrderViolations(sample: readonly string[], compare: (a: string, b: string) => number): string[] {
  const n = sample.length;
  const sign: number[][] = sample.map((a) => sample.map((b) => Math.sign(compare(a, b))));
  const violations: string[] = [];
  const show = (i: number): string => JSON.stringify(sample[i]);
  for (let i = 0; i < n; i++) {
    if (sign[i][i] !== 0) violations.push(`${show(i)} does not equal itself`);
    for (let j = 0; j < n; j++) {
      if (sign[i][j] !== -sign[j][i]) violations.push(`${show(i)} vs ${show(j)} is not antisymmetric`);
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (sign[i][j] > 0) continue;
      for (let k = 0; k < n; k++) {
        if (sign[j][k] <= 0 && sign[i][k] > 0) {
          violations.push(`${show(i)} <= ${show(j)} <= ${show(k)} but ${show(i)} > ${show(k)}`);
        }
      }
    }
  }
  return violations.slice(0, 20);
}

/** Fisher-Yates with a fixed seed, so a shuffled list is the same on every run. */
export function shuffled<T>(items: readonly T[], seed = 42): T[] {
  const out = [...items];
  let state = seed;
  const random = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
