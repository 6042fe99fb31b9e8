import { parseInstant } from '@app/protocol';
import { AppError } from './errors';

/** An instant that names its offset, e.g. 2022-06-01T08:00:00.000+08:00. */
export const ISO_INSTANT =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An instant from an HTTP body, in ms since the epoch; a bad one is VALIDATION_FAILED. */
export function instant(text: string, field: string): number {
  const ms = parseInstant(text);
  if (ms === null) throw new AppError('VALIDATION_FAILED', `${field} is not a valid instant`);
  return ms;
}
