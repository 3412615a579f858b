import { Type } from '@nestjs/common';
import { ApiBodyOptions } from '@nestjs/swagger';

/** A free-form JSON body the gateway forwards without reading it, shown with the reference's example. */
export function legacyBody(example: Record<string, unknown>): ApiBodyOptions {
  return { schema: { type: 'object', additionalProperties: true, example } };
}

/**
 * A body described by its DTO (the fields the gateway checks), shown with the reference's example; any other field
 * of the upstream's body is accepted and forwarded.
 */
export function legacyDtoBody(type: Type, example: Record<string, unknown>): ApiBodyOptions {
  return {
    type,
    description: 'The fields the gateway checks; every other field of the upstream’s body is passed on as it is',
    examples: { reference: { summary: 'The reference’s example', value: example } },
  };
}
