import { GATEWAY_INBOX_PREFIX } from '@app/protocol';
import { inboxReplyPolicy } from './gate.transport';

describe('inboxReplyPolicy: where a gate reply may be published', () => {
  const tap = 'metro.gate.S2.G01.tap';
  const scan = 'metro.checkpoint.S2.D01.scan';
  const probe = 'metro.probe.S2.G01.tap';

  it.each<[string, string, string, boolean, boolean]>([
    // request subject, reply subject, why, any-inbox, device-inbox
    [tap, '_INBOX.abc.1', 'an inbox', true, false],
    [tap, '_INBOX.S2.G01.abc', "the gate's own inbox", true, true],
    [tap, '_INBOX.S2.G07.abc', "another gate's inbox", true, false],
    [tap, '_INBOX.S2.G01', 'the bare device prefix (not an inbox under it)', true, false],
    [scan, '_INBOX.S2.D01.x', "the scanner's own inbox", true, true],
    [tap, 'metro.gate.S2.G07.cmd', "a gate's command subject", false, false],
    [tap, 'gateway.events.rules-changed', 'a gateway broadcast', false, false],
    [tap, `${GATEWAY_INBOX_PREFIX}.abc.1`, "the gateway's own inbox", false, false],
    [tap, '_INBOXX.abc', 'a look-alike', false, false],
    [probe, '_INBOX.ops.1', "an operator's inbox, for a probe", true, true],
  ])('%s replying to %s (%s)', (subject, reply, _why, any, device) => {
    expect([
      inboxReplyPolicy('any-inbox', GATEWAY_INBOX_PREFIX)(subject, reply),
      inboxReplyPolicy('device-inbox', GATEWAY_INBOX_PREFIX)(subject, reply),
    ]).toEqual([any, device]);
  });
});
