import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The one-way imports of shared/design/ARCHITECTURE.md, checked on the source.
const src = fileURLToPath(new URL('../src', import.meta.url));

const MAY_IMPORT: Record<string, string[]> = {
  lib: [],
  model: ['lib'],
  protocol: ['model', 'lib'],
  store: ['lib'],
  features: ['model', 'store', 'lib'],
  registry: ['features', 'store', 'model', 'lib'],
  admin: ['features', 'store', 'lib'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

const layerOf = (file: string): string => relative(src, file).split('/')[0].replace(/\.ts$/, '');

test('each layer imports only the layers below it', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(src)) {
    const layer = layerOf(file);
    const allowed = MAY_IMPORT[layer];
    if (!allowed) continue; // app.ts, cli.ts, config.ts, version.ts wire everything
    const text = readFileSync(file, 'utf8');
    for (const [, specifier] of text.matchAll(/(?:import|export)[^'"]*from\s+'(\.[^']+)'/g)) {
      const target = resolve(dirname(file), specifier);
      if (!target.startsWith(src)) continue;
      const targetLayer = layerOf(target);
      if (targetLayer !== layer && !allowed.includes(targetLayer)) {
        violations.push(`${relative(src, file)} imports ${specifier} (${layer} -> ${targetLayer})`);
      }
    }
  }
  expect(violations).toEqual([]);
});
