import { badRequest, HttpError } from './simulator-http';

/**
 * A small subset of JSON Schema, enough to reproduce the upstream's validation messages.
 * contract §0/§3: the upstream validates with the `jsonschema` package; a failing field yields the
 * schema's `description` if it has one, else the error `stack` with the first `"instance."` removed
 * (so a missing root field reads `instance requires property "text"`, a nested one
 * `contact[0].phoneNumber does not meet minimum length of 10`).
 */
export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';

export interface Schema {
  type?: FieldType;
  description?: string;
  enum?: readonly unknown[];
  pattern?: string;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  items?: Schema;
  properties?: Readonly<Record<string, Schema>>;
  required?: readonly string[];
}

export interface SchemaError {
  property: string;
  message: string;
}

export function validate(value: unknown, schema: Schema, path = 'instance'): SchemaError[] {
  return [
    ...checkType(value, schema, path),
    ...checkEnum(value, schema, path),
    ...checkString(value, schema, path),
    ...checkNumber(value, schema, path),
    ...checkArray(value, schema, path),
    ...checkObject(value, schema, path),
  ];
}

function fail(schema: Schema, path: string, message: string): SchemaError {
  const stack = `${path} ${message}`;
  return { property: path.replace('instance.', ''), message: schema.description ?? stack.replace('instance.', '') };
}

function matchesType(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isPlainObject(value);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkType(value: unknown, schema: Schema, path: string): SchemaError[] {
  if (!schema.type || matchesType(value, schema.type)) return [];
  return [fail(schema, path, `is not of a type(s) ${schema.type}`)];
}

function checkEnum(value: unknown, schema: Schema, path: string): SchemaError[] {
  if (!schema.enum || schema.enum.includes(value)) return [];
  return [fail(schema, path, `is not one of enum values: ${schema.enum.join(',')}`)];
}

function checkString(value: unknown, schema: Schema, path: string): SchemaError[] {
  if (typeof value !== 'string') return [];
  const errors: SchemaError[] = [];
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
    errors.push(fail(schema, path, `does not match pattern ${JSON.stringify(schema.pattern)}`));
  }
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    errors.push(fail(schema, path, `does not meet minimum length of ${schema.minLength}`));
  }
  return errors;
}

function checkNumber(value: unknown, schema: Schema, path: string): SchemaError[] {
  if (typeof value !== 'number') return [];
  const errors: SchemaError[] = [];
  if (schema.minimum !== undefined && value < schema.minimum) {
    errors.push(fail(schema, path, `must be greater than or equal to ${schema.minimum}`));
  }
  if (schema.maximum !== undefined && value > schema.maximum) {
    errors.push(fail(schema, path, `must be less than or equal to ${schema.maximum}`));
  }
  return errors;
}

function checkArray(value: unknown, schema: Schema, path: string): SchemaError[] {
  if (!Array.isArray(value)) return [];
  const errors: SchemaError[] = [];
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    errors.push(fail(schema, path, `does not meet minimum length of ${schema.minItems}`));
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    errors.push(fail(schema, path, `does not meet maximum length of ${schema.maxItems}`));
  }
  if (schema.uniqueItems && new Set(value.map((item) => JSON.stringify(item))).size !== value.length) {
    errors.push(fail(schema, path, 'contains duplicate item'));
  }
  const itemSchema = schema.items;
  if (itemSchema) value.forEach((item, i) => errors.push(...validate(item, itemSchema, `${path}[${i}]`)));
  return errors;
}

function checkObject(value: unknown, schema: Schema, path: string): SchemaError[] {
  if (!isPlainObject(value)) return [];
  const errors: SchemaError[] = [];
  for (const [key, propertySchema] of Object.entries(schema.properties ?? {})) {
    if (value[key] !== undefined) errors.push(...validate(value[key], propertySchema, `${path}.${key}`));
  }
  for (const key of schema.required ?? []) {
    if (value[key] === undefined) errors.push(fail(schema, path, `requires property ${JSON.stringify(key)}`));
  }
  return errors;
}

/** contract §3: `dataValidate` throws `BadRequestException(messages)`, i.e. a nested array `[["msg"]]`. */
export function assertValid(body: unknown, schema: Schema): void {
  const errors = validate(body, schema);
  if (errors.length > 0) throw badRequest(errors.map((e) => e.message));
}

/** contract §2.4/§3: group routes spread `{property, message}` objects into the exception. */
export function assertValidGroup(body: unknown, schema: Schema): void {
  const errors = validate(body, schema);
  if (errors.length > 0) throw badRequest(...errors);
}

/** contract §2.3: `/chat/whatsappNumbers` answers its own catch with the *un-enveloped* exception object. */
export function assertValidUnwrapped(body: unknown, schema: Schema): void {
  const errors = validate(body, schema);
  if (errors.length === 0) return;
  throw new HttpError(400, { status: 400, error: 'Bad Request', message: [errors.map((e) => e.message)] });
}
