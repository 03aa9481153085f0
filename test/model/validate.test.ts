import { loadModel } from '../../src/model/model.js';
import { createInputValidator, type ValidationFailure } from '../../src/model/validate.js';
import type { OperationName } from '../../src/model/generated/operations.js';

const validator = createInputValidator(loadModel());

/** The model's repository-name pattern as AWS prints it (without the anchors). */
const NAME_PATTERN = '[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*';

function failure(operation: OperationName, input: unknown): ValidationFailure {
  const result = validator.validate(operation, input);
  if (result.ok) throw new Error(`expected ${operation} to refuse ${JSON.stringify(input)}`);
  return result.failure;
}

const validation = (operation: OperationName, input: unknown): string => {
  const found = failure(operation, input);
  expect(found.kind).toBe('validation');
  return found.message;
};

/** For ECR's older operations, which answer InvalidParameterException instead. */
const invalidParameter = (operation: OperationName, input: unknown): string => {
  const found = failure(operation, input);
  expect(found.kind).toBe('invalid-parameter');
  return found.message;
};

const serialization = (operation: OperationName, input: unknown): string => {
  const found = failure(operation, input);
  expect(found.kind).toBe('serialization');
  return found.message;
};

describe('valid input', () => {
  test('passes and comes back as the input', () => {
    const input = { repositoryName: 'team/app-1', tags: [{ Key: 'k', Value: '' }], imageTagMutability: 'IMMUTABLE' };
    expect(validator.validate('CreateRepository', input)).toEqual({ ok: true, input });
  });

  test('JSON null members count as not set (and so a null required member is missing)', () => {
    expect(validator.validate('DescribeRepositories', { registryId: null, maxResults: null })).toEqual({ ok: true, input: {} });
    expect(validation('PutImageScanningConfiguration', { repositoryName: null, imageScanningConfiguration: {} })).toBe(
      "1 validation error detected: Value null at 'repositoryName' failed to satisfy constraint: Member must not be null",
    );
    expect(invalidParameter('CreateRepository', { repositoryName: null })).toBe(
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be null'",
    );
  });

  test('members the model does not know are ignored, as AWS ignores them', () => {
    expect(validator.validate('DescribeRepositories', { somethingElse: 5 }).ok).toBe(true);
  });

  test('the boundaries themselves are accepted', () => {
    expect(validator.validate('CreateRepository', { repositoryName: 'ab' }).ok).toBe(true);
    expect(validator.validate('CreateRepository', { repositoryName: 'a'.repeat(256) }).ok).toBe(true);
    expect(validator.validate('DescribeRepositories', { maxResults: 1 }).ok).toBe(true);
    expect(validator.validate('DescribeRepositories', { maxResults: 1000 }).ok).toBe(true);
  });
});

/** PutImageScanningConfiguration's input with the given repositoryName (it declares ValidationException). */
const scanningConfiguration = (repositoryName: string): Record<string, unknown> => ({ repositoryName, imageScanningConfiguration: {} });

/** CreateRepositoryCreationTemplate's required members, plus `extra`. */
const template = (extra: Record<string, unknown>): Record<string, unknown> => ({ prefix: 'ok', appliedFor: ['REPLICATION'], ...extra });

describe('ValidationException wording (operations that declare ValidationException)', () => {
  test('the operations used here do declare ValidationException', () => {
    const { operations } = loadModel();
    for (const name of [
      'PutImageScanningConfiguration',
      'CreateRepositoryCreationTemplate',
      'DescribeImageScanFindings',
      'GetAccountSetting',
      'PutRegistryScanningConfiguration',
      'BatchGetRepositoryScanningConfiguration',
      'DescribePullThroughCacheRules',
      'StartImageScan',
    ] as const) {
      expect(operations[name].errors).toContain('ValidationException');
    }
  });

  test('length below the minimum', () => {
    expect(validation('PutImageScanningConfiguration', scanningConfiguration('a'))).toBe(
      "1 validation error detected: Value 'a' at 'repositoryName' failed to satisfy constraint: Member must have length greater than or equal to 2",
    );
  });

  test('length above the maximum', () => {
    const name = 'a'.repeat(257);
    expect(validation('PutImageScanningConfiguration', scanningConfiguration(name))).toBe(
      `1 validation error detected: Value '${name}' at 'repositoryName' failed to satisfy constraint: Member must have length less than or equal to 256`,
    );
  });

  test('pattern, printed without its anchors', () => {
    expect(validation('PutImageScanningConfiguration', scanningConfiguration('Bad_Name!'))).toBe(
      `1 validation error detected: Value 'Bad_Name!' at 'repositoryName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
    );
  });

  test('enum, listing the allowed values', () => {
    const message = validation('CreateRepositoryCreationTemplate', template({ imageTagMutability: 'SOMETIMES' }));
    expect(message).toMatch(
      /^1 validation error detected: Value 'SOMETIMES' at 'imageTagMutability' failed to satisfy constraint: Member must satisfy enum value set: \[(.+)\]$/,
    );
    const values = /\[(.+)\]$/.exec(message)![1].split(', ').sort();
    expect(values).toEqual(['IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION', 'MUTABLE', 'MUTABLE_WITH_EXCLUSION']);
  });

  test('numeric range, both ends', () => {
    const findings = { repositoryName: 'ok', imageId: { imageTag: 'latest' } };
    expect(validation('DescribeImageScanFindings', { ...findings, maxResults: 0 })).toBe(
      "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    expect(validation('DescribeImageScanFindings', { ...findings, maxResults: 1001 })).toBe(
      "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
  });

  test('a missing required member is "Value null ... Member must not be null"', () => {
    expect(validation('GetAccountSetting', {})).toBe(
      "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
    );
    expect(validation('PutImageScanningConfiguration', { repositoryName: 'ok' })).toBe(
      "1 validation error detected: Value null at 'imageScanningConfiguration' failed to satisfy constraint: Member must not be null",
    );
  });

  test('nested structure members are named with dots', () => {
    expect(validation('CreateRepositoryCreationTemplate', template({ encryptionConfiguration: {} }))).toBe(
      "1 validation error detected: Value null at 'encryptionConfiguration.encryptionType' failed to satisfy constraint: Member must not be null",
    );
    expect(validation('DescribeImageScanFindings', { repositoryName: 'ok', imageId: { imageTag: '' } })).toBe(
      "1 validation error detected: Value '' at 'imageId.imageTag' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  test('members of structures in a list are named "<list>.<1-based index>.member.<name>"', () => {
    expect(validation('CreateRepositoryCreationTemplate', template({ resourceTags: [{ Key: 'a', Value: 'b' }, { Key: 'c' }] }))).toBe(
      "1 validation error detected: Value null at 'resourceTags.2.member.Value' failed to satisfy constraint: Member must not be null",
    );
    expect(validation('CreateRepositoryCreationTemplate', template({ resourceTags: [{ Value: 'b' }] }))).toBe(
      "1 validation error detected: Value null at 'resourceTags.1.member.Key' failed to satisfy constraint: Member must not be null",
    );
    expect(
      validation(
        'CreateRepositoryCreationTemplate',
        template({
          imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'ok-*' }, { filterType: 'WILDCARD', filter: 'no spaces' }],
        }),
      ),
    ).toBe(
      "1 validation error detected: Value 'no spaces' at 'imageTagMutabilityExclusionFilters.2.member.filter' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z._*-]{1,128}",
    );
    // Lists inside structures inside lists.
    expect(
      validation('PutRegistryScanningConfiguration', {
        rules: [
          {
            scanFrequency: 'MANUAL',
            repositoryFilters: [
              { filter: 'ok', filterType: 'WILDCARD' },
              { filter: 'no spaces', filterType: 'WILDCARD' },
            ],
          },
        ],
      }),
    ).toBe(
      "1 validation error detected: Value 'no spaces' at 'rules.1.member.repositoryFilters.2.member.filter' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z0-9*](?:[._\\-/a-z0-9*]?[a-z0-9*]+)*",
    );
  });

  test('list length is "Member must have length"', () => {
    expect(validation('BatchGetRepositoryScanningConfiguration', { repositoryNames: [] })).toBe(
      "1 validation error detected: Value '[]' at 'repositoryNames' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    const filters = Array.from({ length: 6 }, (_, i) => ({ filterType: 'WILDCARD', filter: `f${i}` }));
    expect(
      validation('CreateRepositoryCreationTemplate', template({ imageTagMutability: 'MUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: filters })),
    ).toMatch(/^1 validation error detected: Value '\[.*\]' at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: Member must have length less than or equal to 5$/);
  });

  test('bad elements of a list of strings are reported once for the list, with all the member constraints', () => {
    expect(validation('BatchGetRepositoryScanningConfiguration', { repositoryNames: ['good', 'Bad', 'x'] })).toBe(
      "1 validation error detected: Value '[good, Bad, x]' at 'repositoryNames' failed to satisfy constraint: " +
        'Member must satisfy constraint: [Member must have length less than or equal to 256, ' +
        `Member must have length greater than or equal to 2, Member must satisfy regular expression pattern: ${NAME_PATTERN}]`,
    );
    expect(validation('DescribePullThroughCacheRules', { ecrRepositoryPrefixes: ['ok', 'UPPER'] })).toBe(
      "1 validation error detected: Value '[ok, UPPER]' at 'ecrRepositoryPrefixes' failed to satisfy constraint: Member must satisfy constraint: " +
        '[Member must have length less than or equal to 30, Member must have length greater than or equal to 2, ' +
        'Member must satisfy regular expression pattern: ([a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*\\/?|ROOT)]',
    );
  });

  test('several errors: "N validation errors detected: ...; ..."', () => {
    expect(validation('DescribeImageScanFindings', { repositoryName: 'ok', registryId: '12', imageId: {}, maxResults: 1001 })).toBe(
      '2 validation errors detected: ' +
        "Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000; " +
        "Value '12' at 'registryId' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]{12}",
    );
    expect(validation('StartImageScan', { repositoryName: 'ok', registryId: '12' })).toBe(
      '2 validation errors detected: ' +
        "Value null at 'imageId' failed to satisfy constraint: Member must not be null; " +
        "Value '12' at 'registryId' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]{12}",
    );
  });

  test('one value breaking two constraints counts twice', () => {
    const name = 'A'.repeat(300);
    const message = validation('PutImageScanningConfiguration', scanningConfiguration(name));
    expect(message.startsWith('2 validation errors detected: ')).toBe(true);
    const parts = message.slice('2 validation errors detected: '.length).split('; ');
    expect(parts.sort()).toEqual([
      `Value '${name}' at 'repositoryName' failed to satisfy constraint: Member must have length less than or equal to 256`,
      `Value '${name}' at 'repositoryName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
    ]);
  });
});

describe("InvalidParameterException wording (ECR's older operations, which do not declare ValidationException)", () => {
  // Real ECR, e.g. CreateRepository with a one-character name: "Invalid parameter at 'repositoryName'
  // failed to satisfy constraint: 'must have length greater than or equal to 2'".
  test('the operations used here declare InvalidParameterException and not ValidationException', () => {
    const { operations } = loadModel();
    for (const name of ['CreateRepository', 'DescribeRepositories', 'TagResource', 'GetAuthorizationToken'] as const) {
      expect(operations[name].errors).toContain('InvalidParameterException');
      expect(operations[name].errors).not.toContain('ValidationException');
    }
  });

  test('length, both ends', () => {
    expect(invalidParameter('CreateRepository', { repositoryName: 'a' })).toBe(
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length greater than or equal to 2'",
    );
    expect(invalidParameter('CreateRepository', { repositoryName: 'a'.repeat(257) })).toBe(
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length less than or equal to 256'",
    );
    expect(invalidParameter('DescribeRepositories', { repositoryNames: [] })).toBe(
      "Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'must have length greater than or equal to 1'",
    );
  });

  test('pattern is "must satisfy regular expression \'<pattern>\'", without the anchors', () => {
    expect(invalidParameter('CreateRepository', { repositoryName: 'Bad_Name!' })).toBe(
      `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '${NAME_PATTERN}''`,
    );
    expect(invalidParameter('DescribeRepositories', { registryId: '12' })).toBe(
      "Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''",
    );
  });

  test("a missing (or null) required member is 'must not be null'", () => {
    expect(invalidParameter('CreateRepository', {})).toBe("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be null'");
    expect(invalidParameter('CreateRepository', { repositoryName: null })).toBe(
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be null'",
    );
    expect(invalidParameter('TagResource', { tags: [] })).toBe("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'must not be null'");
    expect(invalidParameter('CreateRepository', { repositoryName: 'ok', encryptionConfiguration: {} })).toBe(
      "Invalid parameter at 'encryptionConfiguration.encryptionType' failed to satisfy constraint: 'must not be null'",
    );
  });

  test('enum, listing the allowed values', () => {
    expect(invalidParameter('CreateRepository', { repositoryName: 'ok', imageTagMutability: 'SOMETIMES' })).toBe(
      "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: " +
        "'must satisfy enum value set: [IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE, MUTABLE_WITH_EXCLUSION]'",
    );
  });

  test('numeric range, both ends', () => {
    expect(invalidParameter('DescribeRepositories', { maxResults: 0 })).toBe(
      "Invalid parameter at 'maxResults' failed to satisfy constraint: 'must have value greater than or equal to 1'",
    );
    expect(invalidParameter('DescribeRepositories', { maxResults: 1001 })).toBe(
      "Invalid parameter at 'maxResults' failed to satisfy constraint: 'must have value less than or equal to 1000'",
    );
  });

  test('list elements: members of structures by index, strings once for the list', () => {
    expect(invalidParameter('TagResource', { resourceArn: 'arn', tags: [{ Key: 'a', Value: 'b' }, { Key: 'c' }] })).toBe(
      "Invalid parameter at 'tags.2.member.Value' failed to satisfy constraint: 'must not be null'",
    );
    expect(
      invalidParameter('CreateRepository', {
        repositoryName: 'ok',
        imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'ok-*' }, { filterType: 'WILDCARD', filter: 'no spaces' }],
      }),
    ).toBe(
      "Invalid parameter at 'imageTagMutabilityExclusionFilters.2.member.filter' failed to satisfy constraint: 'must satisfy regular expression '[0-9a-zA-Z._*-]{1,128}''",
    );
    expect(invalidParameter('DescribeRepositories', { repositoryNames: ['good', 'Bad', 'x'] })).toBe(
      "Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'must satisfy constraint: " +
        '[Member must have length less than or equal to 256, Member must have length greater than or equal to 2, ' +
        `Member must satisfy regular expression pattern: ${NAME_PATTERN}]'`,
    );
    expect(invalidParameter('GetAuthorizationToken', { registryIds: ['123'] })).toBe(
      "Invalid parameter at 'registryIds' failed to satisfy constraint: 'must satisfy constraint: [Member must satisfy regular expression pattern: [0-9]{12}]'",
    );
  });

  test('only the first violation is reported', () => {
    expect(invalidParameter('CreateRepository', { repositoryName: 'ok', registryId: '12', imageTagMutability: 'nope' })).toBe(
      "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: " +
        "'must satisfy enum value set: [IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE, MUTABLE_WITH_EXCLUSION]'",
    );
    // One value breaking two constraints: still one answer.
    expect(invalidParameter('CreateRepository', { repositoryName: 'A'.repeat(300) })).toBe(
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length less than or equal to 256'",
    );
    // Both required members missing: only the first is named.
    expect(invalidParameter('TagResource', {})).toBe("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'must not be null'");
  });
});

describe('SerializationException: JSON of the wrong type', () => {
  test('a number or boolean where a string belongs', () => {
    expect(serialization('CreateRepository', { repositoryName: 5 })).toBe('NUMBER_VALUE can not be converted to a String');
    expect(serialization('CreateRepository', { repositoryName: true })).toBe('TRUE_VALUE can not be converted to a String');
  });

  test('a string where an integer belongs', () => {
    expect(serialization('DescribeRepositories', { maxResults: '5' })).toBe('STRING_VALUE can not be converted to an Integer');
  });

  test('a fraction where an integer belongs', () => {
    expect(serialization('DescribeRepositories', { maxResults: 1.5 })).toBe('NUMBER_VALUE can not be converted to an Integer');
  });

  test('a string where a list belongs', () => {
    expect(serialization('DescribeRepositories', { repositoryNames: 'one' })).toBe('STRING_VALUE can not be converted to a List');
  });

  test('an object where a list belongs, a list where a structure belongs', () => {
    expect(serialization('CreateRepository', { repositoryName: 'ok', tags: {} })).toBe('Start of structure or map found where not expected.');
    expect(serialization('CreateRepository', { repositoryName: 'ok', imageScanningConfiguration: [] })).toBe(
      'Start of list found where not expected',
    );
  });

  test('a wrong type deep inside wins over constraint errors elsewhere', () => {
    expect(serialization('CreateRepository', { repositoryName: 'Bad', tags: [{ Key: 'k', Value: 1 }] })).toBe(
      'NUMBER_VALUE can not be converted to a String',
    );
  });

  test('a body that is not a JSON object', () => {
    for (const input of [null, [], 'text', 3]) {
      expect(serialization('DescribeRepositories', input)).toBe('Start of structure or map expected');
    }
  });
});

describe('__proto__ in the body', () => {
  test('is ignored like any unknown member, and does not stand in for the real members', () => {
    const smuggled = JSON.parse('{"__proto__": {"repositoryName": "smuggled"}}') as unknown;
    expect(invalidParameter('CreateRepository', smuggled)).toBe(
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be null'",
    );
    const smuggledName = JSON.parse('{"__proto__": {"name": "smuggled"}}') as unknown;
    expect(validation('GetAccountSetting', smuggledName)).toBe(
      "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
    );
    const alongside = JSON.parse('{"repositoryName": "ok", "__proto__": {"tags": 5}}') as unknown;
    const result = validator.validate('CreateRepository', alongside);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(Object.getPrototypeOf(result.input)).toBe(Object.prototype);
      expect(result.input.tags).toBeUndefined();
    }
  });
});

describe('deeply nested input', () => {
  const nested = (depth: number): unknown => {
    let value: unknown = 'leaf';
    for (let i = 0; i < depth; i++) value = [value];
    return value;
  };

  test('ordinary nesting inside unknown members is accepted', () => {
    expect(validator.validate('DescribeRepositories', { extra: nested(60) }).ok).toBe(true);
  });

  test('nesting thousands deep is a SerializationException, not a stack overflow', () => {
    expect(serialization('DescribeRepositories', { extra: nested(100_000) })).toBe('Input is nested more than 64 levels deep');
    expect(serialization('DescribeRepositories', { repositoryNames: nested(100_000) })).toBe('Input is nested more than 64 levels deep');
  });
});
