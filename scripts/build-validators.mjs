// Compiles the input validator of every operation ahead of time (ajv standalone code) into
// dist/model/generated/validators.cjs, which src/model/validate.ts loads when present: compiling
// the first validator at run time costs ~20 ms, most of what an in-process Berth takes to start.
// The schemas and ajv options are the ones validate.ts uses at run time, imported from the build.
// Run after tsc (npm run build does).
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const { loadModel } = await import(join(dist, 'model', 'model.js'));
const { AJV_OPTIONS, modelSchema, operationSchemaRef } = await import(join(dist, 'model', 'validate.js'));

const model = loadModel();
const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
ajv.addSchema(modelSchema(model));
const refs = Object.fromEntries(Object.keys(model.operations).map((operation) => [operation, operationSchemaRef(model, operation)]));
await writeFile(join(dist, 'model', 'generated', 'validators.cjs'), standaloneCode(ajv, refs));
