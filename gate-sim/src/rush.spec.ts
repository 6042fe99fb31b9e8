import type { GateReply } from '../../libs/protocol/src';
import { parseArgs } from './cli';
import {
  canonicalJson,
  differingFields,
  expectedEntry,
  mapLimit,
  sameDecision,
  tamperCode,
} from './rush';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('rush script', () => {
  it('expects the seeded rules: open at S0312, ONE_CODE_NOT_ENABLED (plus temperature) at S0105', () => {
    expect(expectedEntry('healthy', true)).toEqual({ outcome: 'open', reasons: [] });
    expect(expectedEntry('healthy', false)).toEqual({
      outcome: 'see-staff',
      reasons: ['ONE_CODE_NOT_ENABLED'],
    });
    expect(expectedEntry('fever', false).reasons).toEqual([
      'ONE_CODE_NOT_ENABLED',
      'TEMPERATURE_HIGH',
    ]);
    expect(expectedEntry('yellow', false).reasons).toEqual(['ONE_CODE_NOT_ENABLED']);
    expect(expectedEntry('test-expired', true).reasons).toEqual(['TEST_EXPIRED']);
    expect(expectedEntry('forged-jws', false)).toEqual({
      outcome: 'deny',
      reasons: ['CODE_INVALID'],
    });
    expect(expectedEntry('plain-card', false).reasons).toEqual(['VENUE_CHECK_REQUIRED']);
    const reply = {
      outcome: 'see-staff',
      reasons: ['TEMPERATURE_HIGH', 'ONE_CODE_NOT_ENABLED'],
    } as GateReply;
    expect(sameDecision(expectedEntry('fever', false), reply)).toBe(true);
    expect(sameDecision(expectedEntry('fever', true), reply)).toBe(false);
  });

  it('tampers the JWS payload and keeps header and signature', () => {
    const code = `${b64({ alg: 'ES256' })}.${b64({ sub: 'r1', exp: 100 })}.sig`;
    const forged = tamperCode(code).split('.');
    expect(forged[0]).toBe(b64({ alg: 'ES256' }));
    expect(forged[2]).toBe('sig');
    expect(JSON.parse(Buffer.from(forged[1], 'base64url').toString())).toMatchObject({
      sub: 'r1x',
      exp: 3700,
    });
    expect(tamperCode('opaque-code')).not.toBe('opaque-code');
  });

  it('compares replies by content, not key order', () => {
    expect(canonicalJson({ a: 1, b: [{ c: null, d: 'x' }] })).toBe(
      canonicalJson({ b: [{ d: 'x', c: null }], a: 1 }),
    );
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 2 }));
    const first = {
      v: 1,
      outcome: 'deny',
      reasons: ['CODE_REPLAYED'],
      decidedAt: 't1',
      checkInId: null,
    } as unknown as GateReply;
    expect(differingFields(first, { ...first })).toEqual([]);
    expect(differingFields(first, { ...first, decidedAt: 't2' })).toEqual(['decidedAt']);
  });

  it('bounds concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    await mapLimit([...Array(20).keys()], 4, async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
    });
    expect(peak).toBe(4);
  });

  it('parses CLI flags with env defaults', () => {
    const a = parseArgs(['demo', '--json', 'out.json', '--riders=50', '--seed', '9'], {
      NATS_URL: 'nats://n:4222',
    });
    expect(a).toMatchObject({
      json: 'out.json',
      riders: 50,
      seed: 9,
      nats: 'nats://n:4222',
      gateway: 'http://127.0.0.1:3000',
    });
    expect(() => parseArgs(['--riders', 'x'], {})).toThrow('--riders');
    expect(() => parseArgs(['--bogus'], {})).toThrow("Unknown option '--bogus'");
    expect(() => parseArgs(['--json'], {})).toThrow("'--json <value>' argument missing");
    expect(() => parseArgs(['replay'], {})).toThrow('unknown argument: replay');
  });
});
