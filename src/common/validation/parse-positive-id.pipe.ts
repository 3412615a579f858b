import { PipeTransform } from '@nestjs/common';
import { ValidationError } from '@/common/errors/app-error';

/** Largest value of a Postgres integer column; a larger id cannot exist and must not reach the database. */
export const MAX_INT_ID = 2147483647;

/** Numeric ids in paths: a positive integer that fits the column, or a 400 naming the parameter. */
export class ParsePositiveIdPipe implements PipeTransform<string, number> {
  constructor(private readonly field: string) {}

  transform(value: string): number {
    const id = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(id) || id < 1 || id > MAX_INT_ID)
      throw new ValidationError(`${this.field}: must be a positive integer id`);
    return id;
  }
}
