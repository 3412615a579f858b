import { Injectable, PipeTransform } from '@nestjs/common';
import { ValidationError } from '@/common/errors/app-error';
import { INSTANCE_NAME, INSTANCE_NAME_RULE } from './dto/instance.dto';

/** Path parameters that name an instance: checked before any lookup, so a malformed one is a 400, not a 404. */
@Injectable()
export class InstanceNamePipe implements PipeTransform<string, string> {
  constructor(private readonly field = 'instanceName') {}

  transform(value: string): string {
    if (!INSTANCE_NAME.test(value)) throw new ValidationError(`${this.field}: ${INSTANCE_NAME_RULE}`);
    return value;
  }
}
