/**
 * Riders of every credential kind, and the scripted staff desk that clears some of them, at
 * S0312 after the rush: elderly riders with paper offline codes, children with relatives'
 * codes, day-ticket holders (checkpoint first, or not), companions, 保通卡 holders, linked and
 * lost cards, ID cards and 随申码 at a digital sentinel, and a person the health authority traces across
 * a ride and a sentinel; riders sent to staff (no linkage, or off the pilot lines) whom the desk
 * clears for their next ride code. Each path's taps count in the rush summary.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { formatShanghai, type Reason } from '../../libs/protocol/src';
import { HttpError, type AuthorityClient, type Caller, type GatewayClient } from './clients';
import { SimCheckpoint, SimGate, respondToCommands, type TapResult } from './gate';
import { idCheckChar } from './population';
import { mapLimit, sameDecision, type Expected } from './rush';
import { table, type Summary } from './summary';

export const PATHS = [
  'elderly-offline-code',
  'child-relative-code',
  'day-ticket-checkpoint',
  'day-ticket-no-checkpoint',
  'companion',
  'guarantee-card',
  'linked-card',
  'lost-card',
  'id-card-sentinel',
  'health-code-sentinel',
  'traced-across-paths',
  'unauthorized-cleared',
  'off-pilot-cleared',
] as const;
export type PathKind = (typeof PATHS)[number];

export const PATH_STATION = 'S0312';
/** Lines 1, 2 and 8: one-code riding is not enabled there. */
const OFF_PILOT_STATION = 'S0105';
const STAFF: Caller = { role: 'staff', sub: 'sim-desk-1', station: PATH_STATION };
const OPERATOR: Caller = { role: 'operator', sub: 'sim-operator' };
const AUTHORITY: Caller = { role: 'authority', sub: 'sim-tracer' };
const SENTINEL = 'SEC01';
const HOUR_MS = 3_600_000;
const MAX_ID_ATTEMPTS = 5;

/** Riders per path: about 1 % of the rush each, at least two so both desk branches show. */
export function pathCounts(riders: number): Record<PathKind, number> {
  const n = Math.max(2, Math.round(riders * 0.01));
  return Object.fromEntries(PATHS.map((p) => [p, n])) as Record<PathKind, number>;
}

export interface PathTally {
  riders: number;
  taps: number;
  checked: number;
  met: number;
  /** Riders the desk cleared (verified, registered, passed or opened for). */
  clearedByStaff: number;
}

export interface PathsJson {
  staffActs: number;
  byPath: Record<PathKind, PathTally>;
}

export class PathsSummary {
  private readonly tallies = Object.fromEntries(
    PATHS.map((p) => [p, { riders: 0, taps: 0, checked: 0, met: 0, clearedByStaff: 0 }]),
  ) as Record<PathKind, PathTally>;
  staffActs = 0;

  tally(path: PathKind): PathTally {
    return this.tallies[path];
  }

  toJson(): PathsJson {
    return {
      staffActs: this.staffActs,
      byPath: Object.fromEntries(PATHS.map((p) => [p, { ...this.tallies[p] }])) as Record<
        PathKind,
        PathTally
      >,
    };
  }

  toTable(): string {
    return [
      'Credential paths at S0312 (after the rush)',
      table(
        ['path', 'riders', 'taps', 'as scripted', 'cleared by staff'],
        PATHS.map((p) => {
          const t = this.tallies[p];
          return [
            p,
            String(t.riders),
            String(t.taps),
            `${t.met}/${t.checked}`,
            String(t.clearedByStaff),
          ];
        }),
      ),
      `staff desk acts: ${this.staffActs}`,
    ].join('\n');
  }
}

export interface PathDeps {
  nc: Pick<NatsConnection, 'request' | 'subscribe'>;
  gateway: GatewayClient;
  authority: AuthorityClient;
}

export interface PathOptions {
  riders: number;
  /** The rush summary: path taps and expectations are counted there too. */
  summary: Summary;
  concurrency?: number;
  now?: () => number;
}

interface Ctx {
  deps: PathDeps;
  summary: Summary;
  paths: PathsSummary;
  gate: SimGate;
  checkpoint: SimCheckpoint;
  now: () => number;
}

const staff = (...reasons: Reason[]): Expected => ({ outcome: 'see-staff', reasons });
const OPEN: Expected = { outcome: 'open', reasons: [] };

/** A unique-enough identity with a birth year in range; a 409 from the authority draws again. */
export function identityBorn(
  fromYear: number,
  toYear: number,
): { idNumber: string; birthDate: string } {
  const year = randomInt(fromYear, toYear + 1);
  const mm = String(randomInt(1, 13)).padStart(2, '0');
  const dd = String(randomInt(1, 29)).padStart(2, '0');
  const first17 = `310104${year}${mm}${dd}${String(randomInt(0, 1000)).padStart(3, '0')}`;
  return { idNumber: first17 + idCheckChar(first17), birthDate: `${year}-${mm}-${dd}` };
}

export async function runPaths(deps: PathDeps, opts: PathOptions): Promise<PathsSummary> {
  const paths = new PathsSummary();
  const gateId = 'G09';
  const responder = respondToCommands(deps.nc, PATH_STATION, gateId);
  const ctx: Ctx = {
    deps,
    summary: opts.summary,
    paths,
    gate: new SimGate(deps.nc, PATH_STATION, gateId),
    checkpoint: new SimCheckpoint(deps.nc, PATH_STATION, SENTINEL),
    now: opts.now ?? Date.now,
  };
  const cast: { path: PathKind; i: number }[] = [];
  for (const [path, n] of Object.entries(pathCounts(opts.riders)) as [PathKind, number][])
    for (let i = 0; i < n; i++) cast.push({ path, i });
  try {
    // The operator's setting: this checkpoint is a digital sentinel (数字哨兵).
    await deps.gateway.request(
      OPERATOR,
      'PUT',
      `/network/stations/${PATH_STATION}/devices/${SENTINEL}`,
      { sentinel: true },
    );
    await mapLimit(cast, opts.concurrency ?? 8, async ({ path, i }) => {
      paths.tally(path).riders += 1;
      await RUN[path](ctx, i);
    });
  } finally {
    const before = opts.summary.toJson().gateCommandsAcknowledged;
    opts.summary.setCommandAcks(before + responder.acknowledged);
    responder.stop();
  }
  return paths;
}

function check(
  ctx: Ctx,
  path: PathKind,
  expected: Expected,
  res: TapResult,
  what: string,
  stationId = PATH_STATION,
): boolean {
  const t = ctx.paths.tally(path);
  t.taps += 1;
  t.checked += 1;
  ctx.summary.recordTap({ stationId, ...res });
  const ok = sameDecision(expected, res.reply);
  if (ok) t.met += 1;
  const describe = (d: { outcome: string; reasons: readonly string[] }) =>
    `${d.outcome}${d.reasons.length ? ` [${d.reasons.join(',')}]` : ''}`;
  ctx.summary.recordExpectation(
    ok,
    ok
      ? undefined
      : {
          stationId,
          tapId: res.tapId,
          what: `${path}: ${what}`,
          expected: describe(expected),
          got: describe(res.reply),
        },
  );
  return ok;
}

async function desk<T>(ctx: Ctx, method: string, path: string, body?: unknown): Promise<T> {
  ctx.paths.staffActs += 1;
  return ctx.deps.gateway.request<T>(STAFF, method, `/stations/${PATH_STATION}/${path}`, body);
}

async function newPerson(ctx: Ctx, born: [number, number], name: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const id = identityBorn(...born);
    try {
      await ctx.deps.authority.createPerson({ ...id, name });
      await ctx.deps.authority.addTest(
        id.idNumber,
        formatShanghai(ctx.now() - 5 * HOUR_MS),
        'negative',
      );
      return id.idNumber;
    } catch (err) {
      if (!(err instanceof HttpError && err.status === 409) || attempt >= MAX_ID_ATTEMPTS)
        throw err;
    }
  }
}

async function newRider(ctx: Ctx, name: string): Promise<string> {
  return (await newAuthorizedRider(ctx, name)).riderId;
}

async function newAuthorizedRider(
  ctx: Ctx,
  name: string,
): Promise<{ riderId: string; idNumber: string }> {
  const idNumber = await newPerson(ctx, [1970, 1995], name);
  const { riderId } = await ctx.deps.gateway.registerRider(randomUUID(), idNumber);
  await ctx.deps.gateway.authorize(riderId, idNumber);
  return { riderId, idNumber };
}

/** A real-name card held by the rider's person, linked to the rider. */
async function linkOwnCard(ctx: Ctx, name: string): Promise<{ riderId: string; cardNo: string }> {
  const { riderId, idNumber } = await newAuthorizedRider(ctx, name);
  const cardNo = mediumNo('31');
  await ctx.deps.authority.registerCard(idNumber, cardNo);
  await ctx.deps.gateway.request(asRider(riderId), 'POST', `/riders/${riderId}/cards`, {
    cardNo,
  });
  return { riderId, cardNo };
}

const asRider = (sub: string): Caller => ({ role: 'rider', sub });
const mediumNo = (prefix: string) => `${prefix}${randomUUID().replace(/-/g, '').slice(0, 14)}`;

type Runner = (ctx: Ctx, i: number) => Promise<void>;

const RUN: Record<PathKind, Runner> = {
  /** Gate: OFFLINE_CODE_NEEDS_STAFF. Desk: code + ID card verified, registered, gate opened remotely. */
  'elderly-offline-code': async (ctx) => {
    const idNumber = await newPerson(ctx, [1940, 1960], '老人');
    const { code } = await ctx.deps.authority.issueOfflineCode(idNumber);
    const res = await ctx.gate.tap({
      mode: 'entry',
      temperatureC: 36.5,
      credential: { kind: 'offline-code', code },
    });
    check(
      ctx,
      'elderly-offline-code',
      staff('OFFLINE_CODE_NEEDS_STAFF'),
      res,
      'offline code at the gate',
    );
    const v = await desk<{ pass: boolean; verificationId: string }>(
      ctx,
      'POST',
      'desk/verify/offline-code',
      { code, idNumber },
    );
    if (!v.pass) return;
    await desk(ctx, 'POST', 'desk/registrations', { verificationId: v.verificationId, idNumber });
    const open = await desk<{ acknowledged: boolean }>(
      ctx,
      'POST',
      `gates/${ctx.gate.gateId}/open`,
      {
        reason: 'staff-verified',
      },
    );
    if (open.acknowledged) ctx.paths.tally('elderly-offline-code').clearedByStaff += 1;
  },

  /** Digital sentinel reads the relative's code; every other child is also checked at the desk. */
  'child-relative-code': async (ctx, i) => {
    const guardian = await newPerson(ctx, [1975, 1990], '家长');
    const child = await newPerson(ctx, [2012, 2018], '孩子');
    const { relativeCode } = await ctx.deps.authority.addRelative(guardian, child);
    const res = await ctx.checkpoint.scan({
      temperatureC: 36.4,
      credential: { kind: 'relative-code', code: relativeCode },
    });
    check(ctx, 'child-relative-code', OPEN, res, "relative's code at the sentinel");
    if (i % 2 === 1) {
      const v = await desk<{ pass: boolean }>(ctx, 'POST', 'desk/verify/relative-code', {
        code: relativeCode,
      });
      if (v.pass) ctx.paths.tally('child-relative-code').clearedByStaff += 1;
    }
  },

  /** Checkpoint scan of the app code, then the day ticket opens the gate; exit closes it. */
  'day-ticket-checkpoint': async (ctx) => {
    const riderId = await newRider(ctx, '游客');
    const ticketNo = mediumNo('DT');
    await ctx.deps.gateway.request(asRider(riderId), 'POST', `/riders/${riderId}/tickets`, {
      ticketNo,
      kind: 'day',
      validFrom: formatShanghai(ctx.now() - HOUR_MS),
    });
    const { code } = await ctx.deps.gateway.mintRideCode(riderId);
    const scan = await ctx.checkpoint.scan({
      temperatureC: 36.5,
      credential: { kind: 'ride-code', code },
    });
    check(ctx, 'day-ticket-checkpoint', OPEN, scan, 'ride code at the checkpoint');
    const entry = await ctx.gate.tap({
      mode: 'entry',
      temperatureC: 36.5,
      credential: { kind: 'day-ticket', ticketNo },
    });
    check(ctx, 'day-ticket-checkpoint', OPEN, entry, 'day ticket after the checkpoint');
    const exit = await ctx.gate.tap({
      mode: 'exit',
      temperatureC: null,
      credential: { kind: 'day-ticket', ticketNo },
    });
    check(ctx, 'day-ticket-checkpoint', OPEN, exit, 'day ticket exit');
  },

  /** Skipped the checkpoint: sent to staff, who check a paper report and issue a one-time pass. */
  'day-ticket-no-checkpoint': async (ctx) => {
    const riderId = await newRider(ctx, '游客');
    const ticketNo = mediumNo('DT');
    await ctx.deps.gateway.request(asRider(riderId), 'POST', `/riders/${riderId}/tickets`, {
      ticketNo,
      kind: 'three-day',
      validFrom: formatShanghai(ctx.now() - HOUR_MS),
    });
    const credential = { kind: 'day-ticket' as const, ticketNo };
    const first = await ctx.gate.tap({ mode: 'entry', temperatureC: 36.5, credential });
    check(
      ctx,
      'day-ticket-no-checkpoint',
      staff('VENUE_CHECK_REQUIRED'),
      first,
      'day ticket, no clearance',
    );
    await clearWithPass(ctx, 'day-ticket-no-checkpoint', { ticketNo }, credential);
  },

  /** 同行票: venue procedure; every other one is cleared at the desk with a one-time pass. */
  companion: async (ctx, i) => {
    const ticketNo = mediumNo('CT');
    const credential = { kind: 'companion-ticket' as const, ticketNo };
    const first = await ctx.gate.tap({ mode: 'entry', temperatureC: 36.6, credential });
    check(ctx, 'companion', staff('VENUE_CHECK_REQUIRED'), first, 'companion ticket');
    if (i % 2 === 0) await clearWithPass(ctx, 'companion', { ticketNo }, credential);
  },

  /** Registered by the operator; no health lookup, temperature still applies. */
  'guarantee-card': async (ctx, i) => {
    const cardNo = mediumNo('BT');
    await ctx.deps.gateway.request(OPERATOR, 'PUT', `/guarantee-cards/${cardNo}`, {
      holderName: '保通人员',
      validFrom: formatShanghai(ctx.now() - 24 * HOUR_MS),
      validUntil: formatShanghai(ctx.now() + 30 * 24 * HOUR_MS),
    });
    const fever = i % 2 === 1;
    const res = await ctx.gate.tap({
      mode: 'entry',
      temperatureC: fever ? 37.6 : 36.5,
      credential: { kind: 'card', cardNo },
    });
    check(ctx, 'guarantee-card', fever ? staff('TEMPERATURE_HIGH') : OPEN, res, '保通卡');
    if (!fever)
      check(
        ctx,
        'guarantee-card',
        OPEN,
        await ctx.gate.tap({
          mode: 'exit',
          temperatureC: null,
          credential: { kind: 'card', cardNo },
        }),
        '保通卡 exit',
      );
  },

  /** The same checks as the app code, for the rider the card is linked to. */
  'linked-card': async (ctx) => {
    const { cardNo } = await linkOwnCard(ctx, '持卡人');
    const credential = { kind: 'card' as const, cardNo };
    check(
      ctx,
      'linked-card',
      OPEN,
      await ctx.gate.tap({ mode: 'entry', temperatureC: 36.5, credential }),
      'linked card',
    );
    check(
      ctx,
      'linked-card',
      OPEN,
      await ctx.gate.tap({ mode: 'exit', temperatureC: null, credential }),
      'linked card exit',
    );
  },

  /** Reported lost by its rider: blocked at once. */
  'lost-card': async (ctx) => {
    const { riderId, cardNo } = await linkOwnCard(ctx, '失主');
    await ctx.deps.gateway.request(
      asRider(riderId),
      'POST',
      `/riders/${riderId}/cards/${cardNo}/report-lost`,
    );
    const res = await ctx.gate.tap({
      mode: 'entry',
      temperatureC: 36.5,
      credential: { kind: 'card', cardNo },
    });
    check(ctx, 'lost-card', { outcome: 'deny', reasons: ['CARD_BLOCKED'] }, res, 'lost card');
  },

  /** 数字哨兵: the ID card is read at the checkpoint; the check-in is keyed by hash. */
  'id-card-sentinel': async (ctx) => {
    const idNumber = await newPerson(ctx, [1960, 2000], '市民');
    const res = await ctx.checkpoint.scan({
      temperatureC: 36.3,
      credential: { kind: 'id-card', idNumber },
    });
    check(ctx, 'id-card-sentinel', OPEN, res, 'ID card at the sentinel');
  },

  /** 数字哨兵: the person's own dynamic 随申码 from the health-code app, read at the sentinel. */
  'health-code-sentinel': async (ctx) => {
    const idNumber = await newPerson(ctx, [1960, 2000], '市民');
    const { code } = await ctx.deps.authority.issueHealthCode(idNumber);
    const res = await ctx.checkpoint.scan({
      temperatureC: 36.4,
      credential: { kind: 'health-code', code },
    });
    check(ctx, 'health-code-sentinel', OPEN, res, '随申码 at the sentinel');
  },

  /** Has not authorized the health linkage: NOT_AUTHORIZED, cleared by the ride code at the desk. */
  'unauthorized-cleared': async (ctx) => {
    const idNumber = await newPerson(ctx, [1970, 1995], '未授权');
    const { riderId } = await ctx.deps.gateway.registerRider(randomUUID(), idNumber);
    await clearRider(
      ctx,
      'unauthorized-cleared',
      PATH_STATION,
      riderId,
      'NOT_AUTHORIZED',
      'rideCode',
    );
  },

  /** At a station off the one-code lines: ONE_CODE_NOT_ENABLED, cleared there by rider id. */
  'off-pilot-cleared': async (ctx) => {
    const riderId = await newRider(ctx, '换乘');
    await clearRider(
      ctx,
      'off-pilot-cleared',
      OFF_PILOT_STATION,
      riderId,
      'ONE_CODE_NOT_ENABLED',
      'riderId',
    );
  },

  /**
   * Contact tracing: a rider rides with the app code, later shows the ID card at the sentinel;
   * the health authority traces the ID number and finds both check-ins, by path.
   */
  'traced-across-paths': async (ctx) => {
    const { riderId, idNumber } = await newAuthorizedRider(ctx, '密接');
    const { code } = await ctx.deps.gateway.mintRideCode(riderId);
    const credential = { kind: 'ride-code' as const, code };
    const ride = await ctx.gate.tap({ mode: 'entry', temperatureC: 36.5, credential });
    check(ctx, 'traced-across-paths', OPEN, ride, 'ride code');
    check(
      ctx,
      'traced-across-paths',
      OPEN,
      await ctx.gate.tap({ mode: 'exit', temperatureC: null, credential }),
      'ride code exit',
    );
    const sentinel = await ctx.checkpoint.scan({
      temperatureC: 36.4,
      credential: { kind: 'id-card', idNumber },
    });
    check(ctx, 'traced-across-paths', OPEN, sentinel, 'ID card at the sentinel');
    const found = await ctx.deps.gateway.request<TraceAnswer>(
      AUTHORITY,
      'POST',
      '/checkins/trace',
      {
        idNumber,
        from: formatShanghai(ctx.now() - HOUR_MS),
        to: formatShanghai(ctx.now() + 60_000),
      },
    );
    const got = found.checkIns.map((c) => `${c.path}:${c.checkInId}`);
    const want = [`ride-code:${ride.reply.checkInId}`, `sentinel:${sentinel.reply.checkInId}`];
    expectThat(
      ctx,
      'traced-across-paths',
      JSON.stringify(got) === JSON.stringify(want),
      'the trace finds the ride and the sentinel check-in',
      got.join(' '),
    );
  },
};

/**
 * A rider the gate sends to staff: the desk verifies them, clears their account for one entry
 * (by the ride code scanned at the desk, or by rider id), and their next code opens the gate
 * with a check-in.
 */
async function clearRider(
  ctx: Ctx,
  path: PathKind,
  stationId: string,
  riderId: string,
  reason: Reason,
  bindBy: 'rideCode' | 'riderId',
): Promise<void> {
  const gate = new SimGate(ctx.deps.nc, stationId, 'G09');
  const entry = async () =>
    gate.tap({
      mode: 'entry',
      temperatureC: 36.5,
      credential: { kind: 'ride-code', code: (await ctx.deps.gateway.mintRideCode(riderId)).code },
    });
  check(ctx, path, staff(reason), await entry(), 'ride code, sent to staff', stationId);
  const atDesk = { ...STAFF, station: stationId };
  ctx.paths.staffActs += 2;
  const v = await ctx.deps.gateway.request<{ pass: boolean; verificationId: string }>(
    atDesk,
    'POST',
    `/stations/${stationId}/desk/verify/temperature`,
    { temperatureC: 36.5 },
  );
  if (!v.pass) return;
  const bind =
    bindBy === 'rideCode'
      ? { rideCode: (await ctx.deps.gateway.mintRideCode(riderId)).code }
      : { riderId };
  await ctx.deps.gateway.request(atDesk, 'POST', `/stations/${stationId}/desk/passes`, {
    ...bind,
    expiresInMinutes: 10,
    verificationId: v.verificationId,
  });
  ctx.paths.tally(path).clearedByStaff += 1;
  const opened = await entry();
  check(ctx, path, OPEN, opened, 'ride code after the desk cleared the rider', stationId);
  expectThat(
    ctx,
    path,
    typeof opened.reply.checkInId === 'string',
    'the opening tap recorded a check-in',
    String(opened.reply.checkInId),
  );
}

interface TraceAnswer {
  checkIns: { checkInId: string; path: string }[];
}

/** Counts a non-tap expectation (an HTTP answer) on a path. */
function expectThat(ctx: Ctx, path: PathKind, ok: boolean, what: string, got: string): void {
  const t = ctx.paths.tally(path);
  t.checked += 1;
  if (ok) t.met += 1;
  ctx.summary.recordExpectation(
    ok,
    ok
      ? undefined
      : { stationId: PATH_STATION, tapId: '-', what: `${path}: ${what}`, expected: 'true', got },
  );
}

async function clearWithPass(
  ctx: Ctx,
  path: PathKind,
  bind: { ticketNo: string },
  credential: { kind: 'day-ticket' | 'companion-ticket'; ticketNo: string },
): Promise<void> {
  const report = await desk<{ pass: boolean; verificationId: string }>(
    ctx,
    'POST',
    'desk/verify/test-report',
    { source: 'paper', sampledAt: formatShanghai(ctx.now() - 20 * HOUR_MS) },
  );
  if (!report.pass) return;
  await desk(ctx, 'POST', 'desk/passes', {
    ...bind,
    expiresInMinutes: 10,
    verificationId: report.verificationId,
  });
  ctx.paths.tally(path).clearedByStaff += 1;
  const again = await ctx.gate.tap({ mode: 'entry', temperatureC: 36.5, credential });
  check(ctx, path, OPEN, again, 'after the one-time pass');
  check(
    ctx,
    path,
    OPEN,
    await ctx.gate.tap({ mode: 'exit', temperatureC: null, credential }),
    'exit',
  );
}
