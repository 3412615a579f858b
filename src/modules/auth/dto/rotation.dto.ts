import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** The longest grace period a rotation grants the credential it replaces. */
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

/** The body of every rotation route: client keys, instance keys, webhook secrets. */
export class RotateKeyDto {
  @ApiPropertyOptional({
    description: 'Keep the old credential valid this long (0 to 7 days); default 0 ends it at once',
    default: 0,
  })
  @IsOptional()
  @Min(0)
  @Max(MAX_GRACE_SECONDS)
  @IsInt()
  grace_seconds?: number;
}

/** When a rotated credential stops working: now without a grace period, or when the grace period ends. */
export function graceEnd(now: Date, graceSeconds: number): Date | null {
  return graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null;
}
