import type { GateReply } from '@app/protocol';
import { IdempotencyCache, requestFingerprint, type TapDevice } from './idempotency.cache';
import { malformedReply, reply } from './replies';

const at = Date.UTC(2022, 5, 1, 0, 0, 0, 12);
const ctx = (tapId: string, policyVersion: string | null = 'v1') => ({
  tapId,
  decidedAt: at,
  policyVersion,
  policyHash: policyVersion === null ? null : `hash-of-${policyVersion}`,
});

const G1: TapDevice = { kind: 'gate', stationId: 'S1', id: 'G1' };
const G2: TapDevice = { kind: 'gate', stationId: 'S1', id: 'G2' };
const FP = 'fingerprint-of-request-a';
const refuse = () => malformedReply('refused', at);

describe('IdempotencyCache', () => {
  let cache: IdempotencyCache;
  beforeEach(() => (cache = new IdempotencyCache({ idempotencyWindowMinutes: 10 })));
  afterEach(() => cache.onModuleDestroy());

  // The retry must get the reply byte for byte, though the cache keeps only what rebuilds it.
  it.each<[string, GateReply]>([
    ['open-entry', reply(ctx('open-entry'), 'open', [], '0f8e7c1e-8d7a-4f1e-9a57-0c5a7b1b2f3c')],
    ['open-exit', reply(ctx('open-exit'), 'open', [])],
    ['deny', reply(ctx('deny'), 'deny', ['CODE_REPLAYED'])],
    [
      'see-staff-two-reasons',
      reply(ctx('see-staff-two-reasons'), 'see-staff', [
        'TEMPERATURE_HIGH',
        'HEALTH_CODE_NOT_GREEN',
      ]),
    ],
    ['no-policy', reply(ctx('no-policy', null), 'deny', ['CODE_INVALID'])],
  ])('answers a retry of tap %s with the same JSON', async (tapId, first) => {
    const decide = jest.fn(() => Promise.resolve(first));
    const got = await cache.run(G1, tapId, FP, decide, refuse);
    const again = await cache.run(G1, tapId, FP, decide, refuse);
    expect(JSON.stringify(again)).toBe(JSON.stringify(first));
    expect(got).toBe(first);
    expect(decide).toHaveBeenCalledTimes(1);
  });

  it('keeps taps of different devices apart', async () => {
    await cache.run(
      G1,
      'tap-0001',
      FP,
      () => Promise.resolve(reply(ctx('tap-0001'), 'open', [])),
      refuse,
    );
    const other = reply(ctx('tap-0001'), 'deny', ['ALREADY_INSIDE']);
    await expect(cache.run(G2, 'tap-0001', FP, () => Promise.resolve(other), refuse)).resolves.toBe(
      other,
    );
  });

  it('gives each retry its own object', async () => {
    const first = reply(ctx('tap-0002'), 'deny', ['ALREADY_INSIDE']);
    const never = () => Promise.reject(new Error('decided twice'));
    await cache.run(G1, 'tap-0002', FP, () => Promise.resolve(first), refuse);
    const a = await cache.run(G1, 'tap-0002', FP, never, refuse);
    a.reasons.push('CODE_INVALID');
    const b = await cache.run(G1, 'tap-0002', FP, never, refuse);
    expect(b.reasons).toEqual(['ALREADY_INSIDE']);
  });

  it('decides a tap once while it is still being decided', async () => {
    let finish!: (r: GateReply) => void;
    const decide = jest.fn(() => new Promise<GateReply>((resolve) => (finish = resolve)));
    const both = Promise.all([
      cache.run(G1, 'tap-0003', FP, decide, refuse),
      cache.run(G1, 'tap-0003', FP, decide, refuse),
    ]);
    expect(cache.inFlight).toBe(1);
    finish(reply(ctx('tap-0003'), 'open', []));
    const [a, b] = await both;
    expect(a).toBe(b);
    expect(decide).toHaveBeenCalledTimes(1);
  });

  it('does not remember a record outage, so the retry tries again', async () => {
    const outage = reply(ctx('tap-0004'), 'see-staff', ['RECORD_UNAVAILABLE']);
    const open = reply(ctx('tap-0004'), 'open', []);
    await cache.run(G1, 'tap-0004', FP, () => Promise.resolve(outage), refuse);
    await expect(cache.run(G1, 'tap-0004', FP, () => Promise.resolve(open), refuse)).resolves.toBe(
      open,
    );
    expect(cache.remembered).toBe(1);
  });

  it('refuses the same tapId with another request, remembered or still being decided', async () => {
    const first = reply(ctx('tap-0005'), 'open', [], '0f8e7c1e-8d7a-4f1e-9a57-0c5a7b1b2f3c');
    let finish!: (r: GateReply) => void;
    const running = cache.run(G1, 'tap-0005', FP, () => new Promise((r) => (finish = r)), refuse);
    const never = () => Promise.reject(new Error('decided a reused tapId'));
    const whileRunning = await cache.run(G1, 'tap-0005', 'other-request', never, refuse);
    expect(whileRunning.reasons).toEqual(['MALFORMED_REQUEST']);
    finish(first);
    await expect(running).resolves.toBe(first);
    const afterwards = await cache.run(G1, 'tap-0005', 'other-request', never, refuse);
    expect({ outcome: afterwards.outcome, reasons: afterwards.reasons }).toEqual({
      outcome: 'deny',
      reasons: ['MALFORMED_REQUEST'],
    });
    expect(afterwards.checkInId).toBeNull();
    // The refusal did not take the first request's place.
    const retry = await cache.run(G1, 'tap-0005', FP, never, refuse);
    expect(JSON.stringify(retry)).toBe(JSON.stringify(first));
  });

  it('does not remember a refused reuse in place of the reply its first request will get', async () => {
    const refused = malformedReply('tap-0006', at);
    const open = reply(ctx('tap-0006'), 'open', []);
    await cache.run(G1, 'tap-0006', 'b', () => Promise.resolve(refused), refuse);
    await expect(cache.run(G1, 'tap-0006', FP, () => Promise.resolve(open), refuse)).resolves.toBe(
      open,
    );
  });

  it('keeps a checkpoint device apart from the gate with the same id', async () => {
    const gate = reply(ctx('tap-0007'), 'open', [], '0f8e7c1e-8d7a-4f1e-9a57-0c5a7b1b2f3c');
    const scan = reply(ctx('tap-0007'), 'see-staff', ['TEMPERATURE_HIGH']);
    await cache.run(G1, 'tap-0007', FP, () => Promise.resolve(gate), refuse);
    const device: TapDevice = { kind: 'checkpoint', stationId: 'S1', id: 'G1' };
    await expect(
      cache.run(device, 'tap-0007', FP, () => Promise.resolve(scan), refuse),
    ).resolves.toBe(scan);
  });
});

describe('requestFingerprint', () => {
  const base = {
    mode: 'entry' as const,
    temperatureC: 36.5 as number | null,
    credential: { kind: 'card', cardNo: '3101000012345678' } as object,
  };
  it.each<[string, Partial<typeof base>]>([
    ['another credential', { credential: { kind: 'card', cardNo: '3101000012345679' } }],
    [
      'another credential kind',
      { credential: { kind: 'day-ticket', ticketNo: '3101000012345678' } },
    ],
    ['another mode', { mode: 'exit' as never }],
    ['another reading', { temperatureC: 36.6 }],
    ['no reading', { temperatureC: null }],
  ])('differs for %s', (_name, change) => {
    expect(requestFingerprint({ ...base, ...change })).not.toBe(requestFingerprint(base));
  });

  it('is the same for the same request, whatever the order of its fields', () => {
    const reordered = { ...base, credential: { cardNo: '3101000012345678', kind: 'card' } };
    expect(requestFingerprint(reordered)).toBe(requestFingerprint(base));
  });
});
