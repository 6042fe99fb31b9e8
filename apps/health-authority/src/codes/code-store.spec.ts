import {
  DAY_MS,
  HEALTH_CODE_KEPT_MS,
  HealthCodeStore,
  OfflineCodeStore,
  OnePerPersonCodes,
  RelativeCodeStore,
} from './code-store';

describe('OnePerPersonCodes', () => {
  const t0 = Date.UTC(2022, 5, 1);

  it('is valid until issuedAt + validity, exclusive', () => {
    const codes = new OnePerPersonCodes('X-', 30 * DAY_MS);
    const issued = codes.issue('310101200401011234', t0);
    expect(issued.code).toMatch(/^X-[A-Za-z0-9_-]{20}$/);
    expect(OnePerPersonCodes.statusOf(issued, t0 + 30 * DAY_MS - 1)).toBe('valid');
    expect(OnePerPersonCodes.statusOf(issued, t0 + 30 * DAY_MS)).toBe('expired');
    expect(OnePerPersonCodes.statusOf(codes.find('X-nope'), t0)).toBe('unknown');
  });

  it('keeps one valid per person: a reissue or a void supersedes for good', () => {
    const codes = new OfflineCodeStore();
    const first = codes.issue('310101200401011234', t0);
    const other = codes.issue('310101200401015678', t0);
    const second = codes.issue('310101200401011234', t0 + 1);
    expect(first.code).toMatch(/^OFF-[A-Za-z0-9_-]{20}$/);
    expect(OnePerPersonCodes.statusOf(codes.find(first.code), t0 + 2)).toBe('superseded');
    expect(OnePerPersonCodes.statusOf(codes.find(second.code), t0 + 2)).toBe('valid');
    expect(OnePerPersonCodes.statusOf(codes.find(other.code), t0 + 2)).toBe('valid');
    expect(codes.void('310101200401011234')).toBe(true);
    expect(codes.void('310101200401011234')).toBe(false);
    // Superseded stays superseded after it would also have expired.
    expect(OnePerPersonCodes.statusOf(codes.find(second.code), t0 + 365 * DAY_MS)).toBe(
      'superseded',
    );
  });
});

describe('HealthCodeStore', () => {
  const t0 = Date.UTC(2022, 5, 1);

  it('is valid 60 s, exclusive, and forgets ended codes as it issues, never a valid one', () => {
    const store = new HealthCodeStore();
    const first = store.issue('310101199001011234', t0);
    expect(first.code).toMatch(/^HC-[A-Za-z0-9_-]{20}$/);
    expect(OnePerPersonCodes.statusOf(store.find(first.code), t0 + 59_999)).toBe('valid');
    expect(OnePerPersonCodes.statusOf(store.find(first.code), t0 + 60_000)).toBe('expired');
    // 1000 issues later, well past what is kept, the first code is forgotten.
    const later = t0 + 60_000 + HEALTH_CODE_KEPT_MS + 1;
    let last = first;
    for (let i = 0; i < 1000; i++)
      last = store.issue(`31010119900101${String(i).padStart(4, '0')}`, later);
    expect(store.find(first.code)).toBeUndefined();
    expect(OnePerPersonCodes.statusOf(store.find(last.code), later)).toBe('valid');
  });
});

describe('RelativeCodeStore', () => {
  it('gives one code per guardian and dependant', () => {
    const store = new RelativeCodeStore();
    const a = store.issue('310101198001011234', '310101201501011234');
    expect(a.code).toMatch(/^REL-[A-Za-z0-9_-]{20}$/);
    expect(store.issue('310101198001011234', '310101201501011234')).toBe(a);
    expect(store.issue('310101198001015678', '310101201501011234').code).not.toBe(a.code);
    expect(store.find(a.code)?.dependantIdNumber).toBe('310101201501011234');
  });
});
