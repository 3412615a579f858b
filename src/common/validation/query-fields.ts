import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { INSTANCE_NAME, INSTANCE_NAME_RULE } from '@/modules/instances/instance-name';

/** An optional integer query parameter (limits, offsets, ids), converted from its string form. */
export function OptionalInt(options: { min: number; max?: number; default?: number; description?: string }): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ minimum: options.min, maximum: options.max, default: options.default, description: options.description }),
    IsOptional(),
    Type(() => Number),
    Min(options.min),
    ...(options.max === undefined ? [] : [Max(options.max)]),
    IsInt(),
  );
}

/** An optional filter on one value of a fixed list. */
export function OptionalOneOf(values: readonly string[], description?: string): PropertyDecorator {
  return applyDecorators(ApiPropertyOptional({ enum: values, description }), IsOptional(), IsIn(values, { message: `must be one of ${values.join(', ')}` }));
}

/** An optional instance-name filter. */
export function OptionalInstanceName(description = 'Instance name'): PropertyDecorator {
  return applyDecorators(ApiPropertyOptional({ description }), IsOptional(), Matches(INSTANCE_NAME, { message: INSTANCE_NAME_RULE }));
}
