import { ValidationPipe } from '@nestjs/common';
import type { ValidationError as ClassValidatorError, ValidatorOptions } from 'class-validator';
import { toValidationError } from '@/common/errors/validation-errors';

const ACCEPTS_UNKNOWN_FIELDS = Symbol('acceptsUnknownFields');

/**
 * Marks a body DTO whose unknown fields are kept, neither rejected nor stripped: the legacy routes mirror Evolution
 * API, which takes fields the gateway does not know (quoted, mentioned, linkPreview, proxy settings...) and the
 * gateway forwards them. The DTO checks the fields the gateway reads; subclasses inherit the mark.
 */
export function AcceptsUnknownFields(): ClassDecorator {
  return (target) => Reflect.defineMetadata(ACCEPTS_UNKNOWN_FIELDS, true, target);
}

function acceptsUnknownFields(target: unknown): boolean {
  return typeof target === 'function' && Reflect.getMetadata(ACCEPTS_UNKNOWN_FIELDS, target) === true;
}

/**
 * The one ValidationPipe (registered globally): unknown keys are a 400 naming them, except on DTOs marked
 * AcceptsUnknownFields. The exception is decided here and not by a per-route `@Body(new ValidationPipe(...))`
 * because Nest runs the global pipe before a parameter's own pipes: a looser route pipe would never see a body the
 * global one had already refused.
 */
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // One problem per field is clearer than every constraint that a wrong type also breaks.
      stopAtFirstError: true,
      exceptionFactory: toValidationError,
    });
  }

  protected override validate(
    object: object,
    options?: ValidatorOptions,
  ): Promise<ClassValidatorError[]> | ClassValidatorError[] {
    if (!acceptsUnknownFields(object.constructor)) return super.validate(object, options);
    return super.validate(object, { ...options, whitelist: false, forbidNonWhitelisted: false });
  }
}
