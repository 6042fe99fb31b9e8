import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { parseInstant } from './time';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import { malformed } from './errors';

/** The 18-character resident ID number; the check character is an upper-case X. */
export const ID_NUMBER = /^[0-9]{17}[0-9X]$/;
export const ID_NUMBER_MESSAGE = 'idNumber must be 18 characters: 17 digits, then a digit or X';

/** An ISO-8601 instant that names its offset, as the protocol library parses it. */
export function IsInstant(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isInstant',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parseInstant(value) !== null,
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be an ISO-8601 instant with an offset, e.g. 2022-06-01T08:00:00+08:00`,
      },
    },
    options,
  );
}

/** The first failing constraint of the first failing field, as "field: what is wrong". */
function describe(errors: ValidationError[], prefix = ''): string {
  const first = errors[0];
  if (!first || first.property === undefined) return 'body must be a JSON object';
  const path = prefix + first.property;
  if (first.constraints) {
    const message = Object.values(first.constraints)[0];
    return message.includes(first.property) ? prefix + message : `${path}: ${message}`;
  }
  return describe(first.children ?? [], `${path}.`);
}

/** Rejects non-object bodies up front: otherwise an array reads as "property 0 should not exist". */
class BodyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (
      metadata.type === 'body' &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      throw malformed('body must be a JSON object');
    }
    return super.transform(value, metadata);
  }
}

export const validationPipe = (): ValidationPipe =>
  new BodyValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => malformed(describe(errors)),
  });
