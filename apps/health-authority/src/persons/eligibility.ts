import type { Person } from './person-store';

/** Asia/Shanghai has a fixed +08:00 offset, so its calendar date needs no tz database. */
const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;

type Facts = Pick<Person, 'birthDate' | 'disabled' | 'specialGroup'>;

/**
 * Completed years at `nowMs`, on the Asia/Shanghai calendar date: a person turns N on their
 * birthday. A 29 February birthday counts as reached on 1 March in a common year.
 */
export function ageOn(birthDate: string, nowMs: number): number {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const today = new Date(nowMs + SHANGHAI_OFFSET_MS);
  const [y, m, d] = [today.getUTCFullYear(), today.getUTCMonth() + 1, today.getUTCDate()];
  const beforeBirthday = m < bm || (m === bm && d < bd);
  return y - by - (beforeBirthday ? 1 : 0);
}

/** Under 18, or 60 and over (60 included): the elderly/child test lookup (老幼核酸助查). */
export function isElderlyOrChild(person: Pick<Person, 'birthDate'>, nowMs: number): boolean {
  const age = ageOn(person.birthDate, nowMs);
  return age < 18 || age >= 60;
}

/** Offline codes (离线随申码): under 18, 60 or over, or disabled. */
export function offlineCodeEligible(person: Facts, nowMs: number): boolean {
  return person.disabled || isElderlyOrChild(person, nowMs);
}

/** Relatives' codes (亲属随申码): as offline codes, plus the special groups. */
export function relativeCodeEligible(person: Facts, nowMs: number): boolean {
  return person.specialGroup || offlineCodeEligible(person, nowMs);
}
