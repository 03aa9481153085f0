import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as ecr from '@aws-sdk/client-ecr';
import { operationNames } from '../../src/model/generated/operations.js';
import { loadModel } from '../../src/model/model.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('api-models/ecr.json and src/model/generated are what npm run models makes of the npm client and our overlay', async () => {
  // --check exits 1 and names the stale file when anything would change.
  await expect(promisify(execFile)('node', ['scripts/build-model.mjs', '--check'], { cwd: root })).resolves.toBeDefined();
});

test('the model has every operation of the installed @aws-sdk/client-ecr (62)', () => {
  const sdkOperations = Object.keys(ecr)
    .filter((name) => /^[A-Z]\w+Command$/.test(name))
    .map((name) => name.replace(/Command$/, ''))
    .sort();
  expect(sdkOperations).toHaveLength(62);
  expect([...operationNames].sort()).toEqual(sdkOperations);
  expect(Object.keys(loadModel().operations).sort()).toEqual(sdkOperations);
});

test('the model carries constraints, enums, required members and errors', () => {
  const model = loadModel();
  const create = model.structures.CreateRepositoryRequest.members;
  expect(create.repositoryName).toMatchObject({ type: 'string', required: true, length: { min: 2, max: 256 } });
  expect(create.imageTagMutability).toMatchObject({ type: 'string', enum: 'ImageTagMutability' });
  expect(model.enums.ImageTagMutability).toEqual(expect.arrayContaining(['MUTABLE', 'IMMUTABLE', 'MUTABLE_WITH_EXCLUSION', 'IMMUTABLE_WITH_EXCLUSION']));
  expect(model.operations.CreateRepository.errors).toEqual(expect.arrayContaining(['RepositoryAlreadyExistsException', 'InvalidTagParameterException']));
  expect(model.errors.ServerException).toMatchObject({ fault: 'server', httpStatus: 500 });
});
