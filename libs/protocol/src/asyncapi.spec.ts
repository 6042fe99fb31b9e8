import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import {
  CHECKPOINT_CREDENTIAL_KINDS,
  GATE_CREDENTIAL_KINDS,
  gateProtocolAsyncApi,
} from './asyncapi';
import type { CredentialKind } from './types';
import { parseScanRequest, parseTapRequest } from './validate';

const ROOT = join(__dirname, '..', '..', '..');
const EXAMPLES = join(__dirname, '..', 'fixtures', 'spec-examples');
const example = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(EXAMPLES, `${name}.json`), 'utf8')) as Record<string, unknown>;

const doc = gateProtocolAsyncApi();
// The document's schemas are JSON Schema; AsyncAPI's own keywords around them are not, so only
// its components are given to the validator (their $refs point within them).
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema({ components: doc.components }, 'gate-protocol');
function errors(schema: string, value: unknown): string[] {
  const validate = ajv.getSchema(`gate-protocol#/components/schemas/${schema}`);
  if (!validate) throw new Error(`no schema ${schema}`);
  return validate(value)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

const TAP = { kind: 'tap' as const, stationId: 'S0312', gateId: 'G04' };
const SCAN = { kind: 'scan' as const, stationId: 'S0312', deviceId: 'C01' };
const SAMPLE: Record<CredentialKind, Record<string, string>> = {
  'ride-code': { code: 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln' },
  card: { cardNo: '3100123456' },
  'day-ticket': { ticketNo: 'D0001' },
  'companion-ticket': { ticketNo: 'C0001' },
  'single-journey': { ticketNo: 'S0001' },
  'offline-code': { code: 'offline-123' },
  'id-card': { idNumber: '11010519491231002X' },
  'relative-code': { code: 'relative-123' },
  'health-code': { code: 'HC-123' },
};
const ALL_KINDS = Object.keys(SAMPLE) as CredentialKind[];

describe('AsyncAPI document of the gate protocol', () => {
  it('is checked in up to date: docs/asyncapi.json is what npm run asyncapi generates', () => {
    const file = JSON.parse(readFileSync(join(ROOT, 'docs', 'asyncapi.json'), 'utf8')) as unknown;
    // On failure: run `npm run asyncapi` and commit docs/asyncapi.json.
    expect(file).toEqual(doc);
  });

  it.each([
    ['tap-request', 'TapRequest'],
    ['reply', 'GateReply'],
    ['command', 'GateCommand'],
    ['command-ack', 'GateCommandAck'],
  ])("accepts the spec's %s example as %s", (name, schema) => {
    expect(errors(schema, example(name))).toEqual([]);
  });

  it("accepts the spec's tap example in the gateway's own parser too", () => {
    const parsed = parseTapRequest(TAP, JSON.stringify(example('tap-request')));
    expect(parsed).toMatchObject({ ok: true, value: { tapId: 'g04-000000123', mode: 'entry' } });
  });

  it('refuses what the spec refuses: a dotted id, an unknown credential, a reply without display', () => {
    const tap = example('tap-request');
    expect(errors('TapRequest', { ...tap, gateId: 'G.04' })).not.toEqual([]);
    expect(errors('TapRequest', { ...tap, tapId: 'short' })).not.toEqual([]);
    expect(errors('TapRequest', { ...tap, mode: 'sideways' })).not.toEqual([]);
    expect(errors('TapRequest', { ...tap, credential: { kind: 'id-card' } })).not.toEqual([]);
    const { display: _display, ...noDisplay } = example('reply');
    expect(errors('GateReply', noDisplay)).not.toEqual([]);
    expect(errors('GateReply', { ...example('reply'), reasons: ['NOT_A_REASON'] })).not.toEqual([]);
    // Receivers ignore fields they do not know; so does the document.
    expect(errors('TapRequest', { ...tap, vendorField: 1 })).toEqual([]);
  });

  it.each(ALL_KINDS)('documents the %s credential exactly where the parser accepts it', (kind) => {
    const credential = { kind, ...SAMPLE[kind] };
    const tap = { ...example('tap-request'), credential };
    const scan = {
      v: 1,
      tapId: 'c01-000000001',
      stationId: 'S0312',
      deviceId: 'C01',
      temperatureC: null,
      credential,
    };
    const atGate = parseTapRequest(TAP, JSON.stringify(tap)).ok;
    const atCheckpoint = parseScanRequest(SCAN, JSON.stringify(scan)).ok;
    expect({ atGate, atCheckpoint }).toEqual({
      atGate: GATE_CREDENTIAL_KINDS.includes(kind),
      atCheckpoint: CHECKPOINT_CREDENTIAL_KINDS.includes(kind),
    });
    expect({ gate: errors('TapRequest', tap), checkpoint: errors('ScanRequest', scan) }).toEqual({
      gate: atGate ? [] : expect.arrayContaining([expect.any(String)]),
      checkpoint: atCheckpoint ? [] : expect.arrayContaining([expect.any(String)]),
    });
  });
});
