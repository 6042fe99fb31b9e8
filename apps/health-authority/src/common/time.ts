/** Instants on this authority's API: ISO-8601 that names its offset; answers in +08:00. */

/** Asia/Shanghai has had a fixed +08:00 offset since 1991, so formatting needs no tz database. */
const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;

/** e.g. 2022-06-01T08:00:00.012+08:00 */
export function formatShanghai(epochMs: number): string {
  return new Date(epochMs + SHANGHAI_OFFSET_MS).toISOString().replace('Z', '+08:00');
}

const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an ISO instant that names its offset; null for anything else, and for 06-31. */
export function parseInstant(text: string): number | null {
  const m = ISO_WITH_OFFSET.exec(text);
  if (!m) return null;
  // Date.parse rolls 2022-06-31 over to July 1: a typo must not become another instant.
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(2000, 0, 1));
  day.setUTCFullYear(y, mo - 1, d);
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d)
    return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}
