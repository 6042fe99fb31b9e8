import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import type { NatsConnection, Subscription } from 'nats';
import request from 'supertest';
import { formatShanghai } from '@app/protocol';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { asRider, authorizeAs, person, registerAs, rideCode } from '../support/factories';
import {
  natsClient,
  startAuthority,
  startTestGateway,
  tap,
  testDatabaseUrl,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

const PILOT = 'S0312';
const HOUR = 3_600_000;

/** The whole test database as SQL text, by the real pg_dump. */
function pgDump(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'pg_dump',
      ['--no-owner', '--lock-wait-timeout=10000', '--dbname', url],
      { maxBuffer: 1024 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT')
          reject(
            new Error(
              'pg_dump is not installed, so the database cannot be searched for canaries: ' +
                'install the PostgreSQL client tools (Debian: apt-get install postgresql-client)',
            ),
          );
        else if (err) reject(new Error(`pg_dump failed: ${stderr || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

/**
 * Rides taps whose health facts carry values found nowhere else, then looks for them in
 * everything the gateway keeps or says: the database, its logs, and every NATS message that
 * is not a reply.
 */
describe('privacy canaries: no health value is stored, logged or broadcast', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;
  let monitor: NatsConnection;
  let everything: Subscription;
  const seen: { subject: string; text: string }[] = [];

  // A sampling instant with an unusual minute, second and millisecond, a few hours ago.
  const hourAgo = formatShanghai(Date.now() - 5 * HOUR).slice(0, 13);
  const sampledAt = Date.parse(`${hourAgo}:17:43.219+08:00`);
  const temperature = 36.4321;
  const canaryName = `CANARY-${randomBytes(6).toString('hex')}`;

  const utc = new Date(sampledAt).toISOString(); // 2026-05-01T19:17:43.219Z
  const shanghai = formatShanghai(sampledAt); // 2026-05-02T03:17:43.219+08:00
  const canaries = [
    { what: 'temperature', text: String(temperature) },
    { what: 'sampling instant (Shanghai)', text: shanghai.slice(0, 23) },
    {
      what: 'sampling instant (Shanghai, SQL form)',
      text: shanghai.slice(0, 23).replace('T', ' '),
    },
    { what: 'sampling instant (UTC)', text: utc.slice(0, 23) },
    { what: 'sampling instant (UTC, SQL form)', text: utc.slice(0, 23).replace('T', ' ') },
    { what: 'sampling instant (epoch ms)', text: String(sampledAt) },
    { what: 'sampling instant (epoch s)', text: (sampledAt / 1000).toFixed(3) },
    { what: 'name held by the health authority', text: canaryName },
  ];
  let idNumber = '';
  let checkInId = '';

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url);
    monitor = await natsClient();
    everything = monitor.subscribe('>', {
      callback: (_e, m) =>
        seen.push({ subject: m.subject, text: new TextDecoder().decode(m.data) }),
    });
    await monitor.flush();
    nc = await natsClient();
  });

  afterAll(async () => {
    everything?.unsubscribe();
    await monitor?.drain();
    await nc?.drain();
    await gw?.close();
    await authority?.close();
  });

  it('rides with canary health facts: the gate opens, the rider sees the status', async () => {
    idNumber = await person(authority.url, {
      name: canaryName,
      colour: 'green',
      negativeTestsAt: [sampledAt],
    });
    const riderId = randomUUID();
    const auth = await asRider(riderId);
    await registerAs(gw.url, riderId, idNumber);
    await authorizeAs(gw.url, riderId, idNumber);

    // The display path handles the facts too; they reach the rider and nowhere else.
    const screen = await request(gw.url).get(`/riders/${riderId}/status`).set(auth).expect(200);
    expect((screen.body as { latestNegativeSampledAt: string }).latestNegativeSampledAt).toBe(
      shanghai,
    );

    const gateId = uniqueId('G');
    const opened = await tap(nc, {
      stationId: PILOT,
      gateId,
      temperatureC: temperature,
      credential: { kind: 'ride-code', code: await rideCode(gw.url, riderId) },
    });
    expect(opened.outcome).toBe('open');
    checkInId = opened.checkInId ?? '';
    const exit = await tap(nc, {
      stationId: PILOT,
      gateId,
      mode: 'exit',
      temperatureC: temperature,
      credential: { kind: 'ride-code', code: await rideCode(gw.url, riderId) },
    });
    expect(exit.outcome).toBe('open');
    // A fever: the decision uses the reading and still keeps it nowhere.
    const fever = await tap(nc, {
      stationId: PILOT,
      gateId,
      temperatureC: 37.4321,
      credential: { kind: 'ride-code', code: await rideCode(gw.url, riderId) },
    });
    expect(fever.reasons).toEqual(['TEMPERATURE_HIGH']);
    canaries.push({ what: 'fever reading', text: '37.4321' });
    // Whatever the gateway published before now has left it, and reached the monitor: the
    // server delivers it before the PONG of a PING sent after it.
    await gw.nats.flush();
    await monitor.flush();
  });

  it('finds no canary and no clear ID number in pg_dump of the database', async () => {
    const dump = await pgDump(testDatabaseUrl());
    // It is the right database, and the ride's check-in is in it.
    expect(dump).toContain('CREATE TABLE public.check_ins');
    expect(checkInId).not.toBe('');
    expect(dump).toContain(checkInId);
    const hits = [...canaries, { what: 'ID number', text: idNumber }].filter((c) =>
      dump.includes(c.text),
    );
    expect(hits).toEqual([]);
  });

  it('finds no canary and no clear ID number in the gateway logs', () => {
    expect(gw.logs.text).toContain('tap decided'); // the capture works
    const hits = [...canaries, { what: 'ID number', text: idNumber }].filter((c) =>
      gw.logs.text.includes(c.text),
    );
    expect(hits).toEqual([]);
  });

  it('finds no canary on NATS except in the gate requests themselves and the replies', () => {
    const gateRequests = seen.filter((m) => /^metro\.gate\.[^.]+\.[^.]+\.tap$/.test(m.subject));
    // The monitor did see the traffic: the gates' own readings are in their requests.
    expect(gateRequests.some((m) => m.text.includes(String(temperature)))).toBe(true);
    const others = seen.filter(
      (m) => !m.subject.startsWith('_INBOX.') && !gateRequests.includes(m),
    );
    const hits = others.flatMap((m) =>
      [...canaries, { what: 'ID number', text: idNumber }]
        .filter((c) => m.text.includes(c.text))
        .map((c) => ({ subject: m.subject, what: c.what })),
    );
    expect(hits).toEqual([]);
  });
});
