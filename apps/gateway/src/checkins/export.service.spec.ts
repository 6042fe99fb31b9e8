import type { Principal } from '@app/access-token';
import { AppError } from '../common/errors';
import type { GatewayConfig } from '../config';
import type { CheckInRow, CheckinsRepository, ExportSnapshot } from './checkins.repository';
import { ExportService } from './export.service';

/** A snapshot of `total` rows in memory that records what happened to its connection. */
function fakeRepo(total: number) {
  const events: string[] = [];
  let served = 0;
  let open = true;
  const snap: ExportSnapshot = {
    measure: () => Promise.resolve({ count: total, next: null }),
    rows: (_after, n) => {
      const k = Math.min(n, total - served);
      const rows = Array.from({ length: k }, (_, i): CheckInRow => {
        const id = `00000000-0000-4000-8000-${String(served + i).padStart(12, '0')}`;
        return {
          id,
          checkedInAt: new Date(Date.UTC(2001, 5, 1) + served + i),
          micros: String((Date.UTC(2001, 5, 1) + served + i) * 1000),
          stationId: 'S1',
          gateId: 'G1',
          consentId: null,
          medium: 'card:C1',
          policyVersion: 'rv',
          policyHash: 'h',
        };
      });
      served += k;
      return Promise.resolve(rows);
    },
    // As the real one: whichever comes first ends the connection, the other does nothing.
    close: () => {
      if (open) events.push('closed');
      open = false;
      return Promise.resolve();
    },
    abort: () => {
      if (open) events.push('aborted');
      open = false;
    },
  };
  const repo = {
    snapshot: (_w: unknown, deadlineAt: number) => {
      events.push(`deadline in ${Math.round((deadlineAt - Date.now()) / 100) * 100} ms`);
      return Promise.resolve(snap);
    },
    audit: () => Promise.resolve(),
  } as unknown as CheckinsRepository;
  return { repo, events };
}

const officer: Principal = { sub: 'officer-1', role: 'authority' };
const query = {
  stationId: ['S1'],
  from: '2001-06-01T00:00:00+08:00',
  to: '2001-06-02T00:00:00+08:00',
  limit: 10_000,
};

describe('ExportService: an export ends at its deadline, read or not', () => {
  const config = { exportDeadlineMs: 300 } as GatewayConfig;

  it('streams every row to a reader who keeps reading, and closes its snapshot', async () => {
    const { repo, events } = fakeRepo(1_200);
    const out = await new ExportService(repo, config).export(officer, query);
    let text = '';
    for await (const chunk of out.body) text += String(chunk);
    expect(text.trimEnd().split('\n')).toHaveLength(1_200);
    expect(events).toEqual(['deadline in 300 ms', 'closed']);
  });

  it('cuts a reader who stopped reading at the deadline, and drops the connection', async () => {
    const { repo, events } = fakeRepo(10_000);
    const started = Date.now();
    const out = await new ExportService(repo, config).export(officer, query);
    // Read one chunk, then stop: the generator waits at a yield with the snapshot open.
    const first = await new Promise<unknown>((resolve) => out.body.once('data', resolve));
    out.body.pause();
    expect(String(first)).toContain('00000000-0000-4000-8000-000000000000');
    const err = await new Promise<unknown>((resolve) => out.body.once('error', resolve));
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('EXPORT_DEADLINE_EXCEEDED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(events).toEqual(['deadline in 300 ms', 'aborted']);
    expect(out.body.destroyed).toBe(true);
  });
});
