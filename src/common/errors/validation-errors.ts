import { ValidationError as ClassValidatorError } from 'class-validator';
import { ValidationError } from './app-error';

/** `recipients.2.number: must be a string` for every failed constraint, nested ones included. */
export function describeValidationErrors(errors: ClassValidatorError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((reason) => `${path}: ${stripProperty(reason, e.property)}`);
    return [...own, ...describeValidationErrors(e.children ?? [], path)];
  });
}

/** class-validator messages start with the property name ("text must be a string"); the path already names it. */
function stripProperty(reason: string, property: string): string {
  return reason.startsWith(`${property} `) ? reason.slice(property.length + 1) : reason;
}

export function toValidationError(errors: ClassValidatorError[]): ValidationError {
  const lines = describeValidationErrors(errors);
  return new ValidationError(lines.slice(0, 20).join('; ') || 'the request body is invalid');
}
