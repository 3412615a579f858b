import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { INSTANCE_NAME, INSTANCE_NAME_RULE } from './instance-name';

/**
 * Largest offset or position a query may name: a Postgres `integer`, which also bounds every offset this API can
 * meaningfully take (20 digits would overflow the database's own types).
 */
export const MAX_QUERY_INT = 2147483647;

/** An optional integer query parameter (limits, offsets, ids), converted from its string form. */
export function OptionalInt(options: {
  min: number;
  max?: number;
  default?: number;
  description?: string;
}): PropertyDecorator {
  const max = options.max ?? MAX_QUERY_INT;
  return applyDecorators(
    ApiPropertyOptional({
      minimum: options.min,
      maximum: max,
      default: options.default,
      description: options.description,
    }),
    IsOptional(),
    Type(() => Number),
    Min(options.min),
    Max(max),
    IsInt(),
  );
}

/** An optional filter on one value of a fixed list. */
export function OptionalOneOf(values: readonly string[], description?: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ enum: values, description }),
    IsOptional(),
    IsIn(values, { message: `must be one of ${values.join(', ')}` }),
  );
}

/** An optional instance-name filter. */
export function OptionalInstanceName(description = 'Instance name'): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ description }),
    IsOptional(),
    Matches(INSTANCE_NAME, { message: INSTANCE_NAME_RULE }),
  );
}
