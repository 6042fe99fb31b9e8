import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/access-token';
import { formatShanghai } from '@app/protocol';
import { AppError } from '../common/errors';
import { CONFIG } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { parseWindow } from './window';
import { CheckinsRepository, type CheckInRow, type ExportKey } from './checkins.repository';
import type { ExportFormat, ExportQueryDto } from './checkins.dto';

const CHUNK = 500;
const COLUMNS = [
  'checkInId',
  'checkedInAt',
  'stationId',
  'gateId',
  'consentId',
  'medium',
  'policyVersion',
  'policyHash',
] as const;

export interface ExportStream {
  contentType: string;
  rowCount: number;
  nextCursor: string | null;
  /**
   * The body, produced chunk by chunk as it is read. At the deadline it is destroyed with
   * EXPORT_DEADLINE_EXCEEDED, read or not; fewer rows than X-Row-Count tell the reader.
   */
  body: Readable;
  /** The reader went away: the snapshot's connection goes at once. */
  abort(): void;
}

/**
 * The health authority's trace export: one page of a station/window query, streamed from a
 * read-only snapshot on a connection of its own. The page's row count and next cursor are
 * known (and audited) before the first byte is sent; rows are never all held in memory; and
 * the whole export, a slow reader included, ends by EXPORT_DEADLINE_MS after it arrived.
 */
@Injectable()
export class ExportService {
  constructor(
    private readonly repo: CheckinsRepository,
    @Inject(CONFIG) private readonly config: GatewayConfig,
  ) {}

  async export(who: Principal, q: ExportQueryDto): Promise<ExportStream> {
    // Wall time, whatever clock the decisions use: this bounds a connection, not a rule.
    const deadlineAt = Date.now() + this.config.exportDeadlineMs;
    const { from, to } = parseWindow(q.from, q.to);
    const after = q.cursor === undefined ? null : decodeCursor(q.cursor);
    const format: ExportFormat = q.format ?? 'ndjson';
    const limit = q.limit ?? 1000;
    const window = {
      stationIds: [...new Set(q.stationId)].sort(),
      from: new Date(from),
      to: new Date(to),
    };

    const snap = await this.repo.snapshot(window, deadlineAt);
    try {
      const { count, next } = await snap.measure(after, limit);
      // No audit row, no export.
      await this.repo.audit({
        actor: who.sub,
        actorRole: who.role,
        window,
        format,
        cursor: q.cursor ?? null,
        rowCount: count,
      });
      const body = Readable.from(stream(snap, after, count, format));
      // A reader that stopped reading keeps the generator waiting at a yield: end it anyway.
      const timer = setTimeout(() => {
        snap.abort();
        body.destroy(
          new AppError('EXPORT_DEADLINE_EXCEEDED', 'the export did not finish within its deadline'),
        );
      }, deadlineAt - Date.now());
      body.once('close', () => clearTimeout(timer));
      return {
        contentType:
          format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        rowCount: count,
        nextCursor: next === null ? null : encodeCursor(next),
        body,
        abort: () => snap.abort(),
      };
    } catch (e) {
      snap.abort();
      throw e;
    }
  }
}

async function* stream(
  snap: Awaited<ReturnType<CheckinsRepository['snapshot']>>,
  after: ExportKey | null,
  count: number,
  format: ExportFormat,
): AsyncGenerator<string> {
  try {
    if (format === 'csv') yield `${COLUMNS.join(',')}\r\n`;
    let key = after;
    let left = count;
    while (left > 0) {
      const rows = await snap.rows(key, Math.min(CHUNK, left));
      if (rows.length === 0) break;
      yield rows
        .map((r) => (format === 'csv' ? csvLine(r) : `${JSON.stringify(record(r))}\n`))
        .join('');
      left -= rows.length;
      const last = rows[rows.length - 1];
      key = { micros: last.micros, id: last.id };
    }
  } finally {
    await snap.close();
  }
}

function record(r: CheckInRow): Record<(typeof COLUMNS)[number], string | null> {
  return {
    checkInId: r.id,
    checkedInAt: formatShanghai(r.checkedInAt.getTime()),
    stationId: r.stationId,
    gateId: r.gateId,
    consentId: r.consentId,
    medium: r.medium,
    policyVersion: r.policyVersion,
    policyHash: r.policyHash,
  };
}

function csvLine(r: CheckInRow): string {
  const rec = record(r);
  return `${COLUMNS.map((c) => csvField(rec[c])).join(',')}\r\n`;
}

/** RFC 4180 quoting; a leading formula character is neutralised for spreadsheet users. */
function csvField(v: string | null): string {
  if (v === null) return '';
  const safe = /^[=+\-@]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const CURSOR = /^(\d{1,20})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export const encodeCursor = (k: ExportKey): string =>
  Buffer.from(`${k.micros}.${k.id}`).toString('base64url');

function decodeCursor(cursor: string): ExportKey {
  const m = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new AppError('VALIDATION_FAILED', 'cursor is not one this API issued');
  return { micros: m[1], id: m[2] };
}
