import { ErrorCode, NatsError, type Msg, type NatsConnection } from 'nats';
import { TAP_ID_PATTERN, type GateReply } from '../../libs/protocol/src';
import {
  respondToCommands,
  SimCheckpoint,
  SimGate,
  TapUnansweredError,
  type Requester,
} from './gate';

/** SimGate is itself a gate double; this is the smallest thing that answers `request`. */
function fakeNats(answers: Array<'timeout' | 'no-responders' | GateReply>) {
  const calls: Array<{ subject: string; body: Record<string, unknown>; timeout?: number }> = [];
  const nc: Requester = {
    request: async (subject, data, opts) => {
      calls.push({
        subject,
        body: JSON.parse(new TextDecoder().decode(data as Uint8Array)),
        timeout: opts?.timeout,
      });
      const a = answers.shift();
      if (a === undefined || a === 'timeout') throw new NatsError('timeout', ErrorCode.Timeout);
      if (a === 'no-responders') throw new NatsError('503', ErrorCode.NoResponders);
      return { data: new TextEncoder().encode(JSON.stringify(a)) } as Msg;
    },
  };
  return { nc, calls };
}

const open: GateReply = {
  v: 1,
  tapId: 'x',
  outcome: 'open',
  reasons: [],
  display: { zh: '请通行', en: 'Please pass' },
  checkInId: 'c1',
  policyVersion: 'p1',
  policyHash: null,
  decidedAt: '2022-06-01T08:00:00.012+08:00',
};

describe('SimGate', () => {
  it('sends a spec tap request on the gate subject', async () => {
    const { nc, calls } = fakeNats([open]);
    const gate = new SimGate(nc, 'S0312', 'G04', { timeoutMs: 50 });
    const res = await gate.tap({
      mode: 'entry',
      temperatureC: 36.6,
      credential: { kind: 'ride-code', code: 'abc' },
    });
    expect(calls).toHaveLength(1);
    expect(calls[0].subject).toBe('metro.gate.S0312.G04.tap');
    expect(calls[0].timeout).toBe(50);
    expect(calls[0].body).toEqual({
      v: 1,
      tapId: res.tapId,
      stationId: 'S0312',
      gateId: 'G04',
      mode: 'entry',
      temperatureC: 36.6,
      credential: { kind: 'ride-code', code: 'abc' },
    });
    expect(res.tapId).toMatch(TAP_ID_PATTERN);
    expect(res.tapId.startsWith('G04-000000001-')).toBe(true);
    expect(res.reply).toEqual(open);
    expect(res.attempts).toBe(1);
    expect(res.latencyMs).toBeGreaterThanOrEqual(0);
    const second = await new SimGate(fakeNats([open]).nc, 'S0312', 'G04').tap({
      mode: 'exit',
      temperatureC: null,
      credential: { kind: 'card', cardNo: '1' },
    });
    expect(second.tapId).not.toBe(res.tapId);
  });

  it('retries a timed-out tap with the same tapId and body', async () => {
    const { nc, calls } = fakeNats(['timeout', 'no-responders', open]);
    const gate = new SimGate(nc, 'S0312', 'G01', { timeoutMs: 5, retries: 2 });
    const res = await gate.tap({
      mode: 'entry',
      temperatureC: null,
      credential: { kind: 'offline-code', code: 'p' },
    });
    expect(res.attempts).toBe(3);
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => c.body.tapId)).size).toBe(1);
    expect(calls[2].body).toEqual(calls[0].body);
  });

  it('gives up after the retries and keeps a given tapId', async () => {
    const { nc, calls } = fakeNats([]);
    const gate = new SimGate(nc, 'S0312', 'G01', { timeoutMs: 5, retries: 1 });
    const tap = gate.tap({
      tapId: 'G01-000000042-resend',
      mode: 'entry',
      temperatureC: 36.5,
      credential: { kind: 'ride-code', code: 'c' },
    });
    await expect(tap).rejects.toBeInstanceOf(TapUnansweredError);
    expect(calls.map((c) => c.body.tapId)).toEqual([
      'G01-000000042-resend',
      'G01-000000042-resend',
    ]);
  });

  it('does not retry other errors', async () => {
    const nc: Requester = {
      request: async () => Promise.reject(new Error('permissions violation')),
    };
    await expect(
      new SimGate(nc, 'S1', 'G1').tap({
        mode: 'entry',
        temperatureC: 36.5,
        credential: { kind: 'ride-code', code: 'c' },
      }),
    ).rejects.toThrow('permissions violation');
  });
});

describe('SimCheckpoint', () => {
  it('sends a scan with deviceId and no mode', async () => {
    const { nc, calls } = fakeNats([open]);
    await new SimCheckpoint(nc, 'S0312', 'K01').scan({
      temperatureC: 36.4,
      credential: { kind: 'id-card', idNumber: '11010519491231002X' },
    });
    expect(calls[0].subject).toBe('metro.checkpoint.S0312.K01.scan');
    expect(calls[0].body).toEqual({
      v: 1,
      tapId: expect.stringMatching(/^K01-000000001-/),
      stationId: 'S0312',
      deviceId: 'K01',
      temperatureC: 36.4,
      credential: { kind: 'id-card', idNumber: '11010519491231002X' },
    });
  });
});

describe('respondToCommands', () => {
  it('acknowledges open-once with {"v":1,"ok":true} and counts it', () => {
    let callback: ((err: Error | null, msg: Msg) => void) | undefined;
    let subject = '';
    const nc = {
      subscribe: (s: string, opts?: { callback?: (err: Error | null, msg: Msg) => void }) => {
        subject = s;
        callback = opts?.callback;
        return { unsubscribe: () => undefined };
      },
    } as unknown as Pick<NatsConnection, 'subscribe'>;
    const seen: string[] = [];
    const responder = respondToCommands(nc, 'S0312', 'G02', (cmd) => seen.push(cmd.passId));
    const responses: string[] = [];
    const msg = (body: string) =>
      ({
        data: new TextEncoder().encode(body),
        respond: (d: Uint8Array) => responses.push(new TextDecoder().decode(d)),
      }) as unknown as Msg;
    callback?.(
      null,
      msg(JSON.stringify({ v: 1, cmd: 'open-once', passId: 'P1', reason: 'staff-verified' })),
    );
    expect(subject).toBe('metro.gate.S0312.G02.cmd');
    expect(JSON.parse(responses[0])).toEqual({ v: 1, ok: true });
    expect(seen).toEqual(['P1']);
    expect(responder.acknowledged).toBe(1);
  });

  it.each<[string, string]>([
    [
      'a tap reply, as a reply-subject hijack would deliver it',
      JSON.stringify({
        v: 1,
        tapId: 't1',
        outcome: 'open',
        reasons: [],
        display: { zh: '请通行', en: 'Please pass' },
        checkInId: null,
        policyVersion: 'p',
        policyHash: null,
        decidedAt: '2022-06-01T08:00:00.000+08:00',
      }),
    ],
    ['a broadcast', JSON.stringify({ versionId: 'v1', action: 'scheduled' })],
    [
      'another command',
      JSON.stringify({ v: 1, cmd: 'open-always', passId: 'P1', reason: 'staff-verified' }),
    ],
    [
      'open-once without a passId',
      JSON.stringify({ v: 1, cmd: 'open-once', reason: 'staff-verified' }),
    ],
    [
      'open-once with an unknown reason',
      JSON.stringify({ v: 1, cmd: 'open-once', passId: 'P1', reason: 'because' }),
    ],
    [
      'open-once with extra fields',
      JSON.stringify({
        v: 1,
        cmd: 'open-once',
        passId: 'P1',
        reason: 'staff-verified',
        until: 'forever',
      }),
    ],
    [
      'open-once of another version',
      JSON.stringify({ v: 2, cmd: 'open-once', passId: 'P1', reason: 'staff-verified' }),
    ],
    ['not JSON', 'open'],
  ])('opens on nothing but a well-formed open-once: not on %s', (_what, body) => {
    let callback: ((err: Error | null, msg: Msg) => void) | undefined;
    const nc = {
      subscribe: (_s: string, opts?: { callback?: (err: Error | null, msg: Msg) => void }) => {
        callback = opts?.callback;
        return { unsubscribe: () => undefined };
      },
    } as unknown as Pick<NatsConnection, 'subscribe'>;
    const opened: string[] = [];
    const responder = respondToCommands(nc, 'S0312', 'G02', (cmd) => opened.push(cmd.passId));
    const responses: string[] = [];
    callback?.(null, {
      data: new TextEncoder().encode(body),
      respond: (d: Uint8Array) => responses.push(new TextDecoder().decode(d)),
    } as unknown as Msg);
    expect({ opened, acknowledged: responder.acknowledged }).toEqual({
      opened: [],
      acknowledged: 0,
    });
    expect(responses.map((r) => JSON.parse(r) as unknown)).toEqual([{ v: 1, ok: false }]);
  });
});
