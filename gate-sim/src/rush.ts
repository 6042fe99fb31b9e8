import { randomUUID } from 'node:crypto';
/**
 * The scripted morning rush: riders are seeded at the authority and the gateway, then tap at four
 * gates per station, each gate one tap at a time, all gates at once, in a shuffled order.
 *   phase 1  entries of every rider;
 *   phase 2  follow-ups: a used code shown at another gate (replay), a second entry with a fresh
 *            code while inside, and gates re-sending an answered tap with the same tapId;
 *   phase 3  exits of riders whose entry opened.
 */
import type { NatsConnection } from 'nats';
import {
  formatShanghai,
  type GateCredential,
  type GateReply,
  type Outcome,
  type Reason,
} from '../../libs/protocol/src';
import { HttpError, type AuthorityClient, type GatewayClient } from './clients';
import { SimGate, respondToCommands, type CommandResponder, type TapInput } from './gate';
import {
  buildPopulation,
  mulberry32,
  RIDE_CODE_KINDS,
  type Population,
  type RiderKind,
  type RiderPlan,
  type Rng,
  type StationSpec,
} from './population';
import { Summary } from './summary';

export interface Expected {
  outcome: Outcome;
  reasons: Reason[];
}

/** What a rider of this kind gets at entry, mirroring the rules the gateway seeds (72 h, green, 37.3 °C, reading required). */
export function expectedEntry(kind: RiderKind, oneCodeEnabled: boolean): Expected {
  const staff = (...reasons: Reason[]): Expected => ({ outcome: 'see-staff', reasons });
  const rider = (...reasons: Reason[]): Expected => {
    if (!oneCodeEnabled)
      return staff('ONE_CODE_NOT_ENABLED', ...reasons.filter((r) => r.startsWith('TEMPERATURE_')));
    return reasons.length === 0 ? { outcome: 'open', reasons: [] } : staff(...reasons);
  };
  switch (kind) {
    case 'healthy':
    case 'replay':
    case 'already-inside':
      return rider();
    case 'test-expired':
      return rider('TEST_EXPIRED');
    case 'yellow':
      return rider('HEALTH_CODE_NOT_GREEN');
    case 'test-missing':
      return rider('TEST_MISSING');
    case 'not-authorized':
      return rider('NOT_AUTHORIZED');
    case 'fever':
      return rider('TEMPERATURE_HIGH');
    case 'temp-missing':
      return rider('TEMPERATURE_MISSING');
    case 'forged-random':
    case 'forged-jws':
      return { outcome: 'deny', reasons: ['CODE_INVALID'] };
    case 'single-journey':
    case 'companion':
    case 'plain-card':
      return staff('VENUE_CHECK_REQUIRED');
    case 'offline-code':
      return staff('OFFLINE_CODE_NEEDS_STAFF');
  }
}

export function sameDecision(expected: Expected, reply: GateReply): boolean {
  const a = [...expected.reasons].sort();
  const b = [...(reply.reasons ?? [])].sort();
  return (
    reply.outcome === expected.outcome && a.length === b.length && a.every((r, i) => r === b[i])
  );
}

const describeDecision = (d: { outcome: string; reasons?: readonly string[] }) =>
  `${d.outcome}${d.reasons && d.reasons.length > 0 ? ` [${d.reasons.join(',')}]` : ''}`;

/** JSON with sorted keys, so two replies compare by content. */
export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(x) ?? 'null';
}

/** Top-level reply fields whose content differs. */
export function differingFields(a: GateReply, b: GateReply): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  return keys.filter((k) => canonicalJson(ra[k]) !== canonicalJson(rb[k]));
}

const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

/** A genuine ride code with its JWS payload altered (another subject, a later expiry); the signature is kept. */
export function tamperCode(code: string): string {
  const parts = code.split('.');
  if (parts.length >= 3) {
    const i = parts.length - 2;
    let payload: string;
    try {
      const claims = JSON.parse(Buffer.from(parts[i], 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      if (typeof claims.sub === 'string') claims.sub = `${claims.sub}x`;
      if (typeof claims.exp === 'number') claims.exp += 3600;
      claims.tampered = true;
      payload = b64url(JSON.stringify(claims));
    } catch {
      payload = flipChar(parts[i]);
    }
    parts[i] = payload;
    return parts.join('.');
  }
  return flipChar(code);
}

function flipChar(s: string): string {
  if (s.length === 0) return 'x';
  const mid = Math.floor(s.length / 2);
  return s.slice(0, mid) + (s[mid] === 'A' ? 'B' : 'A') + s.slice(mid + 1);
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const state: { failed: Error | null } = { failed: null };
  const worker = async () => {
    while (state.failed === null && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        state.failed ??= asError(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (state.failed !== null) throw state.failed;
}

export interface Progress {
  start(label: string, total: number): void;
  increment(): void;
  stop(): void;
}

const silent: Progress = {
  start: () => undefined,
  increment: () => undefined,
  stop: () => undefined,
};

export interface RushOptions {
  riders: number;
  seed: number;
  /** Identity-number generator seed; random per run when absent. */
  idSeed?: number;
  stations?: readonly StationSpec[];
  gatesPerStation?: number;
  /** Parallel seeding requests. */
  seedConcurrency?: number;
  timeoutMs?: number;
  retries?: number;
  progress?: Progress;
  /** Clock for test sampling times. */
  now?: () => number;
}

export interface RushDeps {
  nc: Pick<NatsConnection, 'request' | 'subscribe'>;
  gateway: GatewayClient;
  authority: AuthorityClient;
}

export interface RushResult {
  summary: Summary;
  population: Population;
  gates: number;
  durationMs: { seeding: number; taps: number };
}

interface RiderState {
  plan: RiderPlan;
  riderId: string | null;
  entry?: { gate: number; input: TapInput; tapId: string; reply: GateReply; code: string | null };
}

type StepKind = 'entry' | 'replay' | 'second-entry' | 'resend' | 'exit';

interface Step {
  kind: StepKind;
  rider: RiderState;
  stationId: string;
  /** Only this gate (re-send) or any gate but this one (replay, second entry). */
  onlyGate?: number;
  notGate?: number;
}

const HOUR_MS = 3_600_000;
const MAX_ID_ATTEMPTS = 5;

export async function runRush(deps: RushDeps, opts: RushOptions): Promise<RushResult> {
  const population = buildPopulation({
    riders: opts.riders,
    seed: opts.seed,
    idSeed: opts.idSeed,
    stations: opts.stations,
  });
  const stations = population.stations;
  const progress = opts.progress ?? silent;
  const now = opts.now ?? Date.now;
  const rng = mulberry32(opts.seed ^ 0x5eed);
  const summary = new Summary(Object.fromEntries(stations.map((s) => [s.stationId, s.name])));
  const riders: RiderState[] = population.riders.map((plan) => ({ plan, riderId: null }));

  const seedStart = Date.now();
  const accounts = riders.filter((r) => RIDE_CODE_KINDS.has(r.plan.kind));
  progress.start('seeding riders', accounts.length);
  try {
    await mapLimit(accounts, opts.seedConcurrency ?? 16, async (r) => {
      await seedRider(deps, population, r, now());
      progress.increment();
    });
  } finally {
    progress.stop();
  }
  const seeding = Date.now() - seedStart;

  const gatesPerStation = opts.gatesPerStation ?? 4;
  const gates = new Map<string, SimGate[]>();
  const responders: CommandResponder[] = [];
  for (const s of stations) {
    const list: SimGate[] = [];
    for (let g = 1; g <= gatesPerStation; g++) {
      const gateId = `G${String(g).padStart(2, '0')}`;
      list.push(
        new SimGate(deps.nc, s.stationId, gateId, {
          timeoutMs: opts.timeoutMs,
          retries: opts.retries,
        }),
      );
      responders.push(respondToCommands(deps.nc, s.stationId, gateId));
    }
    gates.set(s.stationId, list);
  }
  const enabled = new Map(stations.map((s) => [s.stationId, s.oneCodeEnabled]));

  const tapStart = Date.now();
  const planned =
    riders.length +
    riders.filter((r) => r.plan.resendEntry).length +
    riders.filter((r) => r.plan.kind === 'replay' || r.plan.kind === 'already-inside').length +
    riders.filter((r) => r.plan.exitStationId !== null).length;
  progress.start('gate taps', planned);
  try {
    const ctx: StepContext = { deps, summary, enabled, rng, progress };
    // Phase 1: every rider's entry.
    await runPhase(
      gates,
      riders.map((rider) => ({ kind: 'entry', rider, stationId: rider.plan.stationId })),
      ctx,
    );

    // Phase 2: follow-ups that need an answered entry.
    const followUps: Step[] = [];
    for (const rider of riders) {
      const e = rider.entry;
      if (!e) continue;
      const stationId = rider.plan.stationId;
      if (rider.plan.resendEntry)
        followUps.push({ kind: 'resend', rider, stationId, onlyGate: e.gate });
      if (e.reply.outcome !== 'open') continue;
      if (rider.plan.kind === 'replay')
        followUps.push({ kind: 'replay', rider, stationId, notGate: e.gate });
      if (rider.plan.kind === 'already-inside')
        followUps.push({ kind: 'second-entry', rider, stationId, notGate: e.gate });
    }
    await runPhase(gates, shuffleSteps(rng, followUps), ctx);

    // Phase 3: the ones who got in leave, many of them at the other station.
    const exits: Step[] = riders
      .filter(
        (r) =>
          r.entry?.reply.outcome === 'open' && r.plan.exitStationId !== null && r.riderId !== null,
      )
      .map((rider) => ({ kind: 'exit', rider, stationId: rider.plan.exitStationId as string }));
    await runPhase(gates, shuffleSteps(rng, exits), ctx);
  } finally {
    progress.stop();
    summary.setCommandAcks(responders.reduce((n, r) => n + r.acknowledged, 0));
    for (const r of responders) r.stop();
  }
  return {
    summary,
    population,
    gates: stations.length * gatesPerStation,
    durationMs: { seeding, taps: Date.now() - tapStart },
  };
}

function shuffleSteps(rng: Rng, steps: Step[]): Step[] {
  for (let i = steps.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [steps[i], steps[j]] = [steps[j], steps[i]];
  }
  return steps;
}

/** Authority person (a new number on 409), colour, test; then the gateway rider and its authorization. */
async function seedRider(
  deps: RushDeps,
  population: Population,
  r: RiderState,
  now: number,
): Promise<void> {
  const plan = r.plan;
  if (!plan.identity) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.authority.createPerson({
        idNumber: plan.identity.idNumber,
        name: plan.name,
        birthDate: plan.identity.birthDate,
      });
      break;
    } catch (err) {
      if (!(err instanceof HttpError && err.status === 409) || attempt >= MAX_ID_ATTEMPTS)
        throw err;
      plan.identity = population.identities.next();
    }
  }
  const { idNumber } = plan.identity;
  await deps.authority.setColour(idNumber, plan.colour);
  if (plan.testHoursAgo !== null) {
    await deps.authority.addTest(
      idNumber,
      formatShanghai(now - plan.testHoursAgo * HOUR_MS),
      'negative',
    );
  }
  const { riderId } = await deps.gateway.registerRider(randomUUID(), idNumber);
  r.riderId = riderId;
  if (plan.authorize) await deps.gateway.authorize(riderId, idNumber);
}

interface StepContext {
  deps: RushDeps;
  summary: Summary;
  enabled: Map<string, boolean>;
  rng: Rng;
  progress: Progress;
}

/** Each station's gates pull the next step they may take; a gate makes one tap at a time. */
async function runPhase(
  gates: Map<string, SimGate[]>,
  steps: Step[],
  ctx: StepContext,
): Promise<void> {
  const queues = new Map<string, Step[]>();
  for (const s of steps) {
    const q = queues.get(s.stationId) ?? [];
    q.push(s);
    queues.set(s.stationId, q);
  }
  const state: { failure: Error | null } = { failure: null };
  const loops: Promise<void>[] = [];
  for (const [stationId, list] of gates) {
    const queue = queues.get(stationId) ?? [];
    list.forEach((gate, gi) => {
      loops.push(
        (async () => {
          while (state.failure === null) {
            const i = queue.findIndex(
              (s) => (s.onlyGate === undefined || s.onlyGate === gi) && s.notGate !== gi,
            );
            if (i < 0) return;
            const [step] = queue.splice(i, 1);
            try {
              await runStep(gate, gi, step, ctx);
            } catch (err) {
              state.failure ??= asError(err);
            }
            ctx.progress.increment();
          }
        })(),
      );
    });
  }
  await Promise.all(loops);
  if (state.failure !== null) throw state.failure;
}

async function mint(ctx: StepContext, rider: RiderState): Promise<string> {
  if (rider.riderId === null)
    throw new Error(`rider ${rider.plan.index} has no account to mint a code for`);
  return (await ctx.deps.gateway.mintRideCode(rider.riderId)).code;
}

async function entryCredential(
  ctx: StepContext,
  rider: RiderState,
): Promise<{ credential: GateCredential; code: string | null }> {
  const plan = rider.plan;
  const medium = plan.medium ?? '';
  switch (plan.kind) {
    case 'forged-random':
      return { credential: { kind: 'ride-code', code: medium }, code: null };
    case 'forged-jws':
      return {
        credential: { kind: 'ride-code', code: tamperCode(await mint(ctx, rider)) },
        code: null,
      };
    case 'single-journey':
      return { credential: { kind: 'single-journey', ticketNo: medium }, code: null };
    case 'companion':
      return { credential: { kind: 'companion-ticket', ticketNo: medium }, code: null };
    case 'plain-card':
      return { credential: { kind: 'card', cardNo: medium }, code: null };
    case 'offline-code':
      return { credential: { kind: 'offline-code', code: medium }, code: null };
    default: {
      const code = await mint(ctx, rider);
      return { credential: { kind: 'ride-code', code }, code };
    }
  }
}

async function runStep(gate: SimGate, gi: number, step: Step, ctx: StepContext): Promise<void> {
  const { rider } = step;
  const plan = rider.plan;
  const enabled = ctx.enabled.get(step.stationId) ?? false;
  const check = (expected: Expected, reply: GateReply, tapId: string, what: string) => {
    const ok = sameDecision(expected, reply);
    ctx.summary.recordExpectation(
      ok,
      ok
        ? undefined
        : {
            stationId: step.stationId,
            tapId,
            what,
            expected: describeDecision(expected),
            got: describeDecision(reply),
          },
    );
  };

  switch (step.kind) {
    case 'entry': {
      const { credential, code } = await entryCredential(ctx, rider);
      const input: TapInput = { mode: 'entry', temperatureC: plan.temperatureC, credential };
      const res = await gate.tap(input);
      ctx.summary.recordTap({ stationId: step.stationId, ...res });
      rider.entry = { gate: gi, input, tapId: res.tapId, reply: res.reply, code };
      check(expectedEntry(plan.kind, enabled), res.reply, res.tapId, `${plan.kind} entry`);
      return;
    }
    case 'resend': {
      const e = rider.entry;
      if (!e) return;
      const res = await gate.tap({ ...e.input, tapId: e.tapId });
      const differing = differingFields(e.reply, res.reply);
      ctx.summary.recordResend(
        differing.length === 0,
        differing.length === 0
          ? undefined
          : {
              stationId: step.stationId,
              tapId: e.tapId,
              what: 'idempotent re-send',
              expected: 'the same reply',
              got: `different ${differing.join(', ')}`,
            },
      );
      return;
    }
    case 'replay': {
      const e = rider.entry;
      if (!e?.code) return;
      const res = await gate.tap({
        mode: 'entry',
        temperatureC: plan.temperatureC,
        credential: { kind: 'ride-code', code: e.code },
      });
      ctx.summary.recordTap({ stationId: step.stationId, ...res });
      check(
        { outcome: 'deny', reasons: ['CODE_REPLAYED'] },
        res.reply,
        res.tapId,
        'replayed code at another gate',
      );
      return;
    }
    case 'second-entry': {
      const code = await mint(ctx, rider);
      const res = await gate.tap({
        mode: 'entry',
        temperatureC: plan.temperatureC,
        credential: { kind: 'ride-code', code },
      });
      ctx.summary.recordTap({ stationId: step.stationId, ...res });
      check(
        { outcome: 'deny', reasons: ['ALREADY_INSIDE'] },
        res.reply,
        res.tapId,
        'second entry while inside',
      );
      return;
    }
    case 'exit': {
      const code = await mint(ctx, rider);
      const temperatureC = Math.round((36.2 + ctx.rng() * 0.7) * 10) / 10;
      const res = await gate.tap({
        mode: 'exit',
        temperatureC,
        credential: { kind: 'ride-code', code },
      });
      ctx.summary.recordTap({ stationId: step.stationId, ...res });
      check({ outcome: 'open', reasons: [] }, res.reply, res.tapId, 'exit');
      return;
    }
  }
}
