import { parseInstant } from '@app/protocol';
import { AppError } from '../common/errors';

/** A query's [from, to) window as epoch ms, or VALIDATION_FAILED naming what is wrong with it. */
export function parseWindow(fromIso: string, toIso: string): { from: number; to: number } {
  const from = parseInstant(fromIso);
  const to = parseInstant(toIso);
  if (from === null || to === null)
    throw new AppError('VALIDATION_FAILED', 'from and to must be real ISO-8601 instants');
  if (to <= from) throw new AppError('VALIDATION_FAILED', 'to must be after from');
  return { from, to };
}
