import { DISPLAY, REASONS, REASON_OUTCOME, displayFor, type Reason } from './reasons';

/** The reason table of gate protocol v1, with each reason's outcome. */
const SPEC_REASONS: Record<string, 'see-staff' | 'deny'> = {
  TEMPERATURE_HIGH: 'see-staff',
  TEMPERATURE_MISSING: 'see-staff',
  HEALTH_CODE_NOT_GREEN: 'see-staff',
  TEST_MISSING: 'see-staff',
  TEST_EXPIRED: 'see-staff',
  NOT_AUTHORIZED: 'see-staff',
  ONE_CODE_NOT_ENABLED: 'see-staff',
  VENUE_CHECK_REQUIRED: 'see-staff',
  OFFLINE_CODE_NEEDS_STAFF: 'see-staff',
  HEALTH_SERVICE_UNAVAILABLE: 'see-staff',
  CODE_INVALID: 'deny',
  CODE_EXPIRED: 'deny',
  CODE_REPLAYED: 'deny',
  ALREADY_INSIDE: 'deny',
  CARD_BLOCKED: 'deny',
  MALFORMED_REQUEST: 'deny',
};

describe('reasons', () => {
  it.each(Object.entries(SPEC_REASONS))('spec reason %s forces %s', (reason, outcome) => {
    expect(REASON_OUTCOME[reason as Reason]).toBe(outcome);
  });

  it('REASONS lists every key of REASON_OUTCOME', () => {
    expect([...REASONS].sort()).toEqual(Object.keys(REASON_OUTCOME).sort());
  });

  it('an extension reason is never an outcome of its own: it sends to staff', () => {
    for (const r of REASONS.filter((x) => !(x in SPEC_REASONS))) {
      expect(REASON_OUTCOME[r]).toBe('see-staff');
    }
  });
});

describe('displayFor', () => {
  it('no reasons: the OPEN message', () => {
    expect(displayFor([])).toEqual({ zh: '请通行', en: 'Please pass' });
  });

  it('several reasons: the first one picks the message', () => {
    expect(displayFor(['TEMPERATURE_HIGH', 'TEST_EXPIRED'])).toBe(DISPLAY.TEMPERATURE_HIGH);
    expect(displayFor(['TEST_EXPIRED', 'TEMPERATURE_HIGH'])).toBe(DISPLAY.TEST_EXPIRED);
  });

  it.each(REASONS)('%s has its own zh and en text', (reason) => {
    const d = displayFor([reason]);
    expect(d).toBe(DISPLAY[reason]);
    expect(d.zh.trim()).not.toBe('');
    expect(d.en.trim()).not.toBe('');
    expect(d.zh).toMatch(/[\u4e00-\u9fff]/);
    expect(d.en).toMatch(/^[\x20-\x7e]+$/);
    expect(d).not.toEqual(DISPLAY.OPEN);
  });

  it('DISPLAY has exactly the reasons plus OPEN', () => {
    expect(Object.keys(DISPLAY).sort()).toEqual([...REASONS, 'OPEN'].sort());
  });
});
