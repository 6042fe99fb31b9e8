/**
 * Writes a nats-server config in which every gate and checkpoint scanner has its own user,
 * allowed to publish only on its own subjects, so a device cannot speak for another one:
 *   npx ts-node scripts/nats/gates-conf.ts --out .data/nats/gates.conf \
 *     --gates S0312:G01,S0312:G02 --checkpoints S0312:D01
 * Passwords are random; the device URLs (nats://user:password@host:port) are written next to
 * the config as <out>.credentials.json, readable by the owner only. Then:
 *   npm run services -- --nats-config .data/nats/gates.conf
 * and start the gateway with NATS_URL=nats://gateway:<password>@127.0.0.1:4222.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  EVENTS,
  GATEWAY_INBOX_PREFIX,
  GATEWAY_SERVICE,
  PROBE_SUBJECTS,
  SCAN_SUBJECTS,
  TAP_SUBJECTS,
} from '../../libs/protocol/src/subjects';

import { ID_PATTERN as ID } from '../../libs/protocol/src/patterns';

export interface Device {
  stationId: string;
  /** gateId for gates, deviceId for checkpoint scanners. */
  id: string;
  password: string;
}

export interface NatsAccess {
  gateway: { user: string; password: string };
  authority: { user: string; password: string };
  gates: Device[];
  checkpoints: Device[];
  /**
   * Lets clients without credentials connect as a user that may neither publish nor
   * subscribe: health checks can see the server is up, and nothing more.
   */
  anonymousDenyAll: boolean;
}

/** A device's user name: dots never occur in ids, so the name is unambiguous. */
export const gateUser = (stationId: string, gateId: string): string =>
  `gate.${stationId}.${gateId}`;
export const checkpointUser = (stationId: string, deviceId: string): string =>
  `checkpoint.${stationId}.${deviceId}`;
/** Devices must use this inbox prefix (nats.js `inboxPrefix`): only they can read it. */
export const deviceInbox = (stationId: string, id: string): string => `_INBOX.${stationId}.${id}`;

export const newPassword = (): string => randomBytes(24).toString('base64url');

const list = (subjects: string[]): string =>
  `[${subjects.map((s) => JSON.stringify(s)).join(', ')}]`;

/** A gate may answer a command once, within this long (the gateway waits 2 s for the ack). */
const COMMAND_ACK_WINDOW = '5s';

/** What the gateway publishes: replies to inboxes, gate commands, and its own broadcasts. */
export const GATEWAY_PUBLISHES = [
  '_INBOX.>',
  'metro.gate.*.*.cmd',
  EVENTS.riderRevoked,
  EVENTS.rulesChanged,
  `${EVENTS.stationFeed}.*`,
];
/** The nats micro (Service API) requests for the gateway's own service: ping, info, stats. */
const SERVICE_DISCOVERY = ['$SRV.*', `$SRV.*.${GATEWAY_SERVICE}`, `$SRV.*.${GATEWAY_SERVICE}.*`];

/**
 * What it reads: taps, scans, the broadcasts, the authority's notices, its own inbox, and
 * discovery requests for its service.
 */
export const GATEWAY_SUBSCRIBES = [
  ...SERVICE_DISCOVERY,
  TAP_SUBJECTS,
  PROBE_SUBJECTS,
  SCAN_SUBJECTS,
  EVENTS.riderRevoked,
  EVENTS.rulesChanged,
  `${EVENTS.stationFeed}.*`,
  EVENTS.authorityStatusChanged,
  `${GATEWAY_INBOX_PREFIX}.>`,
];

function user(name: string, password: string, pub: string[], sub: string[], responses = false) {
  const publish = pub.length > 0 ? `{ allow: ${list(pub)} }` : `{ deny: [">"] }`;
  const subscribe = sub.length > 0 ? `{ allow: ${list(sub)} }` : `{ deny: [">"] }`;
  return [
    `    {`,
    `      user: ${JSON.stringify(name)}`,
    `      password: ${JSON.stringify(password)}`,
    `      permissions: {`,
    `        publish: ${publish}`,
    `        subscribe: ${subscribe}`,
    // Lets a device answer the gateway's commands (reply subjects only, once each).
    ...(responses
      ? [`        allow_responses: { max: 1, expires: ${JSON.stringify(COMMAND_ACK_WINDOW)} }`]
      : []),
    `      }`,
    `    }`,
  ].join('\n');
}

export function gatesConfig(a: NatsAccess): string {
  const reserved = GATEWAY_INBOX_PREFIX.split('.')[1];
  for (const d of [...a.gates, ...a.checkpoints]) {
    if (!ID.test(d.stationId) || !ID.test(d.id))
      throw new Error(`not a valid station/device id: ${d.stationId}:${d.id}`);
    // Its inbox would be the gateway's.
    if (d.stationId === reserved) throw new Error(`station id "${reserved}" is reserved`);
  }
  const users = [
    user(a.gateway.user, a.gateway.password, GATEWAY_PUBLISHES, GATEWAY_SUBSCRIBES),
    user(a.authority.user, a.authority.password, [EVENTS.authorityStatusChanged], []),
    ...a.gates.map((g) =>
      user(
        gateUser(g.stationId, g.id),
        g.password,
        [`metro.gate.${g.stationId}.${g.id}.tap`],
        [`${deviceInbox(g.stationId, g.id)}.>`, `metro.gate.${g.stationId}.${g.id}.cmd`],
        true,
      ),
    ),
    ...a.checkpoints.map((c) =>
      user(
        checkpointUser(c.stationId, c.id),
        c.password,
        [`metro.checkpoint.${c.stationId}.${c.id}.scan`],
        [`${deviceInbox(c.stationId, c.id)}.>`],
      ),
    ),
  ];
  if (a.anonymousDenyAll) users.push(user('anonymous', newPassword(), [], []));
  return [
    '# Generated by scripts/nats/gates-conf.ts: one user per gate and checkpoint scanner.',
    '# Each device may publish only on its own subject and read only its own inbox and commands.',
    ...(a.anonymousDenyAll ? ['no_auth_user: "anonymous"'] : []),
    'authorization {',
    '  users = [',
    users.join('\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

function devices(arg: string | undefined): Device[] {
  if (!arg) return [];
  return arg.split(',').map((pair) => {
    const [stationId, id] = pair.split(':');
    return { stationId, id, password: newPassword() };
  });
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      gates: { type: 'string' },
      checkpoints: { type: 'string' },
      host: { type: 'string' },
      'anonymous-deny-all': { type: 'boolean' },
    },
    strict: true,
  });
  const opt = (name: 'out' | 'gates' | 'checkpoints' | 'host'): string | undefined => values[name];
  const out = opt('out');
  if (!out) throw new Error('usage: gates-conf --out FILE --gates S:G,... [--checkpoints S:D,...]');
  const access: NatsAccess = {
    gateway: { user: 'gateway', password: newPassword() },
    authority: { user: 'authority', password: newPassword() },
    gates: devices(opt('gates')),
    checkpoints: devices(opt('checkpoints')),
    anonymousDenyAll: values['anonymous-deny-all'] === true,
  };
  const host = opt('host') ?? '127.0.0.1:4222';
  const url = (u: string, p: string) => `nats://${encodeURIComponent(u)}:${p}@${host}`;
  writeFileSync(out, gatesConfig(access), { mode: 0o600 });
  const credentials = {
    gateway: url(access.gateway.user, access.gateway.password),
    authority: url(access.authority.user, access.authority.password),
    gates: access.gates.map((g) => ({
      stationId: g.stationId,
      gateId: g.id,
      url: url(gateUser(g.stationId, g.id), g.password),
      inboxPrefix: deviceInbox(g.stationId, g.id),
    })),
    checkpoints: access.checkpoints.map((c) => ({
      stationId: c.stationId,
      deviceId: c.id,
      url: url(checkpointUser(c.stationId, c.id), c.password),
      inboxPrefix: deviceInbox(c.stationId, c.id),
    })),
  };
  writeFileSync(`${out}.credentials.json`, `${JSON.stringify(credentials, null, 2)}\n`, {
    mode: 0o600,
  });
  process.stdout.write(`wrote ${out} and ${out}.credentials.json\n`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`gates-conf: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
