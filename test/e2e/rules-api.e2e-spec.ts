import request from 'supertest';
import { Client } from 'pg';
import { ruleVersionHash } from '@app/persistence';
import { formatShanghai } from '@app/protocol';
import { fixedClock } from '../../apps/gateway/src/common/clock';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import {
  bearer,
  startAuthority,
  startTestGateway,
  testDatabaseUrl,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

const HOUR = 3_600_000;
const OPERATOR = { sub: 'op-zhang', role: 'operator' as const };

/** Versions are never deleted: cancel what a test left scheduled, so no gateway loads it. */
async function cancelLeftovers(
  db: Client,
  url: string,
  auth: { authorization: string },
  stations: string[],
): Promise<void> {
  const left = await db.query<{ id: string }>(
    `SELECT id FROM rule_versions WHERE cancelled_at IS NULL AND scope->'stations' ?| $1`,
    [stations],
  );
  for (const { id } of left.rows) await request(url).delete(`/rules/versions/${id}`).set(auth);
}

/** The operator API over HTTP: schedule, refuse, cancel, list, preview, audit. */
describe('operator rules API', () => {
  // Frozen a little after the real instant, so "the past" is decided by the gateway clock alone.
  const T0 = Math.ceil(Date.now() / HOUR) * HOUR + HOUR;
  const clock = fixedClock(T0);
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let db: Client;
  let asOperator: { authorization: string };
  /** A recorded station on a line of its own, so versions here touch no other test. */
  let station: string;
  let line: string;
  const created: string[] = [];

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url, { clock });
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    asOperator = await bearer(OPERATOR);
  });

  beforeEach(async () => {
    clock.set(T0);
    station = uniqueId('S');
    created.push(station);
    line = uniqueId('L');
    await db.query(
      `INSERT INTO stations (id, name_zh, name_en, lines) VALUES ($1, '测试站', 'Test station', $2)`,
      [station, [line]],
    );
  });

  afterAll(async () => {
    clock.set(T0);
    await cancelLeftovers(db, gw.url, asOperator, created);
    await gw.close();
    await authority.close();
    await db.end();
  });

  const iso = (ms: number) => formatShanghai(ms);
  const body = (over: Record<string, unknown> = {}) => ({
    effectiveFrom: iso(T0 + 24 * HOUR),
    scope: { kind: 'stations', stations: [station] },
    testWindowHours: 48,
    oneCodeEnabled: true,
    reason: 'tighten the window at the test station',
    ...over,
  });
  const schedule = (over: Record<string, unknown> = {}) =>
    request(gw.url).post('/rules/versions').set(asOperator).send(body(over));

  it('schedules a version, stores its hash, lists it on the timeline and audits who did it', async () => {
    const res = await schedule().expect(201);
    const v = res.body as Record<string, unknown> & { id: string; hash: string };
    expect(v).toMatchObject({
      effectiveFrom: iso(T0 + 24 * HOUR),
      scope: { kind: 'stations', stations: [station] },
      testWindowHours: 48,
      allowedColours: ['green'],
      temperatureThresholdC: 37.3,
      temperatureRequired: true,
      oneCodeEnabled: true,
      dayTicketClearanceMinutes: 15,
      healthServiceFallback: { mode: 'staff', timeoutMs: 250 },
      createdBy: 'op-zhang',
      cancelledAt: null,
    });
    expect(v.id).toMatch(/^rv-\d{12}-[0-9a-f]{8}$/);
    const {
      id,
      effectiveFrom,
      scope,
      reason,
      hash,
      createdBy: _c,
      createdAt: _a,
      cancelledAt: _x,
      ...settings
    } = v;
    expect(hash).toBe(
      ruleVersionHash({
        id,
        effectiveFrom: effectiveFrom as string,
        scope,
        settings,
        reason: reason as string,
      }),
    );

    const fetched = await request(gw.url).get(`/rules/versions/${id}`).set(asOperator).expect(200);
    expect(fetched.body).toEqual(v);

    const tl = await request(gw.url)
      .get(`/rules/stations/${station}/timeline`)
      .set(asOperator)
      .expect(200);
    const entries = tl.body.entries as {
      version: { id: string };
      from: string;
      until: string | null;
      state: string;
    }[];
    const last = entries[entries.length - 1];
    expect(last).toEqual({
      version: expect.objectContaining({ id, hash }),
      from: iso(T0 + 24 * HOUR),
      until: null,
      state: 'scheduled',
    });
    expect(entries[entries.length - 2]).toMatchObject({
      until: iso(T0 + 24 * HOUR),
      state: 'in-force',
    });
    expect(tl.body).toMatchObject({
      stationId: station,
      recorded: true,
      lines: [line],
      now: iso(T0),
    });

    const audit = await request(gw.url)
      .get('/rules/audit')
      .query({ versionId: id })
      .set(asOperator)
      .expect(200);
    expect(audit.body).toEqual([
      {
        id: expect.any(Number),
        at: iso(T0),
        actor: 'op-zhang',
        actorRole: 'operator',
        action: 'schedule',
        versionId: id,
        before: null,
        after: v,
      },
    ]);
  });

  it('accepts a line scope and an Asia/Shanghai or UTC offset alike', async () => {
    const utc = new Date(T0 + 30 * HOUR).toISOString();
    const res = await schedule({
      effectiveFrom: utc,
      scope: { kind: 'lines', lines: [line] },
    }).expect(201);
    expect(res.body.effectiveFrom).toBe(iso(T0 + 30 * HOUR));
  });

  describe('refuses with a 400 that says why', () => {
    it.each<[string, () => Record<string, unknown>, string]>([
      [
        'an effectiveFrom in the past',
        () => ({ effectiveFrom: iso(T0 - 60_000) }),
        `effectiveFrom ${iso(T0 - 60_000)} is in the past (gateway time ${iso(T0)}): only a future instant can be scheduled`,
      ],
      [
        'an effectiveFrom of exactly now',
        () => ({ effectiveFrom: iso(T0) }),
        `effectiveFrom ${iso(T0)} is in the past (gateway time ${iso(T0)}): only a future instant can be scheduled`,
      ],
      [
        'an effectiveFrom without an offset',
        () => ({ effectiveFrom: '2030-06-01T00:00:00' }),
        'effectiveFrom must be an ISO-8601 instant with an offset, e.g. 2022-06-01T00:00:00+08:00, got "2030-06-01T00:00:00"',
      ],
      [
        'an impossible date',
        () => ({ effectiveFrom: '2030-06-31T00:00:00+08:00' }),
        'effectiveFrom must be an ISO-8601 instant with an offset, e.g. 2022-06-01T00:00:00+08:00, got "2030-06-31T00:00:00+08:00"',
      ],
      [
        'a window of 0 hours',
        () => ({ testWindowHours: 0 }),
        'testWindowHours must be a positive number of hours (at most 720), got 0',
      ],
      [
        'a negative window',
        () => ({ testWindowHours: -48 }),
        'testWindowHours must be a positive number of hours (at most 720), got -48',
      ],
      [
        'a threshold below 35 °C',
        () => ({ temperatureThresholdC: 34.9 }),
        'temperatureThresholdC must be between 35 and 42 °C, got 34.9',
      ],
      [
        'a threshold above 42 °C',
        () => ({ temperatureThresholdC: 42.5 }),
        'temperatureThresholdC must be between 35 and 42 °C, got 42.5',
      ],
      [
        'an unknown station',
        () => ({ scope: { kind: 'stations', stations: [station, 'S-nowhere'] } }),
        'unknown station(s): S-nowhere',
      ],
      [
        'an unknown line',
        () => ({ scope: { kind: 'lines', lines: [line, 'L-nowhere'] } }),
        'unknown line(s): L-nowhere',
      ],
    ])('%s', async (_name, over, message) => {
      const res = await schedule(over()).expect(400);
      expect(res.body).toEqual({ code: 'RULE_REFUSED', message, refusals: [message] });
    });

    it('every reason at once', async () => {
      const res = await schedule({ testWindowHours: 0, temperatureThresholdC: 45 }).expect(400);
      expect(res.body.refusals).toHaveLength(2);
      expect(res.body.message).toBe(res.body.refusals.join('; '));
    });

    it('a version that would overlap an identical one', async () => {
      const first = await schedule().expect(201);
      const later = await schedule({
        effectiveFrom: iso(T0 + 36 * HOUR),
        reason: 'same again',
      }).expect(400);
      const message = `it would overlap an identical version: ${first.body.id} already applies the same scope and settings at ${iso(T0 + 36 * HOUR)}`;
      expect(later.body).toEqual({ code: 'RULE_REFUSED', message, refusals: [message] });
      const same = await schedule().expect(400);
      expect(same.body.message).toMatch(/would overlap an identical version/);
    });

    it('a second version for the same scope at the same instant', async () => {
      const first = await schedule().expect(201);
      const res = await schedule({ testWindowHours: 24 }).expect(400);
      expect(res.body.message).toBe(
        `version ${first.body.id} already takes effect for the same scope at ${iso(T0 + 24 * HOUR)}: cancel it first`,
      );
    });

    it('a body of the wrong shape', async () => {
      const res = await schedule({ testWindowHours: '72', scope: { kind: 'zone' } }).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toMatch(/testWindowHours/);
      expect(res.body.message).toMatch(/kind/);
    });

    it('and stores nothing for a refusal', async () => {
      await schedule({ testWindowHours: 0 }).expect(400);
      const rows = await db.query(
        `SELECT count(*)::int AS n FROM rule_versions WHERE scope->'stations' ? $1`,
        [station],
      );
      expect(rows.rows[0].n).toBe(0);
    });
  });

  describe('cancel', () => {
    it('cancels a version before it takes effect, audits before and after, and drops it from the timeline', async () => {
      const v = (await schedule().expect(201)).body as { id: string };
      clock.set(T0 + HOUR);
      const res = await request(gw.url)
        .delete(`/rules/versions/${v.id}`)
        .set(asOperator)
        .expect(200);
      expect(res.body).toMatchObject({ id: v.id, cancelledAt: iso(T0 + HOUR) });
      const tl = await request(gw.url)
        .get(`/rules/stations/${station}/timeline`)
        .set(asOperator)
        .expect(200);
      expect(
        (tl.body.entries as { version: { id: string } }[]).map((e) => e.version.id),
      ).not.toContain(v.id);
      const audit = await request(gw.url)
        .get('/rules/audit')
        .query({ versionId: v.id })
        .set(asOperator)
        .expect(200);
      expect(audit.body.map((a: { action: string }) => a.action)).toEqual(['cancel', 'schedule']);
      expect(audit.body[0]).toMatchObject({
        actor: 'op-zhang',
        at: iso(T0 + HOUR),
        before: { id: v.id, cancelledAt: null },
        after: { id: v.id, cancelledAt: iso(T0 + HOUR) },
      });
      // Still fetchable by id, so nothing it touched is ever unexplained.
      await request(gw.url).get(`/rules/versions/${v.id}`).set(asOperator).expect(200);

      const again = await request(gw.url)
        .delete(`/rules/versions/${v.id}`)
        .set(asOperator)
        .expect(409);
      expect(again.body).toEqual({
        code: 'RULE_ALREADY_CANCELLED',
        message: `version ${v.id} was already cancelled at ${iso(T0 + HOUR)}`,
      });
    });

    it('refuses to cancel a version that has taken effect', async () => {
      const v = (await schedule().expect(201)).body as { id: string };
      clock.set(T0 + 24 * HOUR);
      const res = await request(gw.url)
        .delete(`/rules/versions/${v.id}`)
        .set(asOperator)
        .expect(409);
      expect(res.body).toEqual({
        code: 'RULE_ALREADY_EFFECTIVE',
        message: `version ${v.id} took effect at ${iso(T0 + 24 * HOUR)} and is immutable: schedule a new version instead`,
      });
    });

    it('refuses to cancel a version less than 2 s before it takes effect', async () => {
      const v = (await schedule().expect(201)).body as { id: string };
      clock.set(T0 + 24 * HOUR - 1_500);
      const res = await request(gw.url)
        .delete(`/rules/versions/${v.id}`)
        .set(asOperator)
        .expect(409);
      expect(res.body.message).toBe(
        `version ${v.id} takes effect at ${iso(T0 + 24 * HOUR)}, less than 2 s from now: too late to cancel on every instance; schedule a new version instead`,
      );
    });

    it('answers 404 for an unknown version', async () => {
      const res = await request(gw.url)
        .delete('/rules/versions/rv-nope')
        .set(asOperator)
        .expect(404);
      expect(res.body).toEqual({ code: 'NOT_FOUND', message: 'no rule version rv-nope' });
    });
  });

  describe('preview', () => {
    const facts = (over: Record<string, unknown> = {}) => ({
      stationId: 'S0312',
      credentialKind: 'ride-code',
      colour: 'green',
      latestNegativeSampledAt: '2022-05-29T01:00+08:00',
      temperatureC: 36.5,
      ...over,
    });
    const preview = (over: Record<string, unknown>) =>
      request(gw.url).post('/rules/preview').set(asOperator).send(facts(over));

    it('a test sampled 2022-05-29 01:00 passes at 2022-06-01 00:00 but failed at 2022-05-31 23:59', async () => {
      const counts = async () =>
        (
          await db.query(
            `SELECT (SELECT count(*) FROM rule_audit)::int AS audit,
                    (SELECT count(*) FROM check_ins)::int AS checkins,
                    (SELECT coalesce(sum(taps), 0) FROM rule_shadow_counts)::int AS shadow`,
          )
        ).rows[0];
      const before = await counts();
      const pass = await preview({ at: '2022-06-01T00:00+08:00' }).expect(200);
      expect(pass.body).toMatchObject({
        outcome: 'open',
        reasons: [],
        at: '2022-06-01T00:00:00.000+08:00',
        version: {
          id: 'rv-20220601-pilot',
          effectiveFrom: '2022-06-01T00:00:00.000+08:00',
          scope: { kind: 'lines', lines: ['3', '6', '10', '16'] },
          testWindowHours: 72,
        },
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(pass.body.version.hash).toBe(pass.body.hash);
      const fail = await preview({ at: '2022-05-31T23:59+08:00' }).expect(200);
      expect(fail.body).toMatchObject({
        outcome: 'see-staff',
        reasons: ['TEST_EXPIRED'],
        version: { id: 'rv-20220530-pilot', testWindowHours: 48 },
      });
      expect(fail.body.display.en).toMatch(/window/);
      expect(await counts()).toEqual(before);
    });

    it.each<[string, Record<string, unknown>, string, string[], string]>([
      [
        'a fever',
        { at: '2022-06-01T00:30+08:00', temperatureC: 37.3 },
        'see-staff',
        ['TEMPERATURE_HIGH'],
        'rv-20220601-pilot',
      ],
      [
        'a station off the pilot lines',
        { at: '2022-06-01T00:30+08:00', stationId: 'S0105' },
        'see-staff',
        ['ONE_CODE_NOT_ENABLED'],
        'rv-20220601-network',
      ],
      [
        'a yellow code and no test',
        { at: '2022-06-01T00:30+08:00', colour: 'yellow', latestNegativeSampledAt: null },
        'see-staff',
        ['HEALTH_CODE_NOT_GREEN', 'TEST_MISSING'],
        'rv-20220601-pilot',
      ],
      [
        'a guarantee pass card',
        { at: '2022-06-01T00:30+08:00', credentialKind: 'guarantee-pass' },
        'open',
        [],
        'rv-20220601-pilot',
      ],
      [
        'a single-journey ticket',
        { at: '2022-06-01T00:30+08:00', credentialKind: 'single-journey' },
        'see-staff',
        ['VENUE_CHECK_REQUIRED'],
        'rv-20220601-pilot',
      ],
      [
        'an unauthorized rider',
        { at: '2022-06-01T00:30+08:00', authorized: false },
        'see-staff',
        ['NOT_AUTHORIZED'],
        'rv-20220601-pilot',
      ],
    ])('%s', async (_name, over, outcome, reasons, version) => {
      const res = await preview(over).expect(200);
      expect({
        outcome: res.body.outcome,
        reasons: res.body.reasons,
        version: res.body.version.id,
      }).toEqual({
        outcome,
        reasons,
        version,
      });
    });

    it.each([
      ['2022-06-02T07:59:59.999+08:00', 'see-staff', ['TEST_MISSING'], 'not-yet-valid'],
      ['2022-06-02T08:00:00.000+08:00', 'open', [], 'valid'],
      ['2022-06-05T07:59:59.999+08:00', 'open', [], 'valid'],
      ['2022-06-05T08:00:00.000+08:00', 'see-staff', ['TEST_EXPIRED'], 'expired'],
    ])(
      'the 72 h window of a test sampled 2022-06-02 08:00 has two ends: at %s, %s',
      async (at, outcome, reasons, standing) => {
        const sampled = '2022-06-02T08:00:00.000+08:00';
        const res = await preview({ at, latestNegativeSampledAt: sampled }).expect(200);
        expect(res.body).toMatchObject({ outcome, reasons, testStanding: standing });
      },
    );

    describe('an unsaved draft', () => {
      const draft = (over: Record<string, unknown> = {}) => ({
        effectiveFrom: '2022-06-02T00:00:00+08:00',
        scope: { kind: 'stations', stations: ['S0312'] },
        testWindowHours: 24,
        oneCodeEnabled: true,
        reason: 'what if the window were 24 h',
        ...over,
      });
      const sampled = '2022-06-01T08:00:00+08:00';

      it('decides as if it were scheduled, from its instant, and stores nothing', async () => {
        const counts = async () =>
          (
            await db.query(
              `SELECT (SELECT count(*) FROM rule_versions)::int AS versions,
                      (SELECT count(*) FROM rule_audit)::int AS audit`,
            )
          ).rows[0];
        const before = await counts();
        const after = await preview({
          at: '2022-06-02T12:00:00+08:00',
          latestNegativeSampledAt: sampled,
          draft: draft(),
        }).expect(200);
        expect(after.body).toMatchObject({
          outcome: 'see-staff',
          reasons: ['TEST_EXPIRED'],
          governedByDraft: true,
          testStanding: 'expired',
          version: {
            id: 'draft',
            effectiveFrom: '2022-06-02T00:00:00.000+08:00',
            testWindowHours: 24,
          },
          hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        });
        // The same facts under the rules in force: the 72 h window still holds.
        const live = await preview({
          at: '2022-06-02T12:00:00+08:00',
          latestNegativeSampledAt: sampled,
        }).expect(200);
        expect(live.body).toMatchObject({ outcome: 'open', version: { id: 'rv-20220601-pilot' } });
        // Before its instant, and at a station it does not cover, the draft does not decide.
        const earlier = await preview({
          at: '2022-06-01T23:59:59.999+08:00',
          latestNegativeSampledAt: sampled,
          draft: draft(),
        }).expect(200);
        expect(earlier.body).toMatchObject({
          outcome: 'open',
          governedByDraft: false,
          version: { id: 'rv-20220601-pilot' },
        });
        const elsewhere = await preview({
          stationId: 'S1005',
          at: '2022-06-02T12:00:00+08:00',
          latestNegativeSampledAt: sampled,
          draft: draft(),
        }).expect(200);
        expect(elsewhere.body).toMatchObject({ outcome: 'open', governedByDraft: false });
        expect(await counts()).toEqual(before);
      });

      it('is checked as a schedule is, every refusal at once', async () => {
        const res = await preview({
          at: '2022-06-02T12:00:00+08:00',
          draft: draft({
            temperatureThresholdC: 50,
            scope: { kind: 'stations', stations: ['NOPE'] },
          }),
        }).expect(400);
        expect(res.body).toMatchObject({
          code: 'RULE_REFUSED',
          refusals: [
            'temperatureThresholdC must be between 35 and 42 °C, got 50',
            'unknown station(s): NOPE',
          ],
        });
        const typed = await preview({
          at: '2022-06-02T12:00:00+08:00',
          draft: { ...draft(), testWindowHours: 'many' },
        }).expect(400);
        expect(typed.body.code).toBe('VALIDATION_FAILED');
      });
    });

    it('previews a scheduled version at its instant', async () => {
      const v = (await schedule({ scope: { kind: 'stations', stations: [station] } }).expect(201))
        .body as { id: string };
      const res = await preview({
        stationId: station,
        at: iso(T0 + 24 * HOUR),
        latestNegativeSampledAt: iso(T0 - 47 * HOUR),
      }).expect(200);
      expect(res.body).toMatchObject({
        outcome: 'see-staff',
        reasons: ['TEST_EXPIRED'],
        version: { id: v.id },
      });
    });

    it('refuses an instant without an offset', async () => {
      const res = await preview({ at: '2022-06-01T00:00' }).expect(400);
      expect(res.body).toEqual({
        code: 'VALIDATION_FAILED',
        message:
          'at must be an ISO-8601 instant with an offset, e.g. 2022-06-01T00:00:00+08:00, got "2022-06-01T00:00"',
      });
    });
  });

  describe('who may call', () => {
    type Method = 'get' | 'post' | 'delete';
    const call = (method: Method, path: string): request.Test => {
      const api = request(gw.url);
      return method === 'get'
        ? api.get(path)
        : method === 'post'
          ? api.post(path)
          : api.delete(path);
    };
    const routes: [Method, string, (s: string) => string][] = [
      ['post', 'schedule', () => '/rules/versions'],
      ['delete', 'cancel', () => '/rules/versions/rv-20220601-pilot'],
      ['get', 'version', () => '/rules/versions/rv-20220601-pilot'],
      ['get', 'shadow', () => '/rules/versions/rv-20220601-pilot/shadow'],
      ['get', 'timeline', (s) => `/rules/stations/${s}/timeline`],
      ['post', 'preview', () => '/rules/preview'],
      ['get', 'audit', () => '/rules/audit'],
    ];

    it.each(routes)('%s %s: 401 without a token', async (method, _name, path) => {
      const res = await call(method, path(station)).send({});
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 'UNAUTHENTICATED', message: 'a bearer token is required' });
    });

    it.each(routes)('%s %s: 403 for a rider or staff token', async (method, _name, path) => {
      for (const p of [
        { sub: 'r-1', role: 'rider' as const },
        { sub: 'st-1', role: 'staff' as const, station },
      ]) {
        const res = await call(method, path(station))
          .set(await bearer(p))
          .send({});
        expect(res.status).toBe(403);
        expect(res.body).toEqual({ code: 'FORBIDDEN', message: 'this needs the operator role' });
      }
    });
  });

  it('documents the operator API in OpenAPI', async () => {
    const doc = await request(gw.url).get('/docs-json').expect(200);
    const paths = doc.body.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths['/rules/versions'])).toContain('post');
    expect(Object.keys(paths['/rules/versions/{id}']).sort()).toEqual(['delete', 'get']);
    expect(paths['/rules/preview']).toHaveProperty('post');
    expect(paths['/rules/audit']).toHaveProperty('get');
    expect(paths['/rules/stations/{stationId}/timeline']).toHaveProperty('get');
    expect(paths['/rules/versions/{id}/shadow']).toHaveProperty('get');
    expect(doc.body.components.schemas.ScheduleVersionDto.required).toEqual(
      expect.arrayContaining([
        'effectiveFrom',
        'scope',
        'testWindowHours',
        'oneCodeEnabled',
        'reason',
      ]),
    );
  });
});
