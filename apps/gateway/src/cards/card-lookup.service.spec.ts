import pino from 'pino';
import { UNAVAILABLE, type RuleVersion, type Unavailable } from '@app/decision';
import { fixedClock } from '../common/clock';
import { CardLookupService, type TapPlace } from './card-lookup.service';
import type { CardStatus, CardsRepository, PlaceKey, TicketStatus } from './cards.repository';
import type { RiderFacts, RiderFactsService } from '../riders/rider-facts.service';

const T0 = Date.parse('2022-06-01T08:00:00+08:00');
const MIN = 60_000;
const RULES = { dayTicketClearanceMinutes: 30 } as unknown as RuleVersion;
const AT: TapPlace = { stationId: 'S0312', gateId: 'G07', tapId: 'tap-00000001' };

const card = (over: Partial<CardStatus> = {}): CardStatus => ({
  riderId: null,
  blocked: false,
  guarantee: null,
  hasPass: false,
  ...over,
});
const ticket = (over: Partial<TicketStatus> = {}): TicketStatus => ({
  ticket: null,
  clearedAt: null,
  hasPass: false,
  ...over,
});

/** The registry in memory: one status per number, and every batch it was asked for. */
class FakeCards {
  readonly cards = new Map<string, CardStatus>();
  readonly tickets = new Map<string, TicketStatus>();
  readonly batches: PlaceKey[][] = [];
  down = false;
  cardStatuses(keys: PlaceKey[]): Promise<CardStatus[]> {
    this.batches.push(keys);
    if (this.down) return Promise.reject(new Error('connection refused'));
    return Promise.resolve(keys.map((k) => this.cards.get(k.no) ?? card()));
  }
  ticketStatuses(keys: PlaceKey[]): Promise<TicketStatus[]> {
    this.batches.push(keys);
    if (this.down) return Promise.reject(new Error('connection refused'));
    return Promise.resolve(keys.map((k) => this.tickets.get(k.no) ?? ticket()));
  }
}

/** A rider's facts as RiderFactsService would give them, and what it was asked. */
class FakeRiders {
  answer: RiderFacts | Unavailable = { kind: 'rider', authorized: true, health: null };
  readonly asked: { riderId: string; mode: string; deadlineMs?: number }[] = [];
  of(riderId: string, mode: 'entry' | 'exit', _rules: RuleVersion, deadlineMs?: number) {
    this.asked.push({ riderId, mode, deadlineMs });
    return Promise.resolve(this.answer);
  }
}

function setup() {
  const clock = fixedClock(T0);
  const repo = new FakeCards();
  const riders = new FakeRiders();
  const lookups = new CardLookupService(
    repo as unknown as CardsRepository,
    riders as unknown as RiderFactsService,
    pino({ level: 'silent' }),
  );
  return { clock, repo, riders, lookups };
}

describe('CardLookupService: cards at the gate', () => {
  let s: ReturnType<typeof setup>;
  beforeEach(() => (s = setup()));

  const tapCard = (no: string, mode: 'entry' | 'exit' = 'entry', at = AT) =>
    s.lookups.card(no, mode, RULES, s.clock.now(), at);

  it('refuses a blocked card without asking for its rider or naming a pass', async () => {
    s.repo.cards.set('C1', card({ blocked: true, riderId: 'r1', hasPass: true }));
    await expect(tapCard('C1')).resolves.toEqual({
      facts: { kind: 'rejected', reason: 'CARD_BLOCKED' },
      traveller: 'card:C1',
      riderId: null,
      medium: 'card:C1',
      jti: null,
    });
    expect(s.riders.asked).toEqual([]);
  });

  it("answers a linked card with its rider's facts, within the tap's deadline", async () => {
    s.repo.cards.set('C1', card({ riderId: 'r1' }));
    const r = await tapCard('C1', 'entry', { ...AT, deadlineMs: 1234.5 });
    expect(r).toEqual({
      facts: { kind: 'rider', authorized: true, health: null },
      traveller: 'rider:r1',
      riderId: 'r1',
      medium: 'card:C1',
      jti: null,
    });
    expect(s.riders.asked).toEqual([{ riderId: 'r1', mode: 'entry', deadlineMs: 1234.5 }]);
  });

  it("passes on Unavailable when the rider's facts cannot be established", async () => {
    s.repo.cards.set('C1', card({ riderId: 'r1' }));
    s.riders.answer = UNAVAILABLE;
    await expect(tapCard('C1')).resolves.toEqual(UNAVAILABLE);
  });

  it.each([
    ['one ms before the guarantee starts', 'venue-check', -1],
    ['the instant it starts', 'guarantee-pass', 0],
    ['its last ms', 'guarantee-pass', 60 * MIN - 1],
    ['the instant it ends', 'venue-check', 60 * MIN],
  ])('an unlinked guarantee card %s: %s', async (_name, kind, offset) => {
    s.repo.cards.set('C1', card({ guarantee: { from: T0, until: T0 + 60 * MIN } }));
    s.clock.set(T0 + offset);
    await expect(tapCard('C1')).resolves.toMatchObject({ facts: { kind }, riderId: null });
  });

  it('sends an unknown card to the venue check', async () => {
    await expect(tapCard('C-unknown')).resolves.toMatchObject({
      facts: { kind: 'venue-check' },
      traveller: 'card:C-unknown',
    });
  });

  it("a staff pass on entry, bound to the card or the gate, clears the card's rider", async () => {
    s.repo.cards.set('C1', card({ riderId: 'r1', hasPass: true }));
    await expect(tapCard('C1')).resolves.toEqual({
      facts: { kind: 'cleared' },
      traveller: 'rider:r1',
      riderId: 'r1',
      medium: 'card:C1',
      jti: null,
      passFor: ['card:C1', 'gate:G07'],
    });
    // A pass clears the rider without a health lookup.
    expect(s.riders.asked).toEqual([]);
  });

  it('names no pass on exit', async () => {
    s.repo.cards.set('C1', card({ hasPass: true }));
    const r = await tapCard('C1', 'exit');
    expect(r).toMatchObject({ facts: { kind: 'venue-check' } });
    expect(r).not.toHaveProperty('passFor');
  });

  it('falls back to the rider when another tap spent the pass first', async () => {
    s.repo.cards.set('C1', card({ riderId: 'r1', hasPass: true }));
    const r = await tapCard('C1', 'entry', { ...AT, passGone: true });
    expect(r).toMatchObject({ facts: { kind: 'rider' }, riderId: 'r1' });
    expect(r).not.toHaveProperty('passFor');
    expect(s.riders.asked).toHaveLength(1);
  });

  it('answers every tap of a failed batch with Unavailable', async () => {
    s.repo.down = true;
    await expect(Promise.all([tapCard('C1'), tapCard('C2')])).resolves.toEqual([
      UNAVAILABLE,
      UNAVAILABLE,
    ]);
  });

  it('asks for the taps of one event-loop turn in one batch, each with its place and instant', async () => {
    s.repo.cards.set('C2', card({ blocked: true }));
    const [a, b] = await Promise.all([
      tapCard('C1'),
      tapCard('C2', 'entry', { ...AT, gateId: 'G08' }),
    ]);
    expect(a).toMatchObject({ facts: { kind: 'venue-check' } });
    expect(b).toMatchObject({ facts: { kind: 'rejected' } });
    expect(s.repo.batches).toEqual([
      [
        { no: 'C1', stationId: 'S0312', gateId: 'G07', at: T0 },
        { no: 'C2', stationId: 'S0312', gateId: 'G08', at: T0 },
      ],
    ]);
  });
});

describe('CardLookupService: tickets at the gate', () => {
  let s: ReturnType<typeof setup>;
  beforeEach(() => (s = setup()));

  type Kind = 'day-ticket' | 'companion-ticket' | 'single-journey';
  const tapTicket = (kind: Kind, no: string, mode: 'entry' | 'exit' = 'entry') =>
    s.lookups.ticket({ kind, ticketNo: no }, mode, RULES, s.clock.now(), AT);
  const dayTicket = (clearedAt: number | null) =>
    ticket({
      ticket: { riderId: 'r1', kind: 'day', from: T0, until: T0 + 24 * 60 * MIN },
      clearedAt,
    });

  it.each([
    ['cleared just now', 'cleared', 0],
    ['cleared 29:59.999 ago', 'cleared', 30 * MIN - 1],
    ['cleared exactly the window ago', 'venue-check', 30 * MIN],
  ])('a valid day ticket %s: %s', async (_name, kind, ago) => {
    s.repo.tickets.set('D1', dayTicket(T0));
    s.clock.set(T0 + ago);
    await expect(tapTicket('day-ticket', 'D1')).resolves.toMatchObject({
      facts: { kind },
      riderId: 'r1',
      medium: 'day-ticket:D1',
      traveller: 'ticket:D1',
    });
  });

  it('a day ticket used after it ends is not cleared by an earlier clearance', async () => {
    const t = dayTicket(T0 + 24 * 60 * MIN - MIN);
    s.repo.tickets.set('D1', t);
    s.clock.set(T0 + 24 * 60 * MIN);
    await expect(tapTicket('day-ticket', 'D1')).resolves.toMatchObject({
      facts: { kind: 'venue-check' },
    });
  });

  it('a day ticket used before it starts is not cleared by a clearance', async () => {
    s.repo.tickets.set('D1', dayTicket(T0 - 2));
    s.clock.set(T0 - 1);
    await expect(tapTicket('day-ticket', 'D1')).resolves.toMatchObject({
      facts: { kind: 'venue-check' },
    });
  });

  it('a clearance never clears a single-journey or companion ticket, and names no rider', async () => {
    s.repo.tickets.set('X1', dayTicket(T0));
    for (const kind of ['single-journey', 'companion-ticket'] as const)
      await expect(tapTicket(kind, 'X1')).resolves.toMatchObject({
        facts: { kind: 'venue-check' },
        riderId: null,
      });
  });

  it('an exit is a venue check, whatever the ticket', async () => {
    s.repo.tickets.set('D1', { ...dayTicket(T0), hasPass: true });
    const r = await tapTicket('day-ticket', 'D1', 'exit');
    expect(r).toMatchObject({ facts: { kind: 'venue-check' } });
    expect(r).not.toHaveProperty('passFor');
  });

  it('a staff pass for the ticket or the gate clears it', async () => {
    s.repo.tickets.set('S1', ticket({ hasPass: true }));
    await expect(tapTicket('single-journey', 'S1')).resolves.toMatchObject({
      facts: { kind: 'cleared' },
      passFor: ['ticket:S1', 'gate:G07'],
    });
  });

  it('a ticket whose pass another tap spent first is a venue check', async () => {
    s.repo.tickets.set('S1', ticket({ hasPass: true }));
    const r = await s.lookups.ticket(
      { kind: 'single-journey', ticketNo: 'S1' },
      'entry',
      RULES,
      s.clock.now(),
      { ...AT, passGone: true },
    );
    expect(r).toMatchObject({ facts: { kind: 'venue-check' } });
    expect(r).not.toHaveProperty('passFor');
  });
});
