import { ThrottlerStorageService } from '@nestjs/throttler';
import { fixedClock } from '../common/clock';
import type { GatewayConfig } from '../config';
import { hashIdNumber } from '../riders/id-hash';
import { IdLookupLimiter, type LookupActor } from './id-lookup-limiter';
import type { IdLookupRow, IdLookupsRepository } from './id-lookups.repository';

const KEY = 'unit-id-hash-key-0123456789';
const ID = '310101199001011234';

describe('IdLookupLimiter: per staff member, per device and per station, every attempt recorded', () => {
  let storage: ThrottlerStorageService;
  let rows: IdLookupRow[];
  let limiter: IdLookupLimiter;

  beforeEach(() => {
    storage = new ThrottlerStorageService();
    rows = [];
    const repo = { append: async (r: IdLookupRow) => void rows.push(r) };
    const config = {
      idHashKey: KEY,
      idLookupsPerMinute: 2,
      idScansPerMinute: 2,
      idScansPerMinutePerStation: 3,
    } as GatewayConfig;
    limiter = new IdLookupLimiter(
      storage,
      repo as unknown as IdLookupsRepository,
      config,
      fixedClock(Date.parse('2022-06-01T08:00:00+08:00')),
    );
  });

  afterEach(() => storage.onApplicationShutdown());

  const device = (deviceId: string, stationId = 'S1'): LookupActor => ({
    kind: 'device',
    deviceId,
    stationId,
  });
  const oks = async (actor: LookupActor, n: number) => {
    const out: boolean[] = [];
    for (let i = 0; i < n; i++) out.push((await limiter.admit(actor, ID)).ok);
    return out;
  };

  it('refuses a device past ID_SCANS_PER_MINUTE, and a station past its total', async () => {
    expect(await oks(device('D1'), 3)).toEqual([true, true, false]);
    // A second device has its own allowance, until the station's total (3) is spent.
    expect(await oks(device('D2'), 2)).toEqual([true, false]);
    // Made-up device ids gain nothing once the station is spent.
    expect(await oks(device('made-up-1'), 1)).toEqual([false]);
    // Another station, and staff, count apart.
    expect(await oks(device('D1', 'S2'), 1)).toEqual([true]);
    expect(await oks({ kind: 'staff', staffId: 'st-1', stationId: 'S1' }, 3)).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('says when to retry', async () => {
    await oks(device('D1'), 2);
    const v = await limiter.admit(device('D1'), ID);
    expect(v).toEqual({ ok: false, retryAfterSeconds: expect.any(Number) });
    if (!v.ok) expect(v.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    if (!v.ok) expect(v.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it('records each attempt with the keyed hash of the number, never the number', async () => {
    await oks(device('D1'), 3);
    expect(rows.map((r) => [r.actorKind, r.actorId, r.stationId, r.outcome])).toEqual([
      ['device', 'D1', 'S1', 'admitted'],
      ['device', 'D1', 'S1', 'admitted'],
      ['device', 'D1', 'S1', 'rate-limited'],
    ]);
    for (const r of rows) expect(r.personKey).toEqual(hashIdNumber(KEY, ID));
    expect(JSON.stringify(rows)).not.toContain(ID);
  });

  it('lets no lookup through whose record could not be written', async () => {
    const failing = new IdLookupLimiter(
      storage,
      { append: () => Promise.reject(new Error('db down')) } as unknown as IdLookupsRepository,
      { idHashKey: KEY, idScansPerMinute: 5, idScansPerMinutePerStation: 5 } as GatewayConfig,
      fixedClock(0),
    );
    await expect(failing.admit(device('D9'), ID)).rejects.toThrow('db down');
  });
});
