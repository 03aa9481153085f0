import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { operationNames } from '../../src/model/generated/operations.js';
import { loadModel } from '../../src/model/model.js';
import { AJV_OPTIONS, modelSchema, operationSchemaRef } from '../../src/model/validate.js';
import { generateInput, rngFor } from '../helpers/model-inputs.js';

// The validators `npm run build` compiles ahead of time (dist/model/generated/validators.cjs)
// must judge every input exactly as validators compiled at run time from the sources do.

const INPUTS_PER_OPERATION = 40;
const file = fileURLToPath(new URL('../../dist/model/generated/validators.cjs', import.meta.url));
const model = loadModel();

const errorsOf = (validate: ValidateFunction) =>
  (validate.errors ?? []).map(({ instancePath, keyword, params, message }) => ({ instancePath, keyword, params, message }));

test('the build wrote precompiled validators (npm test builds first)', () => {
  expect(existsSync(file)).toBe(true);
});

describe('precompiled and run-time validators agree', () => {
  const precompiled = existsSync(file) ? (createRequire(import.meta.url)(file) as Record<string, ValidateFunction>) : {};
  const ajv = new Ajv(AJV_OPTIONS);
  ajv.addSchema(modelSchema(model));

  test.each([...operationNames])('%s', (operation) => {
    const ahead = precompiled[operation];
    expect(typeof ahead).toBe('function');
    const now = ajv.compile({ $ref: operationSchemaRef(model, operation) });
    const random = rngFor(operation);
    for (let i = 0; i < INPUTS_PER_OPERATION; i++) {
      const input = generateInput(operation, random);
      const verdict = { valid: now(structuredClone(input)), errors: errorsOf(now) };
      expect({ valid: ahead(structuredClone(input)), errors: errorsOf(ahead) }).toEqual(verdict);
    }
  });
});
