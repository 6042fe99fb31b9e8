import { createHash } from 'node:crypto';

/** JSON with sorted keys, so equal values always hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

export interface StoredRuleVersion {
  id: string;
  /** Any ISO form; hashed as its UTC instant so the hash does not depend on how it was typed. */
  effectiveFrom: string | number;
  scope: unknown;
  settings: unknown;
  reason: string;
}

/** Provenance hash of a rule version, recorded with every check-in it governed. */
export const ruleVersionHash = (v: StoredRuleVersion): string =>
  sha256Hex(
    canonicalJson({
      id: v.id,
      effectiveFrom: new Date(v.effectiveFrom).toISOString(),
      scope: v.scope,
      settings: v.settings,
      reason: v.reason,
    }),
  );
