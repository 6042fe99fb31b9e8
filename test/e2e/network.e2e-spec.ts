import request from 'supertest';
import type { GateReply } from '@app/protocol';
import { healthy, rideCode, rider } from '../support/factories';
import {
  bearer,
  startStack,
  startTestGateway,
  tap,
  uniqueId,
  type GatewayUnderTest,
  type TestStack,
} from '../support/stack';

/** The operator's network over HTTP, and what the gates see of it over raw NATS at once. */
describe('stations, lines and checkpoint devices (operator)', () => {
  let stack: TestStack;
  let second: GatewayUnderTest;
  const operatorId = uniqueId('op');
  const asOperator = () => bearer({ sub: operatorId, role: 'operator' });
  const api = () => request(stack.gw.url);

  beforeAll(async () => {
    stack = await startStack();
    second = await startTestGateway(stack.authority.url);
  });

  afterAll(async () => {
    await second?.close();
    await stack.close();
  });

  const rideTap = async (stationId: string, riderId: string): Promise<GateReply> =>
    tap(stack.nc, {
      stationId,
      gateId: uniqueId('G'),
      credential: { kind: 'ride-code', code: await rideCode(stack.gw.url, riderId) },
    });
  const audit = async () =>
    (
      await stack.db.query<{ action: string; subject: string; before: unknown; after: unknown }>(
        'SELECT action, subject, before, after FROM network_audit WHERE actor = $1 ORDER BY id',
        [operatorId],
      )
    ).rows;
  /** Waits until the other instance's in-memory copy shows what `check` expects. */
  const onSecond = async (
    stationId: string,
    check: (t: { recorded: boolean; lines: string[] }) => boolean,
  ) => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const t = await request(second.url)
        .get(`/rules/stations/${stationId}/timeline`)
        .set(await asOperator())
        .expect(200);
      if (check(t.body)) return t.body;
      if (Date.now() > deadline)
        throw new Error(`second instance still shows ${JSON.stringify(t.body)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('lists the seeded network: every line a station names is a line of its own', async () => {
    const lines = await api()
      .get('/network/lines')
      .set(await asOperator())
      .expect(200);
    expect(lines.body).toEqual(
      expect.arrayContaining([
        { id: '3', nameZh: '3号线', nameEn: 'Line 3' },
        { id: '16', nameZh: '16号线', nameEn: 'Line 16' },
      ]),
    );
    const stations = await api()
      .get('/network/stations')
      .set(await asOperator())
      .expect(200);
    expect(stations.body).toEqual(
      expect.arrayContaining([
        { id: 'S0312', nameZh: '中山公园', nameEn: 'Zhongshan Park', lines: ['2', '3', '4'] },
      ]),
    );
  });

  it('a tap at a station with no record: network-wide rules, and the operator sees it counted', async () => {
    const unknown = uniqueId('SX');
    const r = await rider(stack.gw.url, stack.authority.url, healthy(Date.now()));
    const first = await rideTap(unknown, r.riderId);
    expect(first).toMatchObject({
      outcome: 'see-staff',
      reasons: ['ONE_CODE_NOT_ENABLED'],
      policyVersion: 'rv-20220601-network',
    });
    await rideTap(unknown, r.riderId);
    // Each instance lists a new one at once and adds further counts every few seconds.
    const listed = async () =>
      (
        await api()
          .get('/network/stations/unrecorded')
          .set(await asOperator())
          .expect(200)
      ).body as { stationId: string; taps: number }[];
    const deadline = Date.now() + 8_000;
    let seen = await listed();
    while (seen.find((s) => s.stationId === unknown)?.taps !== 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      seen = await listed();
    }
    expect(seen).toContainEqual({
      stationId: unknown,
      firstSeen: expect.stringMatching(/\+08:00$/),
      lastSeen: expect.stringMatching(/\+08:00$/),
      taps: 2,
    });
    // The queue group sends each tap to either instance; the one that saw it first logs it.
    expect(stack.gw.logs.text + second.logs.text).toContain(unknown);
  });

  it('creates a station on a pilot line: the next tap there, on any instance, is under the line’s rules', async () => {
    const id = uniqueId('SN');
    const r = await rider(stack.gw.url, stack.authority.url, healthy(Date.now()));
    expect((await rideTap(id, r.riderId)).reasons).toEqual(['ONE_CODE_NOT_ENABLED']);

    const refused = await api()
      .post('/network/stations')
      .set(await asOperator())
      .send({ id, nameZh: '新站', nameEn: 'New Station', lines: ['3', 'no-such-line'] })
      .expect(400);
    expect(refused.body).toEqual({
      code: 'NETWORK_REFUSED',
      message: 'unknown line(s): no-such-line: create the line first',
    });
    const created = await api()
      .post('/network/stations')
      .set(await asOperator())
      .send({ id, nameZh: '新站', nameEn: 'New Station', lines: ['3'] })
      .expect(201);
    expect(created.body).toEqual({ id, nameZh: '新站', nameEn: 'New Station', lines: ['3'] });

    // This instance answered the operator after reloading; the other hears the broadcast.
    const opened = await rideTap(id, r.riderId);
    expect(opened).toMatchObject({ outcome: 'open', policyVersion: 'rv-20220601-pilot' });
    expect(await onSecond(id, (t) => t.recorded)).toMatchObject({ recorded: true, lines: ['3'] });
    const unrecorded = await api()
      .get('/network/stations/unrecorded')
      .set(await asOperator());
    expect(unrecorded.body.map((s: { stationId: string }) => s.stationId)).not.toContain(id);

    await api()
      .post('/network/stations')
      .set(await asOperator())
      .send({ id, nameZh: '新站', nameEn: 'New Station', lines: [] })
      .expect(409);
    expect(await audit()).toEqual([
      {
        action: 'station-create',
        subject: id,
        before: { unrecorded: expect.objectContaining({ stationId: id, taps: 1 }) },
        after: { id, nameZh: '新站', nameEn: 'New Station', lines: ['3'] },
      },
    ]);
  });

  it('renames a station and assigns it to other lines, audited, effective for the next tap', async () => {
    const id = uniqueId('SR');
    await api()
      .post('/network/stations')
      .set(await asOperator())
      .send({ id, nameZh: '旧名', nameEn: 'Old Name', lines: ['10'] })
      .expect(201);
    const r = await rider(stack.gw.url, stack.authority.url, healthy(Date.now()));
    expect((await rideTap(id, r.riderId)).outcome).toBe('open');
    const moved = await api()
      .patch(`/network/stations/${id}`)
      .set(await asOperator())
      .send({ nameEn: 'New Name', lines: ['1', '2'] })
      .expect(200);
    expect(moved.body).toEqual({ id, nameZh: '旧名', nameEn: 'New Name', lines: ['1', '2'] });
    const other = await rider(stack.gw.url, stack.authority.url, healthy(Date.now()));
    expect(await rideTap(id, other.riderId)).toMatchObject({
      outcome: 'see-staff',
      reasons: ['ONE_CODE_NOT_ENABLED'],
      policyVersion: 'rv-20220601-network',
    });
    await onSecond(id, (t) => t.lines.join() === '1,2');
    const rows = await audit();
    expect(rows[rows.length - 1]).toEqual({
      action: 'station-update',
      subject: id,
      before: { id, nameZh: '旧名', nameEn: 'Old Name', lines: ['10'] },
      after: { id, nameZh: '旧名', nameEn: 'New Name', lines: ['1', '2'] },
    });
    await api()
      .patch(`/network/stations/${uniqueId('SQ')}`)
      .set(await asOperator())
      .send({ nameEn: 'x' })
      .expect(404);
  });

  it('creates and renames lines; a new line can scope a rule version before any station is on it', async () => {
    const line = uniqueId('L').slice(0, 20);
    await api()
      .post('/network/lines')
      .set(await asOperator())
      .send({ id: line, nameZh: '新线', nameEn: 'New Line' })
      .expect(201);
    await api()
      .post('/network/lines')
      .set(await asOperator())
      .send({ id: line, nameZh: '新线', nameEn: 'New Line' })
      .expect(409);
    const renamed = await api()
      .patch(`/network/lines/${line}`)
      .set(await asOperator())
      .send({ nameEn: 'Airport Link' })
      .expect(200);
    expect(renamed.body).toEqual({ id: line, nameZh: '新线', nameEn: 'Airport Link' });
    await api()
      .post('/rules/versions')
      .set(await asOperator())
      .send({
        effectiveFrom: new Date(Date.now() + 3_600_000).toISOString(),
        scope: { kind: 'lines', lines: [line] },
        testWindowHours: 24,
        oneCodeEnabled: true,
        reason: 'a line that has no station yet',
      })
      .expect(201);
    expect((await audit()).slice(-2).map((a) => a.action)).toEqual(['line-create', 'line-rename']);
  });

  it('marks checkpoint devices as digital sentinels, audited; an unknown station must be created first', async () => {
    const deviceId = uniqueId('D');
    const set = await api()
      .put(`/network/stations/S0105/devices/${deviceId}`)
      .set(await asOperator())
      .send({ sentinel: true })
      .expect(200);
    expect(set.body).toEqual({
      stationId: 'S0105',
      deviceId,
      sentinel: true,
      updatedBy: operatorId,
      updatedAt: expect.stringMatching(/\+08:00$/),
    });
    await api()
      .put(`/network/stations/S0105/devices/${deviceId}`)
      .set(await asOperator())
      .send({ sentinel: false })
      .expect(200);
    const listed = await api()
      .get('/network/devices?stationId=S0105')
      .set(await asOperator())
      .expect(200);
    expect(listed.body).toContainEqual(expect.objectContaining({ deviceId, sentinel: false }));
    await api()
      .put(`/network/stations/${uniqueId('SU')}/devices/${deviceId}`)
      .set(await asOperator())
      .send({ sentinel: true })
      .expect(404);
    await api()
      .put(`/network/stations/S0105/devices/${deviceId}`)
      .set(await asOperator())
      .send({ sentinel: 'yes' })
      .expect(400);
    const rows = (await audit()).filter((a) => a.subject === `S0105/${deviceId}`);
    expect(
      rows.map((a) => [a.before === null, (a.after as { sentinel: boolean }).sentinel]),
    ).toEqual([
      [true, true],
      [false, false],
    ]);
  });

  it('is the operator’s alone, and its audit is append-only', async () => {
    for (const role of ['staff', 'rider', 'authority'] as const) {
      const who = await bearer({ sub: 'x', role, station: 'S0312' });
      await api().get('/network/stations').set(who).expect(403);
      await api()
        .post('/network/lines')
        .set(who)
        .send({ id: 'Z9', nameZh: 'x', nameEn: 'x' })
        .expect(403);
    }
    await api().get('/network/stations').expect(401);
    await expect(stack.db.query(`DELETE FROM network_audit`)).rejects.toThrow(/append-only/);
    await expect(stack.db.query(`UPDATE network_audit SET actor = 'x'`)).rejects.toThrow(
      /append-only/,
    );
    const trail = await api()
      .get('/network/audit?limit=5')
      .set(await asOperator())
      .expect(200);
    expect(trail.body.length).toBeGreaterThan(0);
  });
});
