import { AppError } from '../common/errors';
import {
  parseBody,
  readCardHolder,
  readHealthCodeVerification,
  readIdLookup,
  readOfflineVerification,
  readRelativeVerification,
  readSignedIn,
  readStatus,
  readStatusBatch,
} from './authority-answers';

const SECRET = '310101199001011234';
const status = {
  colour: 'green',
  latestNegativeSampledAt: '2022-06-01T08:00:00.000+08:00',
  latestTest: { sampledAt: '2022-06-01T08:00:00.000+08:00', result: 'negative' },
};

/** The error a reader throws: AUTHORITY_UNAVAILABLE, and never a value from the body. */
function refusal(read: () => unknown): AppError {
  try {
    read();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    const err = e as AppError;
    expect(err.code).toBe('AUTHORITY_UNAVAILABLE');
    expect(err.message).not.toContain(SECRET);
    expect(err.message).not.toContain('CANARY');
    return err;
  }
  throw new Error('the reader accepted a malformed body');
}

describe('authority answers', () => {
  it('parses JSON without quoting it when it is not JSON', () => {
    expect(parseBody('{"a":1}', 'x')).toEqual({ a: 1 });
    const err = refusal(() => parseBody(`{"idNumber": ${SECRET}x}`, 'a status read'));
    expect(err.message).toBe(
      'the health-code service answered a status read with a malformed body (not JSON)',
    );
  });

  it('reads a status, ignoring fields it does not know', () => {
    expect(readStatus({ ...status, extra: 1 })).toEqual(status);
    expect(readStatus({ colour: 'red', latestNegativeSampledAt: null, latestTest: null })).toEqual({
      colour: 'red',
      latestNegativeSampledAt: null,
      latestTest: null,
    });
  });

  it.each([
    ['an array', [status]],
    ['null', null],
    ['an unknown colour', { ...status, colour: 'CANARY' }],
    ['a colour of another type', { ...status, colour: 1 }],
    ['a missing colour', { latestNegativeSampledAt: null, latestTest: null }],
    ['a sampling time with no offset', { ...status, latestNegativeSampledAt: '2022-06-01T08:00' }],
    ['a sampling time that is a number', { ...status, latestNegativeSampledAt: 1654041600000 }],
    [
      'a latest test with an unknown result',
      { ...status, latestTest: { ...status.latestTest, result: 'CANARY' } },
    ],
    ['a latest test that is a string', { ...status, latestTest: 'CANARY' }],
  ])('refuses a status with %s', (_what, body) => {
    expect(refusal(() => readStatus(body)).message).toMatch(/^the health-code service answered/);
  });

  it('reads a batch by the ids asked for; a missing id is malformed, null is "no consent"', () => {
    const got = readStatusBatch({ statuses: { a: status, b: null } }, ['a', 'b']);
    expect([...got]).toEqual([
      ['a', status],
      ['b', null],
    ]);
    refusal(() => readStatusBatch({ statuses: { a: status } }, ['a', 'b']));
    refusal(() => readStatusBatch({ statuses: [status] }, ['0']));
    refusal(() => readStatusBatch({ statuses: { a: { ...status, colour: 'CANARY' } } }, ['a']));
    refusal(() => readStatusBatch({ statuses: { toString: status } }, ['__proto__']));
  });

  it('reads the verifications and lookups the desk and sentinels use', () => {
    const health = { colour: 'yellow', latestNegativeSampledAt: null };
    expect(readOfflineVerification({ status: 'valid', belongsToIdNumber: true, health })).toEqual({
      status: 'valid',
      belongsToIdNumber: true,
      health,
    });
    refusal(() => readOfflineVerification({ status: 'valid', belongsToIdNumber: 'yes', health }));
    refusal(() => readOfflineVerification({ status: 'CANARY', belongsToIdNumber: null, health }));
    expect(
      readRelativeVerification({ status: 'valid', dependantIdNumber: SECRET, health }),
    ).toEqual({ status: 'valid', dependantIdNumber: SECRET, health });
    refusal(() =>
      readRelativeVerification({ status: 'valid', dependantIdNumber: `${SECRET}0`, health }),
    );
    expect(readIdLookup({ found: false, health: null })).toBeNull();
    expect(readIdLookup({ found: true, health })).toEqual(health);
    refusal(() => readIdLookup({ found: 'yes', health }));
    refusal(() => readIdLookup({ found: true, health: null }));
  });

  it('reads a health-code verification: who and how only when valid', () => {
    const health = { colour: 'green', latestNegativeSampledAt: null };
    expect(
      readHealthCodeVerification({ status: 'valid', idNumber: SECRET, health, extra: 1 }),
    ).toEqual({ status: 'valid', idNumber: SECRET, health });
    expect(readHealthCodeVerification({ status: 'expired', idNumber: SECRET, health })).toEqual({
      status: 'expired',
      idNumber: null,
      health: null,
    });
    refusal(() => readHealthCodeVerification({ status: 'valid', idNumber: null, health }));
    refusal(() => readHealthCodeVerification({ status: 'valid', idNumber: SECRET, health: null }));
    refusal(() => readHealthCodeVerification({ status: 'CANARY', idNumber: null, health: null }));
  });

  it('reads a code exchange only when its consent agrees with its scope', () => {
    expect(readSignedIn({ idNumber: SECRET, scope: 'identity', consentId: null })).toEqual({
      idNumber: SECRET,
      scope: 'identity',
      consentId: null,
    });
    expect(
      readSignedIn({ idNumber: SECRET, scope: 'identity health-status', consentId: 'c_abc' }),
    ).toMatchObject({ consentId: 'c_abc' });
    refusal(() => readSignedIn({ idNumber: SECRET, scope: 'identity', consentId: 'c_abc' }));
    refusal(() =>
      readSignedIn({ idNumber: SECRET, scope: 'identity health-status', consentId: null }),
    );
    refusal(() => readSignedIn({ idNumber: 'CANARY', scope: 'identity', consentId: null }));
    refusal(() => readSignedIn({ idNumber: SECRET, scope: 'identity', consentId: 'c/../x' }));
    expect(readCardHolder({ cardNo: 'C1', holderIdNumber: SECRET })).toBe(SECRET);
    refusal(() => readCardHolder({ holderIdNumber: 42 }));
  });
});
