import request from 'supertest';
import { Client } from 'pg';
import type { NatsConnection } from 'nats';
import type { GateCredential, GateReply } from '@app/protocol';
import {
  asRider,
  healthy,
  realNameCard,
  rideCode,
  rider,
  type TestRider,
} from '../support/factories';
import {
  AUTHORITY_KEY,
  bearer,
  tap,
  uniqueId,
  type GatewayUnderTest,
  startStack,
  type TestStack,
} from '../support/stack';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { countAuthorityRequests } from '../support/authority-requests';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PILOT = 'S0312';
const NOT_PILOT = 'S0105';

describe('transit cards, 保通卡 and tickets at the gate', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;
  let db: Client;
  let stack: TestStack;

  beforeAll(async () => {
    ({ authority, gw, nc, db } = stack = await startStack());
  });

  afterAll(() => stack.close());

  const api = () => request(gw.url);
  const operator = () => bearer({ sub: 'op-1', role: 'operator' });
  const now = () => Date.now();
  const expectReply = (r: GateReply, outcome: GateReply['outcome'], reasons: string[]) =>
    expect({ outcome: r.outcome, reasons: [...r.reasons].sort() }).toEqual({
      outcome,
      reasons: [...reasons].sort(),
    });
  const gateTap = (
    credential: GateCredential,
    extra: {
      stationId?: string;
      gateId?: string;
      mode?: 'entry' | 'exit';
      temperatureC?: number | null;
    } = {},
  ) =>
    tap(nc, {
      stationId: extra.stationId ?? PILOT,
      gateId: extra.gateId ?? uniqueId('G'),
      mode: extra.mode,
      temperatureC: extra.temperatureC,
      credential,
    });
  const card = (cardNo: string): GateCredential => ({ kind: 'card', cardNo });
  const link = async (riderId: string, cardNo: string) =>
    api()
      .post(`/riders/${riderId}/cards`)
      .set(await asRider(riderId))
      .send({ cardNo });
  /** A real-name card held by the rider's person, as the card registry records it. */
  const ownCard = async (r: TestRider): Promise<string> => {
    const cardNo = uniqueId('C');
    await realNameCard(authority.url, r.idNumber, cardNo);
    return cardNo;
  };

  describe('real-name-linked cards', () => {
    it('one card, its holder only: link is idempotent, another rider gets 403, unlink works', async () => {
      const a = await rider(gw.url, authority.url, healthy(now()));
      const b = await rider(gw.url, authority.url, healthy(now()));
      const cardNo = await ownCard(a);
      const first = await link(a.riderId, cardNo);
      expect(first.status).toBe(201);
      expect(first.body).toEqual({ cardNo, linkedAt: expect.stringMatching(/\+08:00$/) });
      expect((await link(a.riderId, cardNo)).status).toBe(201);
      const taken = await link(b.riderId, cardNo);
      expect(taken.status).toBe(403);
      expect(taken.body.code).toBe('CARD_NOT_YOURS');
      await api()
        .delete(`/riders/${b.riderId}/cards/${cardNo}`)
        .set(await asRider(b.riderId))
        .expect(404);
      await api()
        .delete(`/riders/${a.riderId}/cards/${cardNo}`)
        .set(await asRider(a.riderId))
        .expect(204);
      expect((await link(b.riderId, cardNo)).status).toBe(403);
      expect((await link(a.riderId, cardNo)).status).toBe(201);
    });

    it("a rider cannot act on another rider's account, nor an operator on a rider's", async () => {
      const a = await rider(gw.url, authority.url);
      const b = await rider(gw.url, authority.url);
      await api()
        .post(`/riders/${a.riderId}/cards`)
        .set(await asRider(b.riderId))
        .send({ cardNo: 'C1' })
        .expect(403);
      await api()
        .post(`/riders/${a.riderId}/cards`)
        .set(await operator())
        .send({ cardNo: 'C1' })
        .expect(403);
      const bad = await api()
        .post(`/riders/${a.riderId}/cards`)
        .set(await asRider(a.riderId))
        .send({ cardNo: 'bad card!' });
      expect(bad.status).toBe(400);
    });

    it('a linked card runs the ride-code checks for its rider, with the same anti-passback', async () => {
      const r = await rider(gw.url, authority.url, healthy(now()));
      const cardNo = await ownCard(r);
      expect((await link(r.riderId, cardNo)).status).toBe(201);
      const gateId = uniqueId('G');
      const opened = await gateTap(card(cardNo), { gateId });
      expectReply(opened, 'open', []);
      const row = await db.query('SELECT rider_id, medium FROM check_ins WHERE id = $1', [
        opened.checkInId,
      ]);
      expect(row.rows).toEqual([{ rider_id: r.riderId, medium: `card:${cardNo}` }]);
      // Inside on the card means inside as the rider: the app code cannot enter again.
      expectReply(
        await gateTap({ kind: 'ride-code', code: await rideCode(gw.url, r.riderId) }),
        'deny',
        ['ALREADY_INSIDE'],
      );
      expectReply(await gateTap(card(cardNo), { mode: 'exit' }), 'open', []);
      expectReply(await gateTap(card(cardNo), { temperatureC: 37.8 }), 'see-staff', [
        'TEMPERATURE_HIGH',
      ]);
      expectReply(await gateTap(card(cardNo), { stationId: NOT_PILOT }), 'see-staff', [
        'ONE_CODE_NOT_ENABLED',
      ]);
    });

    it.each([
      ['an expired test', { negativeTestsAt: [Date.now() - 80 * HOUR] }, ['TEST_EXPIRED']],
      ['no health linkage', { ...healthy(Date.now()), authorized: false }, ['NOT_AUTHORIZED']],
      [
        'a red code',
        { colour: 'red' as const, negativeTestsAt: [Date.now() - HOUR] },
        ['HEALTH_CODE_NOT_GREEN'],
      ],
    ])('a linked card of a rider with %s is sent to staff', async (_n, spec, reasons) => {
      const r = await rider(gw.url, authority.url, spec);
      const cardNo = await ownCard(r);
      expect((await link(r.riderId, cardNo)).status).toBe(201);
      expectReply(await gateTap(card(cardNo)), 'see-staff', reasons);
    });

    it('a card reported lost is blocked at once, at entry and exit, and cannot be linked again', async () => {
      const r = await rider(gw.url, authority.url, healthy(now()));
      const other = await rider(gw.url, authority.url, healthy(now()));
      const cardNo = await ownCard(r);
      expect((await link(r.riderId, cardNo)).status).toBe(201);
      await api()
        .post(`/riders/${other.riderId}/cards/${cardNo}/report-lost`)
        .set(await asRider(other.riderId))
        .expect(404);
      await api()
        .post(`/riders/${r.riderId}/cards/${cardNo}/report-lost`)
        .set(await asRider(r.riderId))
        .expect(204);
      expectReply(await gateTap(card(cardNo)), 'deny', ['CARD_BLOCKED']);
      expectReply(await gateTap(card(cardNo), { mode: 'exit' }), 'deny', ['CARD_BLOCKED']);
      await api()
        .delete(`/riders/${r.riderId}/cards/${cardNo}`)
        .set(await asRider(r.riderId))
        .expect(204);
      const relink = await link(r.riderId, cardNo);
      expect(relink.status).toBe(409);
      expect(relink.body.code).toBe('CARD_BLOCKED');
    });
  });

  describe('the operator registry', () => {
    it('blocks and unblocks any card; riders cannot', async () => {
      const cardNo = uniqueId('C');
      const r = await rider(gw.url, authority.url);
      await api()
        .put(`/cards/${cardNo}/block`)
        .set(await asRider(r.riderId))
        .send({ reason: 'stolen' })
        .expect(403);
      await api()
        .put(`/cards/${cardNo}/block`)
        .set(await operator())
        .send({ reason: 'stolen' })
        .expect(204);
      expectReply(await gateTap(card(cardNo)), 'deny', ['CARD_BLOCKED']);
      await api()
        .delete(`/cards/${cardNo}/block`)
        .set(await operator())
        .expect(204);
      expectReply(await gateTap(card(cardNo)), 'see-staff', ['VENUE_CHECK_REQUIRED']);
      await api()
        .delete(`/cards/${cardNo}/block`)
        .set(await operator())
        .expect(404);
      await api()
        .put(`/cards/${cardNo}/block`)
        .set(await operator())
        .send({ reason: 'bored' })
        .expect(400);
    });

    it('a 保通卡 passes without a health lookup while valid; temperature still applies', async () => {
      const cardNo = uniqueId('BT');
      const put = await api()
        .put(`/guarantee-cards/${cardNo}`)
        .set(await operator())
        .send({
          holderName: '李四',
          validFrom: new Date(now() - DAY).toISOString(),
          validUntil: new Date(now() + DAY).toISOString(),
        })
        .expect(200);
      expect(put.body).toMatchObject({ cardNo, holderName: '李四' });
      const got = await api()
        .get(`/guarantee-cards/${cardNo}`)
        .set(await operator())
        .expect(200);
      expect(got.body.validUntil).toMatch(/\+08:00$/);
      const r = await rider(gw.url, authority.url, healthy(now()));
      // The health service is down: a guarantee pass card does not need it.
      await request(authority.url)
        .put('/v1/admin/faults')
        .set('x-api-key', AUTHORITY_KEY)
        .send({ delayMs: 0, unavailable: true })
        .expect(204);
      const asked = countAuthorityRequests(authority);
      try {
        // At a pilot station, where a linked rider's tap does look the status up.
        const opened = await gateTap(card(cardNo), { stationId: PILOT });
        expectReply(opened, 'open', []);
        expect(opened.checkInId).toEqual(expect.any(String));
        expect(asked.take()).toEqual([]);
        // The count sees lookups: a ride code at the same station asks (and finds it down).
        const code = await rideCode(gw.url, r.riderId);
        await gateTap({ kind: 'ride-code', code }, { stationId: PILOT });
        expect(asked.take()).toEqual(
          expect.arrayContaining([expect.stringMatching(/^(GET|POST) \/v1\/consents\//)]),
        );
      } finally {
        asked.stop();
        await request(authority.url)
          .delete('/v1/admin/faults')
          .set('x-api-key', AUTHORITY_KEY)
          .expect(204);
      }
      expectReply(await gateTap(card(cardNo), { mode: 'exit' }), 'open', []);
      expectReply(await gateTap(card(cardNo), { temperatureC: 37.3 }), 'see-staff', [
        'TEMPERATURE_HIGH',
      ]);
      expectReply(await gateTap(card(cardNo), { temperatureC: null }), 'see-staff', [
        'TEMPERATURE_MISSING',
      ]);
    });

    it('many card taps at once are answered from batched lookups', async () => {
      const cards = Array.from({ length: 40 }, () => uniqueId('BT'));
      const auth = await operator();
      for (const cardNo of cards)
        await api()
          .put(`/guarantee-cards/${cardNo}`)
          .set(auth)
          .send({
            holderName: '批量',
            validFrom: new Date(now() - DAY).toISOString(),
            validUntil: new Date(now() + DAY).toISOString(),
          })
          .expect(200);
      const plain = Array.from({ length: 40 }, () => uniqueId('C'));
      const replies = await Promise.all([
        ...cards.map((c) => gateTap(card(c))),
        ...plain.map((c) => gateTap(card(c))),
      ]);
      expect(replies.slice(0, 40).every((r) => r.outcome === 'open')).toBe(true);
      expect(replies.slice(40).every((r) => r.reasons[0] === 'VENUE_CHECK_REQUIRED')).toBe(true);
    });

    it('a 保通卡 outside its validity is a plain card; a bad range is refused', async () => {
      const cardNo = uniqueId('BT');
      await api()
        .put(`/guarantee-cards/${cardNo}`)
        .set(await operator())
        .send({
          holderName: '王五',
          validFrom: new Date(now() - 2 * DAY).toISOString(),
          validUntil: new Date(now() - DAY).toISOString(),
        })
        .expect(200);
      expectReply(await gateTap(card(cardNo)), 'see-staff', ['VENUE_CHECK_REQUIRED']);
      await api()
        .put(`/guarantee-cards/${cardNo}`)
        .set(await operator())
        .send({
          holderName: '王五',
          validFrom: '2022-06-02T00:00:00+08:00',
          validUntil: '2022-06-01T00:00:00+08:00',
        })
        .expect(400);
      await api()
        .delete(`/guarantee-cards/${cardNo}`)
        .set(await operator())
        .expect(204);
      await api()
        .get(`/guarantee-cards/${cardNo}`)
        .set(await operator())
        .expect(404);
    });
  });

  describe('plain cards and tickets', () => {
    it.each([
      ['a plain card', { kind: 'card' as const, cardNo: uniqueId('C') }],
      ['a single-journey ticket', { kind: 'single-journey' as const, ticketNo: uniqueId('SJ') }],
      ['a companion ticket', { kind: 'companion-ticket' as const, ticketNo: uniqueId('CT') }],
      ['an unregistered day ticket', { kind: 'day-ticket' as const, ticketNo: uniqueId('DT') }],
    ])('%s goes to the venue procedure, and exits freely', async (_n, credential) => {
      expectReply(await gateTap(credential), 'see-staff', ['VENUE_CHECK_REQUIRED']);
      expectReply(await gateTap(credential, { mode: 'exit' }), 'open', []);
    });

    it('day and three-day tickets belong to the rider who registers them', async () => {
      const r = await rider(gw.url, authority.url);
      const other = await rider(gw.url, authority.url);
      const ticketNo = uniqueId('DT');
      const res = await api()
        .post(`/riders/${r.riderId}/tickets`)
        .set(await asRider(r.riderId))
        .send({ ticketNo, kind: 'three-day', validFrom: '2022-06-01T00:00:00+08:00' })
        .expect(201);
      expect(res.body).toEqual({
        ticketNo,
        kind: 'three-day',
        validFrom: '2022-06-01T00:00:00.000+08:00',
        validUntil: '2022-06-04T00:00:00.000+08:00',
      });
      const dup = await api()
        .post(`/riders/${other.riderId}/tickets`)
        .set(await asRider(other.riderId))
        .send({ ticketNo, kind: 'day', validFrom: '2022-06-01T00:00:00+08:00' })
        .expect(409);
      expect(dup.body.code).toBe('TICKET_EXISTS');
      const list = await api()
        .get(`/riders/${r.riderId}/tickets`)
        .set(await asRider(r.riderId))
        .expect(200);
      expect(list.body).toEqual([res.body]);
      await api()
        .post(`/riders/${r.riderId}/tickets`)
        .set(await asRider(r.riderId))
        .send({ ticketNo: uniqueId('DT'), kind: 'week', validFrom: '2022-06-01T00:00:00' })
        .expect(400);
    });
  });
});
