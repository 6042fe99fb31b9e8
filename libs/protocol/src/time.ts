/** Asia/Shanghai has had a fixed +08:00 offset since 1991, so formatting needs no tz database. */
const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;

/** ISO-8601 with the +08:00 offset and milliseconds, e.g. 2022-06-01T08:00:00.012+08:00. */
export function formatShanghai(epochMs: number): string {
  return new Date(epochMs + SHANGHAI_OFFSET_MS).toISOString().replace('Z', '+08:00');
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an ISO instant that names its offset; null for anything else. */
export function parseInstant(text: string): number | null {
  if (!ISO_WITH_OFFSET.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}
