import { ValidationError as ClassValidatorError } from 'class-validator';
import { describeValidationErrors } from './validation-errors';

function error(
  property: string,
  constraints: Record<string, string>,
  children: ClassValidatorError[] = [],
): ClassValidatorError {
  return Object.assign(new ClassValidatorError(), { property, constraints, children });
}

describe(describeValidationErrors.name, () => {
  it('names each field by its path and strips the repeated property name', () => {
    const lines = describeValidationErrors([
      error('text', { isString: 'text must be a string' }),
      error('recipients', {}, [error('2', {}, [error('number', { isString: 'number must be a string' })])]),
    ]);
    expect(lines).toEqual(['text: must be a string', 'recipients.2.number: must be a string']);
  });
});
