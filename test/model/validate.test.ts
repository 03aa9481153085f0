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
    expect(validation('CreateRepository', { repositoryName: null })).toBe(
      "1 validation error detected: Value null at 'repositoryName' failed to satisfy constraint: Member must not be null",
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

describe('ValidationException wording', () => {
  test('length below the minimum', () => {
    expect(validation('CreateRepository', { repositoryName: 'a' })).toBe(
      "1 validation error detected: Value 'a' at 'repositoryName' failed to satisfy constraint: Member must have length greater than or equal to 2",
    );
  });

  test('length above the maximum', () => {
    const name = 'a'.repeat(257);
    expect(validation('CreateRepository', { repositoryName: name })).toBe(
      `1 validation error detected: Value '${name}' at 'repositoryName' failed to satisfy constraint: Member must have length less than or equal to 256`,
    );
  });

  test('pattern, printed without its anchors', () => {
    expect(validation('CreateRepository', { repositoryName: 'Bad_Name!' })).toBe(
      `1 validation error detected: Value 'Bad_Name!' at 'repositoryName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
    );
  });

  test('enum, listing the allowed values', () => {
    const message = validation('CreateRepository', { repositoryName: 'ok', imageTagMutability: 'SOMETIMES' });
    expect(message).toMatch(
      /^1 validation error detected: Value 'SOMETIMES' at 'imageTagMutability' failed to satisfy constraint: Member must satisfy enum value set: \[(.+)\]$/,
    );
    const values = /\[(.+)\]$/.exec(message)![1].split(', ').sort();
    expect(values).toEqual(['IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION', 'MUTABLE', 'MUTABLE_WITH_EXCLUSION']);
  });

  test('numeric range, both ends', () => {
    expect(validation('DescribeRepositories', { maxResults: 0 })).toBe(
      "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    expect(validation('DescribeRepositories', { maxResults: 1001 })).toBe(
      "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
  });

  test('a missing required member is "Value null ... Member must not be null"', () => {
    expect(validation('CreateRepository', {})).toBe(
      "1 validation error detected: Value null at 'repositoryName' failed to satisfy constraint: Member must not be null",
    );
    expect(validation('PutImageScanningConfiguration', { repositoryName: 'ok' })).toBe(
      "1 validation error detected: Value null at 'imageScanningConfiguration' failed to satisfy constraint: Member must not be null",
    );
  });

  test('nested structure members are named with dots', () => {
    expect(validation('CreateRepository', { repositoryName: 'ok', encryptionConfiguration: {} })).toBe(
      "1 validation error detected: Value null at 'encryptionConfiguration.encryptionType' failed to satisfy constraint: Member must not be null",
    );
  });

  test('members of structures in a list are named "<list>.<1-based index>.member.<name>"', () => {
    expect(validation('CreateRepository', { repositoryName: 'ok', tags: [{ Key: 'a', Value: 'b' }, { Key: 'c' }] })).toBe(
      "1 validation error detected: Value null at 'tags.2.member.Value' failed to satisfy constraint: Member must not be null",
    );
    expect(validation('CreateRepository', { repositoryName: 'ok', tags: [{ Value: 'b' }] })).toBe(
      "1 validation error detected: Value null at 'tags.1.member.Key' failed to satisfy constraint: Member must not be null",
    );
    expect(
      validation('CreateRepository', {
        repositoryName: 'ok',
        imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'ok-*' }, { filterType: 'WILDCARD', filter: 'no spaces' }],
      }),
    ).toBe(
      "1 validation error detected: Value 'no spaces' at 'imageTagMutabilityExclusionFilters.2.member.filter' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z._*-]{1,128}",
    );
  });

  test('list length is "Member must have length"', () => {
    expect(validation('DescribeRepositories', { repositoryNames: [] })).toBe(
      "1 validation error detected: Value '[]' at 'repositoryNames' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    const filters = Array.from({ length: 6 }, (_, i) => ({ filterType: 'WILDCARD', filter: `f${i}` }));
    expect(
      validation('CreateRepository', { repositoryName: 'ok', imageTagMutability: 'MUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: filters }),
    ).toMatch(/^1 validation error detected: Value '\[.*\]' at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: Member must have length less than or equal to 5$/);
  });

  test('bad elements of a list of strings are reported once for the list, with all the member constraints', () => {
    expect(validation('DescribeRepositories', { repositoryNames: ['good', 'Bad', 'x'] })).toBe(
      "1 validation error detected: Value '[good, Bad, x]' at 'repositoryNames' failed to satisfy constraint: " +
        'Member must satisfy constraint: [Member must have length less than or equal to 256, ' +
        `Member must have length greater than or equal to 2, Member must satisfy regular expression pattern: ${NAME_PATTERN}]`,
    );
    expect(validation('GetAuthorizationToken', { registryIds: ['123'] })).toBe(
      "1 validation error detected: Value '[123]' at 'registryIds' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy regular expression pattern: [0-9]{12}]",
    );
  });

  test('several errors: "N validation errors detected: ...; ..."', () => {
    expect(validation('CreateRepository', { repositoryName: 'ok', registryId: '12', imageTagMutability: 'nope' })).toBe(
      '2 validation errors detected: ' +
        "Value 'nope' at 'imageTagMutability' failed to satisfy constraint: Member must satisfy enum value set: [IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE, MUTABLE_WITH_EXCLUSION]; " +
        "Value '12' at 'registryId' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]{12}",
    );
  });

  test('one value breaking two constraints counts twice', () => {
    const name = 'A'.repeat(300);
    const message = validation('CreateRepository', { repositoryName: name });
    expect(message.startsWith('2 validation errors detected: ')).toBe(true);
    const parts = message.slice('2 validation errors detected: '.length).split('; ');
    expect(parts.sort()).toEqual([
      `Value '${name}' at 'repositoryName' failed to satisfy constraint: Member must have length less than or equal to 256`,
      `Value '${name}' at 'repositoryName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
    ]);
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
    expect(validation('CreateRepository', smuggled)).toBe(
      "1 validation error detected: Value null at 'repositoryName' failed to satisfy constraint: Member must not be null",
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
