import type { GateReply, Outcome, Reason } from '../../libs/protocol/src';
import { Summary } from './summary';

const reply = (outcome: Outcome, reasons: Reason[] = []): GateReply => ({
  v: 1,
  tapId: 'G01-000000001-abcdef01',
  outcome,
  reasons,
  display: { zh: '', en: '' },
  checkInId: null,
  policyVersion: null,
  policyHash: null,
  decidedAt: '2022-06-01T08:00:00.000+08:00',
});

describe('Summary', () => {
  it('has the fixed JSON shape first, with outcomes, every reason occurrence and p50/p99', () => {
    const s = new Summary();
    s.recordTap({ stationId: 'S0312', reply: reply('open'), latencyMs: 1, attempts: 1 });
    s.recordTap({
      stationId: 'S0312',
      reply: reply('see-staff', ['TEMPERATURE_HIGH', 'TEST_EXPIRED']),
      latencyMs: 2,
      attempts: 1,
    });
    s.recordTap({
      stationId: 'S0105',
      reply: reply('see-staff', ['ONE_CODE_NOT_ENABLED', 'TEMPERATURE_HIGH']),
      latencyMs: 3,
      attempts: 2,
    });
    s.recordTap({
      stationId: 'S0105',
      reply: reply('deny', ['CODE_INVALID']),
      latencyMs: 4,
      attempts: 1,
    });
    s.recordResend(true);

    const j = s.toJson();
    expect(Object.keys(j).slice(0, 4)).toEqual(['taps', 'outcomes', 'reasons', 'latencyMs']);
    expect(j.taps).toBe(4);
    expect(j.outcomes).toEqual({ open: 1, 'see-staff': 2, deny: 1 });
    expect(j.reasons).toMatchObject({
      TEMPERATURE_HIGH: 2,
      TEST_EXPIRED: 1,
      ONE_CODE_NOT_ENABLED: 1,
      CODE_INVALID: 1,
      TEST_MISSING: 0,
    });
    expect(Object.keys(j.latencyMs)).toEqual(['p50', 'p99']);
    expect(j.tapsRetriedAfterTimeout).toBe(1);
    expect(j.idempotentRetries).toEqual({ sent: 1, identical: 1 });
    expect(j.stations.S0105.outcomes).toEqual({ open: 0, 'see-staff': 1, deny: 1 });
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });

  it('reports latency percentiles in ms from microsecond samples', () => {
    const s = new Summary();
    for (let ms = 1; ms <= 100; ms++)
      s.recordTap({ stationId: 'S0312', reply: reply('open'), latencyMs: ms, attempts: 1 });
    const j = s.toJson();
    expect(j.latencyMs.p50).toBeGreaterThanOrEqual(50);
    expect(j.latencyMs.p50).toBeLessThanOrEqual(50 * 1.001);
    expect(j.latencyMs.p99).toBeGreaterThanOrEqual(99);
    expect(j.latencyMs.p99).toBeLessThanOrEqual(99 * 1.001);
    expect(j.latencyMaxMs).toBeCloseTo(100, 0);
  });

  it('reports zeros for an empty run and renders a table', () => {
    const s = new Summary({ S0312: 'Zhongshan Park' });
    expect(s.toJson()).toMatchObject({
      taps: 0,
      outcomes: { open: 0, 'see-staff': 0, deny: 0 },
      latencyMs: { p50: 0, p99: 0 },
    });
    s.recordTap({
      stationId: 'S0312',
      reply: reply('deny', ['CODE_REPLAYED']),
      latencyMs: 0.4,
      attempts: 1,
    });
    s.recordResend(false);
    const t = s.toTable();
    expect(t).toContain('S0312 Zhongshan Park');
    expect(t).toContain('CODE_REPLAYED');
    expect(t).toContain('idempotent retries: 0/1 identical');
  });
});
