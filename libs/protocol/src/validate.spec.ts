import { parseSubject, type SubjectAddress } from './subjects';
import { MAX_CODE_LENGTH, parseScanRequest, parseTapRequest, type Parsed } from './validate';

type TapAddress = SubjectAddress & { kind: 'tap' };
type ScanAddress = SubjectAddress & { kind: 'scan' };

const TAP_ID = 'g04-000000123';
const tapAddr = (overrides: Partial<TapAddress> = {}): TapAddress => ({
  kind: 'tap',
  stationId: 'S0312',
  gateId: 'G04',
  ...overrides,
});
const scanAddr = (overrides: Partial<ScanAddress> = {}): ScanAddress => ({
  kind: 'scan',
  stationId: 'S0312',
  deviceId: 'SEC01',
  ...overrides,
});

/** The spec's example tap request, with overrides; `undefined` removes a field. */
function tapBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return dropUndefined({
    v: 1,
    tapId: TAP_ID,
    stationId: 'S0312',
    gateId: 'G04',
    mode: 'entry',
    temperatureC: 36.6,
    credential: { kind: 'ride-code', code: 'eyJhbGciOiJFZERTQSJ9.e30.sig' },
    ...overrides,
  });
}

function scanBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return dropUndefined({
    v: 1,
    tapId: 'sec01-00000042',
    stationId: 'S0312',
    deviceId: 'SEC01',
    temperatureC: 36.4,
    credential: { kind: 'ride-code', code: 'eyJhbGciOiJFZERTQSJ9.e30.sig' },
    ...overrides,
  });
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** What arrives on NATS: UTF-8 bytes. */
const wire = (body: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(body));

function expectFailure<T>(result: Parsed<T>, field: string, tapId: string | undefined): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error).toContain(field);
  expect(result.tapId).toBe(tapId);
}

describe('parseTapRequest: valid requests', () => {
  it.each([
    { kind: 'ride-code', credential: { kind: 'ride-code', code: 'eyJhbGciOiJFZERTQSJ9.e30.sig' } },
    { kind: 'card', credential: { kind: 'card', cardNo: '3101000012345678' } },
    { kind: 'day-ticket', credential: { kind: 'day-ticket', ticketNo: 'DT-20220601-0007' } },
    { kind: 'companion-ticket', credential: { kind: 'companion-ticket', ticketNo: 'CT_000123' } },
    { kind: 'single-journey', credential: { kind: 'single-journey', ticketNo: 'SJ000987' } },
    { kind: 'offline-code', credential: { kind: 'offline-code', code: 'LX:310101...:20221127' } },
  ])('a $kind tap parses to the typed request', ({ credential }) => {
    const result = parseTapRequest(tapAddr(), wire(tapBody({ credential })));
    expect(result).toEqual({
      ok: true,
      value: {
        v: 1,
        tapId: TAP_ID,
        stationId: 'S0312',
        gateId: 'G04',
        mode: 'entry',
        temperatureC: 36.6,
        credential,
      },
    });
  });

  it.each([
    { name: 'exit mode', overrides: { mode: 'exit' } },
    { name: 'temperatureC null (the gate has no reading)', overrides: { temperatureC: null } },
    { name: 'temperatureC at the lower bound 30', overrides: { temperatureC: 30 } },
    { name: 'temperatureC at the upper bound 45', overrides: { temperatureC: 45 } },
    { name: 'tapId of 8 characters (minimum)', overrides: { tapId: 'abcd-_12' } },
    { name: 'tapId of 64 characters (maximum)', overrides: { tapId: 'a'.repeat(64) } },
    {
      name: `ride code of exactly ${MAX_CODE_LENGTH} characters`,
      overrides: { credential: { kind: 'ride-code', code: 'x'.repeat(MAX_CODE_LENGTH) } },
    },
    {
      name: 'card number of 64 characters (maximum)',
      overrides: { credential: { kind: 'card', cardNo: '9'.repeat(64) } },
    },
  ])('accepts $name', ({ overrides }) => {
    const result = parseTapRequest(tapAddr(), wire(tapBody(overrides)));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value).toMatchObject(overrides);
  });

  it('ignores unknown fields, top level and in the credential (a later version may add fields)', () => {
    const body = tapBody({
      vendorExtension: { firmware: '4.2' },
      readAt: '2022-06-01T08:00:00.000+08:00',
      credential: { kind: 'card', cardNo: '3101000012345678', issuer: 'SPTCC' },
    });
    const result = parseTapRequest(tapAddr(), wire(body));
    expect(result).toEqual({
      ok: true,
      value: {
        v: 1,
        tapId: TAP_ID,
        stationId: 'S0312',
        gateId: 'G04',
        mode: 'entry',
        temperatureC: 36.6,
        credential: { kind: 'card', cardNo: '3101000012345678' },
      },
    });
  });

  it('accepts the body as a string as well as bytes', () => {
    expect(parseTapRequest(tapAddr(), JSON.stringify(tapBody())).ok).toBe(true);
  });

  it('accepts a request addressed through its real subject', () => {
    const addr = parseSubject('metro.gate.S0312.G04.tap');
    expect(addr?.kind).toBe('tap');
    expect(parseTapRequest(addr as TapAddress, wire(tapBody())).ok).toBe(true);
  });
});

describe('parseTapRequest: malformed requests name the field, and carry tapId when it could be read', () => {
  const raw = (text: string) => new TextEncoder().encode(text);
  const longId = 'S'.repeat(33);

  it.each([
    // Not a JSON object at all: nothing can be read
    {
      name: 'invalid UTF-8 bytes',
      addr: tapAddr(),
      bytes: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      field: 'UTF-8',
      tapId: undefined,
    },
    {
      name: 'not JSON',
      addr: tapAddr(),
      bytes: raw('{"v":1,"tapId":"g04-000000123"'),
      field: 'JSON',
      tapId: undefined,
    },
    {
      name: 'a JSON array',
      addr: tapAddr(),
      bytes: raw('[{"v":1}]'),
      field: 'JSON object',
      tapId: undefined,
    },
    {
      name: 'JSON null',
      addr: tapAddr(),
      bytes: raw('null'),
      field: 'JSON object',
      tapId: undefined,
    },
    {
      name: 'a JSON string',
      addr: tapAddr(),
      bytes: raw('"tap"'),
      field: 'JSON object',
      tapId: undefined,
    },
    {
      name: 'a JSON number',
      addr: tapAddr(),
      bytes: raw('42'),
      field: 'JSON object',
      tapId: undefined,
    },
    { name: 'an empty body', addr: tapAddr(), bytes: raw(''), field: 'JSON', tapId: undefined },

    // Protocol version
    {
      name: 'v missing',
      addr: tapAddr(),
      bytes: wire(tapBody({ v: undefined })),
      field: 'v must be 1',
      tapId: TAP_ID,
    },
    {
      name: 'v = 2',
      addr: tapAddr(),
      bytes: wire(tapBody({ v: 2 })),
      field: 'v must be 1',
      tapId: TAP_ID,
    },
    {
      name: 'v = "1" (a string)',
      addr: tapAddr(),
      bytes: wire(tapBody({ v: '1' })),
      field: 'v must be 1',
      tapId: TAP_ID,
    },

    // The tapId itself is bad: no tapId in the failure
    {
      name: 'tapId missing',
      addr: tapAddr(),
      bytes: wire(tapBody({ tapId: undefined })),
      field: 'tapId',
      tapId: undefined,
    },
    {
      name: 'tapId of 7 characters',
      addr: tapAddr(),
      bytes: wire(tapBody({ tapId: 'g04-123' })),
      field: 'tapId',
      tapId: undefined,
    },
    {
      name: 'tapId of 65 characters',
      addr: tapAddr(),
      bytes: wire(tapBody({ tapId: 'a'.repeat(65) })),
      field: 'tapId',
      tapId: undefined,
    },
    {
      name: 'tapId with a dot',
      addr: tapAddr(),
      bytes: wire(tapBody({ tapId: 'g04.000000123' })),
      field: 'tapId',
      tapId: undefined,
    },
    {
      name: 'tapId a number',
      addr: tapAddr(),
      bytes: wire(tapBody({ tapId: 12345678901 })),
      field: 'tapId',
      tapId: undefined,
    },
    {
      name: 'bad tapId and bad v: v reported, no tapId',
      addr: tapAddr(),
      bytes: wire(tapBody({ tapId: 'x', v: 2 })),
      field: 'v must be 1',
      tapId: undefined,
    },

    // The subject is authoritative
    {
      name: 'body stationId disagrees with the subject',
      addr: tapAddr(),
      bytes: wire(tapBody({ stationId: 'S0313' })),
      field: 'stationId',
      tapId: TAP_ID,
    },
    {
      name: 'body stationId missing',
      addr: tapAddr(),
      bytes: wire(tapBody({ stationId: undefined })),
      field: 'stationId',
      tapId: TAP_ID,
    },
    {
      name: 'body gateId disagrees with the subject',
      addr: tapAddr(),
      bytes: wire(tapBody({ gateId: 'G05' })),
      field: 'gateId',
      tapId: TAP_ID,
    },
    {
      name: 'body gateId missing',
      addr: tapAddr(),
      bytes: wire(tapBody({ gateId: undefined })),
      field: 'gateId',
      tapId: TAP_ID,
    },
    {
      name: 'subject stationId longer than 32',
      addr: tapAddr({ stationId: longId }),
      bytes: wire(tapBody({ stationId: longId })),
      field: 'stationId',
      tapId: TAP_ID,
    },
    {
      name: 'subject gateId longer than 32',
      addr: tapAddr({ gateId: longId }),
      bytes: wire(tapBody({ gateId: longId })),
      field: 'gateId',
      tapId: TAP_ID,
    },
    {
      name: 'empty station token in the subject',
      addr: parseSubject('metro.gate..G04.tap') as TapAddress,
      bytes: wire(tapBody({ stationId: '' })),
      field: 'stationId',
      tapId: TAP_ID,
    },

    // mode
    {
      name: 'mode "enter"',
      addr: tapAddr(),
      bytes: wire(tapBody({ mode: 'enter' })),
      field: 'mode',
      tapId: TAP_ID,
    },
    {
      name: 'mode missing',
      addr: tapAddr(),
      bytes: wire(tapBody({ mode: undefined })),
      field: 'mode',
      tapId: TAP_ID,
    },
    {
      name: 'mode "ENTRY" (case matters)',
      addr: tapAddr(),
      bytes: wire(tapBody({ mode: 'ENTRY' })),
      field: 'mode',
      tapId: TAP_ID,
    },

    // temperatureC: a number in range or null; missing is not null
    {
      name: 'temperatureC missing',
      addr: tapAddr(),
      bytes: wire(tapBody({ temperatureC: undefined })),
      field: 'temperatureC',
      tapId: TAP_ID,
    },
    {
      name: 'temperatureC a string "36.6"',
      addr: tapAddr(),
      bytes: wire(tapBody({ temperatureC: '36.6' })),
      field: 'temperatureC',
      tapId: TAP_ID,
    },
    {
      name: 'temperatureC 29.9 (below 30: sensor fault)',
      addr: tapAddr(),
      bytes: wire(tapBody({ temperatureC: 29.9 })),
      field: 'temperatureC',
      tapId: TAP_ID,
    },
    {
      name: 'temperatureC 45.1 (above 45: sensor fault)',
      addr: tapAddr(),
      bytes: wire(tapBody({ temperatureC: 45.1 })),
      field: 'temperatureC',
      tapId: TAP_ID,
    },
    {
      name: 'temperatureC 1e400 (parses to Infinity)',
      addr: tapAddr(),
      bytes: raw(
        JSON.stringify(tapBody({ temperatureC: 0 })).replace(
          '"temperatureC":0',
          '"temperatureC":1e400',
        ),
      ),
      field: 'temperatureC',
      tapId: TAP_ID,
    },

    // credential
    {
      name: 'credential missing',
      addr: tapAddr(),
      bytes: wire(tapBody({ credential: undefined })),
      field: 'credential',
      tapId: TAP_ID,
    },
    {
      name: 'credential an array',
      addr: tapAddr(),
      bytes: wire(tapBody({ credential: [] })),
      field: 'credential',
      tapId: TAP_ID,
    },
    {
      name: 'credential a string',
      addr: tapAddr(),
      bytes: wire(tapBody({ credential: 'eyJ...' })),
      field: 'credential',
      tapId: TAP_ID,
    },
    {
      name: 'credential.kind unknown',
      addr: tapAddr(),
      bytes: wire(tapBody({ credential: { kind: 'nfc-phone', code: 'x' } })),
      field: 'credential.kind',
      tapId: TAP_ID,
    },
    {
      name: 'credential.kind id-card at a gate (checkpoint only)',
      addr: tapAddr(),
      bytes: wire(tapBody({ credential: { kind: 'id-card', idNumber: '31010119900101123X' } })),
      field: 'credential.kind',
      tapId: TAP_ID,
    },
    {
      name: 'ride-code without code',
      addr: tapAddr(),
      bytes: wire(tapBody({ credential: { kind: 'ride-code' } })),
      field: 'credential.code',
      tapId: TAP_ID,
    },
    {
      name: 'ride-code with an empty code',
      addr: tapAddr(),
      bytes: wire(tapBody({ credential: { kind: 'ride-code', code: '' } })),
      field: 'credential.code',
      tapId: TAP_ID,
    },
    {
      name: 'ride-code with a numeric code',
      addr: tapAddr(),
      bytes: wire(tapBody({ credential: { kind: 'ride-code', code: 123 } })),
      field: 'credential.code',
      tapId: TAP_ID,
    },
    {
      name: `ride-code of ${MAX_CODE_LENGTH + 1} characters (oversize)`,
      addr: tapAddr(),
      bytes: wire(
        tapBody({ credential: { kind: 'ride-code', code: 'x'.repeat(MAX_CODE_LENGTH + 1) } }),
      ),
      field: 'credential.code',
      tapId: TAP_ID,
    },
    {
      name: 'offline-code of oversize',
      addr: tapAddr(),
      bytes: wire(
        tapBody({ credential: { kind: 'offline-code', code: 'x'.repeat(MAX_CODE_LENGTH + 1) } }),
      ),
      field: 'credential.code',
      tapId: TAP_ID,
    },
    {
      name: 'card without cardNo',
      addr: tapAddr(),
      bytes: wire(tapBody({ credential: { kind: 'card', code: '3101' } })),
      field: 'credential.cardNo',
      tapId: TAP_ID,
    },
    {
      name: 'card number with a space',
      addr: tapAddr(),
      bytes: wire(tapBody({ credential: { kind: 'card', cardNo: '3101 0000' } })),
      field: 'credential.cardNo',
      tapId: TAP_ID,
    },
    {
      name: 'card number of 65 characters',
      addr: tapAddr(),
      bytes: wire(tapBody({ credential: { kind: 'card', cardNo: '9'.repeat(65) } })),
      field: 'credential.cardNo',
      tapId: TAP_ID,
    },
    {
      name: 'day-ticket without ticketNo',
      addr: tapAddr(),
      bytes: wire(tapBody({ credential: { kind: 'day-ticket' } })),
      field: 'credential.ticketNo',
      tapId: TAP_ID,
    },
    {
      name: 'single-journey ticketNo with a dot',
      addr: tapAddr(),
      bytes: wire(tapBody({ credential: { kind: 'single-journey', ticketNo: 'SJ.1' } })),
      field: 'credential.ticketNo',
      tapId: TAP_ID,
    },
    {
      name: 'companion-ticket ticketNo empty',
      addr: tapAddr(),
      bytes: wire(tapBody({ credential: { kind: 'companion-ticket', ticketNo: '' } })),
      field: 'credential.ticketNo',
      tapId: TAP_ID,
    },
  ])('$name: ok false, error names "$field"', ({ addr, bytes, field, tapId }) => {
    expectFailure(parseTapRequest(addr, bytes), field, tapId);
  });
});

describe('parseScanRequest', () => {
  it.each([
    { kind: 'ride-code', credential: { kind: 'ride-code', code: 'eyJhbGciOiJFZERTQSJ9.e30.sig' } },
    {
      kind: 'id-card (digital sentinel)',
      credential: { kind: 'id-card', idNumber: '31010119900101123X' },
    },
    {
      kind: 'id-card with a lowercase check digit',
      credential: { kind: 'id-card', idNumber: '31010119900101123x' },
    },
    {
      kind: 'id-card with a numeric check digit',
      credential: { kind: 'id-card', idNumber: '310101199001011234' },
    },
    {
      kind: 'relative-code (digital sentinel)',
      credential: { kind: 'relative-code', code: 'QS-relative-0001' },
    },
    {
      kind: 'health-code (digital sentinel, since 1.1)',
      credential: { kind: 'health-code', code: 'HC-3q2b7yQm0mD0bXo1q8kZ' },
    },
    {
      kind: 'offline-code (parsed, so the decision can send it to staff)',
      credential: { kind: 'offline-code', code: 'LX:0001' },
    },
  ])('a $kind scan parses to the typed request', ({ credential }) => {
    expect(parseScanRequest(scanAddr(), wire(scanBody({ credential })))).toEqual({
      ok: true,
      value: {
        v: 1,
        tapId: 'sec01-00000042',
        stationId: 'S0312',
        deviceId: 'SEC01',
        temperatureC: 36.4,
        credential,
      },
    });
  });

  it('ignores unknown fields, including a mode the checkpoint has no use for', () => {
    const result = parseScanRequest(scanAddr(), wire(scanBody({ mode: 'entry', sentinel: true })));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value).not.toHaveProperty('mode');
  });

  it('accepts temperatureC null', () => {
    const result = parseScanRequest(scanAddr(), wire(scanBody({ temperatureC: null })));
    expect(result.ok && result.value.temperatureC).toBeNull();
  });

  it.each([
    {
      name: 'invalid UTF-8 bytes',
      addr: scanAddr(),
      bytes: new Uint8Array([0xc3, 0x28]),
      field: 'UTF-8',
      tapId: undefined,
    },
    {
      name: 'a JSON array',
      addr: scanAddr(),
      bytes: wire([scanBody()]),
      field: 'JSON object',
      tapId: undefined,
    },
    {
      name: 'v = 2',
      addr: scanAddr(),
      bytes: wire(scanBody({ v: 2 })),
      field: 'v must be 1',
      tapId: 'sec01-00000042',
    },
    {
      name: 'tapId with a space',
      addr: scanAddr(),
      bytes: wire(scanBody({ tapId: 'sec01 00000042' })),
      field: 'tapId',
      tapId: undefined,
    },
    {
      name: 'stationId disagrees with the subject',
      addr: scanAddr(),
      bytes: wire(scanBody({ stationId: 'S1001' })),
      field: 'stationId',
      tapId: 'sec01-00000042',
    },
    {
      name: 'deviceId disagrees with the subject',
      addr: scanAddr(),
      bytes: wire(scanBody({ deviceId: 'SEC02' })),
      field: 'deviceId',
      tapId: 'sec01-00000042',
    },
    {
      name: 'gateId sent instead of deviceId',
      addr: scanAddr(),
      bytes: wire(scanBody({ deviceId: undefined, gateId: 'SEC01' })),
      field: 'deviceId',
      tapId: 'sec01-00000042',
    },
    {
      name: 'subject deviceId longer than 32',
      addr: scanAddr({ deviceId: 'D'.repeat(33) }),
      bytes: wire(scanBody({ deviceId: 'D'.repeat(33) })),
      field: 'deviceId',
      tapId: 'sec01-00000042',
    },
    {
      name: 'temperatureC missing',
      addr: scanAddr(),
      bytes: wire(scanBody({ temperatureC: undefined })),
      field: 'temperatureC',
      tapId: 'sec01-00000042',
    },
    {
      name: 'temperatureC a string',
      addr: scanAddr(),
      bytes: wire(scanBody({ temperatureC: 'normal' })),
      field: 'temperatureC',
      tapId: 'sec01-00000042',
    },
    {
      name: 'temperatureC out of range (50)',
      addr: scanAddr(),
      bytes: wire(scanBody({ temperatureC: 50 })),
      field: 'temperatureC',
      tapId: 'sec01-00000042',
    },
    {
      name: 'a card at a checkpoint',
      addr: scanAddr(),
      bytes: wire(scanBody({ credential: { kind: 'card', cardNo: '3101' } })),
      field: 'credential.kind',
      tapId: 'sec01-00000042',
    },
    {
      name: 'a day ticket at a checkpoint',
      addr: scanAddr(),
      bytes: wire(scanBody({ credential: { kind: 'day-ticket', ticketNo: 'DT1' } })),
      field: 'credential.kind',
      tapId: 'sec01-00000042',
    },
    {
      name: 'id-card with 17 characters',
      addr: scanAddr(),
      bytes: wire(scanBody({ credential: { kind: 'id-card', idNumber: '31010119900101123' } })),
      field: 'credential.idNumber',
      tapId: 'sec01-00000042',
    },
    {
      name: 'id-card with a letter other than X',
      addr: scanAddr(),
      bytes: wire(scanBody({ credential: { kind: 'id-card', idNumber: '31010119900101123Y' } })),
      field: 'credential.idNumber',
      tapId: 'sec01-00000042',
    },
    {
      name: 'id-card with X not last',
      addr: scanAddr(),
      bytes: wire(scanBody({ credential: { kind: 'id-card', idNumber: '3101011990010112X3' } })),
      field: 'credential.idNumber',
      tapId: 'sec01-00000042',
    },
    {
      name: 'relative-code without code',
      addr: scanAddr(),
      bytes: wire(scanBody({ credential: { kind: 'relative-code' } })),
      field: 'credential.code',
      tapId: 'sec01-00000042',
    },
    {
      name: 'health-code without code',
      addr: scanAddr(),
      bytes: wire(scanBody({ credential: { kind: 'health-code' } })),
      field: 'credential.code',
      tapId: 'sec01-00000042',
    },
    {
      name: 'ride-code oversize',
      addr: scanAddr(),
      bytes: wire(
        scanBody({ credential: { kind: 'ride-code', code: 'x'.repeat(MAX_CODE_LENGTH + 1) } }),
      ),
      field: 'credential.code',
      tapId: 'sec01-00000042',
    },
    {
      name: 'credential missing',
      addr: scanAddr(),
      bytes: wire(scanBody({ credential: undefined })),
      field: 'credential',
      tapId: 'sec01-00000042',
    },
  ])('$name: ok false, error names "$field"', ({ addr, bytes, field, tapId }) => {
    expectFailure(parseScanRequest(addr, bytes), field, tapId);
  });
});
