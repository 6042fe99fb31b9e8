import { createHmac } from 'node:crypto';

/** ID numbers are stored only as a keyed HMAC; upper-casing makes a trailing x and X agree. */
export function hashIdNumber(key: string, idNumber: string): Buffer {
  return createHmac('sha256', key).update(idNumber.toUpperCase()).digest();
}
