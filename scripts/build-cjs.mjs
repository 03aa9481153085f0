// Builds the CommonJS entry point of the programmatic API (`require('berth')`), beside the ES
// modules that tsc writes to dist/:
//   dist/cjs/index.cjs    src/index.ts bundled by esbuild; npm dependencies stay external
//                         (they all load with require) except nanoid, which is ESM-only and so
//                         is bundled in. jest's own CommonJS module system cannot require() an
//                         ES module, so the bundle must not contain or reach any.
//   dist/cjs/**/*.d.ts    the declarations tsc wrote, copied under a {"type":"commonjs"}
//                         package.json so TypeScript reads them as CommonJS for `require`.
// Run after tsc (npm run build does both).
import { build } from 'esbuild';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const out = join(dist, 'cjs');
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const bundled = new Set(['nanoid']);
const external = Object.keys(pkg.dependencies).filter((name) => !bundled.has(name));

// A module's `import.meta.url` becomes the URL it has in the ESM build (dist/<same path>.js),
// so files found relative to it (package.json, api-models/) are found from the bundle too.
const importMetaUrl = {
  name: 'import-meta-url',
  setup(builder) {
    builder.onLoad({ filter: /\.ts$/ }, async (args) => {
      const contents = await readFile(args.path, 'utf8');
      if (!contents.includes('import.meta.url')) return undefined;
      const esmPath = relative(src, args.path).split(sep).join('/').replace(/\.ts$/, '.js');
      const moduleUrl = `require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', ${JSON.stringify(esmPath)})).href`;
      return { contents: contents.replaceAll('import.meta.url', moduleUrl), loader: 'ts' };
    });
  },
};

await rm(out, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(src, 'index.ts')],
  outfile: join(out, 'index.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external,
  plugins: [importMetaUrl],
  sourcemap: true,
  logLevel: 'warning',
});
if (result.errors.length > 0 || result.warnings.length > 0) process.exit(1);

// Declarations: the same files, read as CommonJS.
async function copyDeclarations(from, to) {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    if (entry.isDirectory()) {
      if (source !== out) await copyDeclarations(source, join(to, entry.name));
    } else if (entry.name.endsWith('.d.ts')) {
      await mkdir(to, { recursive: true });
      await cp(source, join(to, entry.name));
    }
  }
}
await copyDeclarations(dist, out);
await writeFile(join(out, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
