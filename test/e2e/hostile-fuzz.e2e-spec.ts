import fc from 'fast-check';
import type { NatsConnection } from 'nats';
import { REASON_OUTCOME, type GateReply } from '@app/protocol';
import {
  natsClient,
  startAuthority,
  startTestGateway,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';
import type { RunningAuthority } from '../../apps/health-authority/src/app';

const TOTAL = Number(process.env.FUZZ_MESSAGES ?? 100_000);
const IN_FLIGHT = 256;
const WARM_UP = 20_000;
const DEVICE = '__device__';
const enc = new TextEncoder();
const dec = new TextDecoder();

interface Probe {
  subject: string;
  body: Uint8Array;
  /** The spec says this one must be MALFORMED_REQUEST (e.g. bytes that are not UTF-8 JSON). */
  malformed: boolean;
}

/** A valid-looking token, or one NATS carries but the protocol forbids. */
const token = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{33,40}$/) },
  { weight: 1, arbitrary: fc.constantFrom('é站', '%00', '$SYS', "S'1;--", '..', '0x7f\u0001') },
);

const anyJson = fc.oneof(
  fc.anything({ maxDepth: 4 }),
  fc.string(),
  fc.double(),
  fc.constant(null),
  fc.array(fc.integer()),
);

/** NATS subject tokens cannot hold separators, wildcards, whitespace or control characters. */
const subjectSafe = (t: string): string =>
  [...t].filter((c) => c > ' ' && c !== '\u007f' && !'.*>'.includes(c)).join('') || 'G1';

function deep(depth: number): string {
  return depth % 2 === 0
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Fields of a tap or scan body, each either right or mutated into something hostile. */
function nearValid(kind: 'tap' | 'scan', station: string, device: string) {
  const credential = fc.oneof(
    fc.record({ kind: fc.constant('card'), cardNo: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) }),
    fc.record({
      kind: fc.constantFrom('day-ticket', 'single-journey', 'companion-ticket'),
      ticketNo: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    }),
    fc.record({
      kind: fc.constantFrom('ride-code', 'offline-code', 'relative-code'),
      code: fc.string({ maxLength: 3000 }),
    }),
    fc.record({ kind: fc.constant('id-card'), idNumber: fc.stringMatching(/^[0-9]{17}[0-9X]$/) }),
    fc.record({ kind: fc.string(), code: anyJson }),
    anyJson,
  );
  const field = <T>(good: fc.Arbitrary<T>) =>
    fc.oneof(
      { weight: 16, arbitrary: good },
      { weight: 1, arbitrary: anyJson },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
  return fc.record({
    v: field(fc.constant(1)),
    tapId: field(
      fc.oneof(
        { weight: 20, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/) },
        { weight: 1, arbitrary: fc.constant('x'.repeat(20_000)) },
      ),
    ),
    stationId: field(
      fc.oneof({ weight: 9, arbitrary: fc.constant(station) }, { weight: 1, arbitrary: token }),
    ),
    [kind === 'tap' ? 'gateId' : 'deviceId']: field(
      fc.oneof({ weight: 9, arbitrary: fc.constant(device) }, { weight: 1, arbitrary: token }),
    ),
    mode: field(fc.constantFrom('entry', 'exit')),
    temperatureC: field(
      fc.oneof(fc.double({ min: 30, max: 45, noNaN: true }), fc.constant(null), fc.double()),
    ),
    credential: field(credential),
    extra: fc.option(fc.oneof(anyJson, fc.constant(deep(500))), { nil: undefined }),
  });
}

function probes(station: string): fc.Arbitrary<Probe> {
  const subjectOf = (kind: 'tap' | 'scan', device: string) =>
    kind === 'tap'
      ? `metro.gate.${station}.${device}.tap`
      : `metro.checkpoint.${station}.${device}.scan`;
  const kind = fc.constantFrom<'tap' | 'scan'>('tap', 'scan');
  // Arbitraries are built once; the device token is filled in per sample (chain would rebuild them).
  const tapBody = nearValid('tap', station, DEVICE);
  const scanBody = nearValid('scan', station, DEVICE);
  const valid = fc
    .tuple(kind, fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), tapBody, scanBody)
    .map(([k, device, tb, sb]) => {
      const body: Record<string, unknown> = { ...(k === 'tap' ? tb : sb) };
      for (const f of ['gateId', 'deviceId']) if (body[f] === DEVICE) body[f] = device;
      return {
        subject: subjectOf(k, device),
        body: enc.encode(JSON.stringify(body)),
        malformed: false,
      };
    });
  const bytes = fc.tuple(kind, fc.uint8Array({ maxLength: 1024 })).map(([k, b]) => ({
    subject: subjectOf(k, 'G1'),
    // A lone continuation byte up front: never UTF-8, never JSON.
    body: Uint8Array.from([0x80, ...b]),
    malformed: true,
  }));
  const json = fc.tuple(kind, anyJson).map(([k, j]) => ({
    subject: subjectOf(k, 'G1'),
    body: enc.encode(JSON.stringify(j) ?? 'undefined'),
    malformed: true,
  }));
  const hostileText = fc
    .tuple(
      kind,
      fc.constantFrom(
        deep(100_000),
        deep(2_001),
        'x'.repeat(900_000),
        '{"v":1,"tapId":"' + 'A'.repeat(100_000) + '"}',
        '',
        '\u0000',
        '{"__proto__":{"v":1}}',
        '{"v":1e400}',
      ),
    )
    .map(([k, text]) => ({
      subject: subjectOf(k, 'G1'),
      body: enc.encode(text),
      malformed: true,
    }));
  // The body names another station, another gate/device, or both, than the subject it came on.
  // Each on its own: a probe that always mismatched the station could never catch a gateway
  // that stopped comparing the gate. The body's ids are valid, so the disagreement alone makes
  // the request malformed.
  const validId = fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/);
  const disagreeing = fc
    .tuple(kind, fc.constantFrom('station', 'device', 'both'), validId, validId)
    .map(([k, which, subjectDevice, other]) => {
      const bodyDevice =
        other === subjectDevice ? `${other.slice(0, 31)}${other.endsWith('x') ? 'y' : 'x'}` : other;
      return {
        subject: subjectOf(k, subjectDevice),
        body: enc.encode(
          JSON.stringify({
            v: 1,
            tapId: 'disagree-0001',
            stationId: which === 'device' ? station : `${station}x`,
            [k === 'tap' ? 'gateId' : 'deviceId']: which === 'station' ? subjectDevice : bodyDevice,
            mode: 'entry',
            temperatureC: 36.5,
            credential:
              k === 'tap' ? { kind: 'card', cardNo: 'C1' } : { kind: 'offline-code', code: 'X' },
          }),
        ),
        malformed: true,
      };
    });
  // Subject tokens the protocol forbids (too long, not ASCII, NATS-special) under a body that
  // names gate G1: malformed unless the subject's token is G1 itself.
  const foreignSubject = fc.tuple(kind, token).map(([k, t]) => ({
    subject: subjectOf(k, subjectSafe(t)),
    body: enc.encode(
      JSON.stringify({
        v: 1,
        tapId: 'subject-0001',
        stationId: station,
        gateId: 'G1',
        deviceId: 'G1',
        mode: 'entry',
        temperatureC: 36.5,
        credential:
          k === 'tap' ? { kind: 'card', cardNo: 'C1' } : { kind: 'offline-code', code: 'X' },
      }),
    ),
    malformed: subjectSafe(t) !== 'G1',
  }));
  return fc.oneof(
    // Bodies near the 1 MB NATS limit are rare: they test parsing, not the loopback's bandwidth.
    { weight: 40, arbitrary: valid },
    { weight: 8, arbitrary: bytes },
    { weight: 8, arbitrary: json },
    { weight: 1, arbitrary: hostileText },
    { weight: 8, arbitrary: disagreeing },
    { weight: 4, arbitrary: foreignSubject },
  );
}

/** A spec-valid reply: the reason table's outcome, display in both languages, the offset clock. */
function problemWith(raw: Uint8Array, p: Probe): string | null {
  let r: GateReply;
  try {
    r = JSON.parse(dec.decode(raw)) as GateReply;
  } catch {
    return 'reply is not JSON';
  }
  if (r.v !== 1) return 'v is not 1';
  if (!['open', 'see-staff', 'deny'].includes(r.outcome)) return `outcome ${String(r.outcome)}`;
  if (!Array.isArray(r.reasons)) return 'reasons is not an array';
  for (const reason of r.reasons) {
    if (!(reason in REASON_OUTCOME)) return `unknown reason ${String(reason)}`;
  }
  if (r.outcome === 'open' && r.reasons.length > 0) return 'open with reasons';
  if (r.outcome !== 'open' && r.reasons.length === 0) return `${r.outcome} without a reason`;
  if (r.reasons.includes('MALFORMED_REQUEST') && r.outcome !== 'deny')
    return 'malformed but not deny';
  if (p.malformed && !r.reasons.includes('MALFORMED_REQUEST'))
    return 'hostile body was not MALFORMED_REQUEST';
  if (
    typeof r.display?.zh !== 'string' ||
    !r.display.zh ||
    typeof r.display?.en !== 'string' ||
    !r.display.en
  )
    return 'display is missing';
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/.test(r.decidedAt)) return 'decidedAt';
  if (r.tapId !== undefined && !/^[A-Za-z0-9_-]{8,64}$/.test(r.tapId)) return 'tapId echoes junk';
  return null;
}

describe('hostile input: a fuzzer on the gate and checkpoint subjects', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url);
    nc = await natsClient();
  });

  afterAll(async () => {
    await nc.drain();
    await gw.close();
    await authority.close();
  });

  /** Sends every probe with at most IN_FLIGHT outstanding; returns the problems found. */
  async function fire(list: Probe[]): Promise<{ problems: string[]; answered: number }> {
    const problems: string[] = [];
    let next = 0;
    let answered = 0;
    const worker = async () => {
      while (next < list.length) {
        const p = list[next++];
        try {
          const m = await nc.request(p.subject, p.body, { timeout: 20_000 });
          answered++;
          const problem = problemWith(m.data, p);
          if (problem && problems.length < 20)
            problems.push(`${problem}: ${p.subject} ${dec.decode(p.body.slice(0, 160))}`);
        } catch (e) {
          if (problems.length < 20)
            problems.push(`no answer (${(e as Error).message}) on ${p.subject}`);
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    // The in-memory log capture is the test's, not the gateway's: keep it from growing.
    gw.logs.lines.splice(0);
    return { problems, answered };
  }

  it(`answers ${TOTAL} arbitrary and near-valid messages with spec-valid replies, in flat memory`, async () => {
    const station = uniqueId('F').slice(0, 12);
    const arb = probes(station);
    const chunk = 10_000;
    let sent = 0;
    let answered = 0;
    const problems: string[] = [];
    let before: NodeJS.MemoryUsage | null = null;
    let seed = 7;
    while (sent < TOTAL) {
      const n = Math.min(chunk, TOTAL - sent);
      const list = fc.sample(arb, { numRuns: n, seed: seed++ });
      const r = await fire(list);
      sent += n;
      answered += r.answered;
      problems.push(...r.problems);
      if (sent >= Math.min(WARM_UP, TOTAL) && before === null) before = process.memoryUsage();
    }
    const after = process.memoryUsage();
    const mb = (x: number) => Math.round(x / 1_048_576);
    const heapGrowth = mb(after.heapUsed - (before ?? after).heapUsed);
    process.stdout.write(
      `[hostile] ${sent} messages, ${answered} answered; heap ${mb((before ?? after).heapUsed)} -> ` +
        `${mb(after.heapUsed)} MB, rss ${mb((before ?? after).rss)} -> ${mb(after.rss)} MB\n`,
    );
    expect(problems.slice(0, 5)).toEqual([]);
    expect(answered).toBe(sent);
    // The gateway remembers recent replies (bounded at 100k entries): a few tens of MB at most.
    expect(heapGrowth).toBeLessThan(150);
    // Still deciding normally afterwards.
    const ok = await nc.request(
      `metro.gate.${station}.G1.tap`,
      enc.encode(
        JSON.stringify({
          v: 1,
          tapId: uniqueId('after'),
          stationId: station,
          gateId: 'G1',
          mode: 'entry',
          temperatureC: 36.5,
          credential: { kind: 'offline-code', code: 'X' },
        }),
      ),
      { timeout: 5_000 },
    );
    expect(JSON.parse(dec.decode(ok.data))).toMatchObject({
      outcome: 'see-staff',
      reasons: ['OFFLINE_CODE_NEEDS_STAFF'],
    });
  }, 600_000);
});
