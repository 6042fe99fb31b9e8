/**
 * Riders of a realistic morning-rush mix. The mix (kinds, stations, readings, test ages, who exits,
 * which taps a gate re-sends) is deterministic for a seed. Identity numbers and media numbers come
 * from a separate per-run generator, so reruns against the same authority do not collide.
 */
import { randomInt } from 'node:crypto';
import type { Colour } from './clients';

export type Rng = () => number;

/** mulberry32: small, fast, good enough for a simulation; deterministic for a seed. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const intBetween = (rng: Rng, min: number, max: number): number =>
  min + Math.floor(rng() * (max - min + 1));
const floatBetween = (rng: Rng, min: number, max: number): number => min + rng() * (max - min);
const round1 = (x: number): number => Math.round(x * 10) / 10;
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

export function shuffle<T>(rng: Rng, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

export type RiderKind =
  | 'healthy'
  | 'test-expired'
  | 'yellow'
  | 'test-missing'
  | 'not-authorized'
  | 'fever'
  | 'temp-missing'
  | 'forged-random'
  | 'forged-jws'
  | 'replay'
  | 'already-inside'
  | 'single-journey'
  | 'companion'
  | 'plain-card'
  | 'offline-code';

/** Approximate share of each kind at a station; `healthy` takes whatever the others leave. */
export const MIX: Readonly<Record<Exclude<RiderKind, 'healthy'>, number>> = {
  'test-expired': 0.04,
  yellow: 0.03,
  'test-missing': 0.03,
  'not-authorized': 0.03,
  fever: 0.03,
  'temp-missing': 0.02,
  'forged-random': 0.01,
  'forged-jws': 0.01,
  replay: 0.02,
  'already-inside': 0.02,
  'single-journey': 0.02,
  companion: 0.015,
  'plain-card': 0.02,
  'offline-code': 0.025,
};

/** Kinds whose story needs an entry that opened first, so only at a station with one-code riding. */
const NEEDS_OPEN_ENTRY: ReadonlySet<RiderKind> = new Set(['replay', 'already-inside']);

/** Kinds that hold a metro-app account: a person at the authority and a rider at the gateway. */
export const RIDE_CODE_KINDS: ReadonlySet<RiderKind> = new Set([
  'healthy',
  'test-expired',
  'yellow',
  'test-missing',
  'not-authorized',
  'fever',
  'temp-missing',
  'forged-jws',
  'replay',
  'already-inside',
]);

export interface StationSpec {
  stationId: string;
  name: string;
  /** Whether the seeded rules enable one-code riding here; decides what the riders should get. */
  oneCodeEnabled: boolean;
}

export const RUSH_STATIONS: readonly StationSpec[] = [
  { stationId: 'S0312', name: 'Zhongshan Park', oneCodeEnabled: true },
  { stationId: 'S0105', name: "People's Square", oneCodeEnabled: false },
];

export interface Identity {
  idNumber: string;
  /** YYYY-MM-DD, the same date the ID number carries. */
  birthDate: string;
}

export interface RiderPlan {
  /** Unique within the population. */
  index: number;
  kind: RiderKind;
  stationId: string;
  name: string;
  /** For ride-code kinds; null for tickets, plain cards and paper codes. */
  identity: Identity | null;
  colour: Colour;
  /** Sampling time of the negative test, hours before the seeding; null for none. */
  testHoursAgo: number | null;
  /** Whether the rider authorizes the health linkage at the gateway. */
  authorize: boolean;
  /** The gate's reading at entry. */
  temperatureC: number | null;
  /** Ticket or card number, or the text of a paper code; null for ride-code kinds. */
  medium: string | null;
  /** Where the rider leaves after an entry that opened; null when they stay inside for the demo. */
  exitStationId: string | null;
  /** Whether the gate re-sends the entry tap with the same tapId (idempotency check). */
  resendEntry: boolean;
}

export const ID_NUMBER_RE = /^[0-9]{17}[0-9X]$/;
const AREA_CODE = '310101';
const CHECK_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

/** ISO 7064 MOD 11-2 check character of a resident ID number's first 17 digits. */
export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * CHECK_WEIGHTS[i];
  return CHECK_CHARS[sum % 11];
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** A random identity: area 310101, a birth date 1950..2004, three random digits, the real check char. */
export function randomIdentity(rng: Rng): Identity {
  const year = intBetween(rng, 1950, 2004);
  const month = intBetween(rng, 1, 12);
  const day = intBetween(rng, 1, 28);
  const birth = `${year}${pad(month, 2)}${pad(day, 2)}`;
  const first17 = `${AREA_CODE}${birth}${pad(intBetween(rng, 0, 999), 3)}`;
  return {
    idNumber: first17 + idCheckChar(first17),
    birthDate: `${year}-${pad(month, 2)}-${pad(day, 2)}`,
  };
}

/** Hands out identities that are unique within the run; `next` again after a 409 from the authority. */
export class IdentityPool {
  private readonly used = new Set<string>();
  private readonly rng: Rng;

  constructor(seed: number = randomInt(0, 2 ** 32 - 1)) {
    this.rng = mulberry32(seed);
  }

  next(): Identity {
    for (;;) {
      const id = randomIdentity(this.rng);
      if (!this.used.has(id.idNumber)) {
        this.used.add(id.idNumber);
        return id;
      }
    }
  }

  /** A medium number nobody has seen: unknown to the gateway. */
  mediumNo(prefix: string): string {
    let digits = '';
    for (let i = 0; i < 12; i++) digits += String(Math.floor(this.rng() * 10));
    return `${prefix}${digits}`;
  }
}

const SURNAMES = [
  '王',
  '李',
  '张',
  '刘',
  '陈',
  '杨',
  '黄',
  '赵',
  '吴',
  '周',
  '徐',
  '孙',
  '朱',
  '沈',
  '陆',
  '顾',
];
const GIVEN = [
  '伟',
  '芳',
  '敏',
  '静',
  '磊',
  '洁',
  '勇',
  '艳',
  '杰',
  '娟',
  '涛',
  '明',
  '超',
  '霞',
  '平',
  '刚',
  '婷',
  '晨',
  '浩',
  '雪',
];

/** Per-station counts of each kind: every kind at least once when the station has room for it. */
export function kindCounts(riders: number, station: StationSpec): Record<RiderKind, number> {
  const counts = { healthy: 0 } as Record<RiderKind, number>;
  const others = (Object.keys(MIX) as Exclude<RiderKind, 'healthy'>[]).filter(
    (k) => station.oneCodeEnabled || !NEEDS_OPEN_ENTRY.has(k),
  );
  for (const k of Object.keys(MIX) as RiderKind[]) counts[k] = 0;
  let used = 0;
  for (const k of others) {
    counts[k] = Math.round(MIX[k] * riders);
    used += counts[k];
  }
  // A few of each: bump a missing kind while at least half the station stays healthy.
  for (const k of others) {
    if (counts[k] === 0 && used + 1 <= Math.floor(riders / 2)) {
      counts[k] = 1;
      used += 1;
    }
  }
  // Tiny runs: trim the largest kinds until they fit.
  while (used > riders) {
    const largest = others.reduce((a, b) => (counts[b] > counts[a] ? b : a));
    counts[largest] -= 1;
    used -= 1;
  }
  counts.healthy = riders - used;
  return counts;
}

export interface PopulationOptions {
  riders: number;
  seed: number;
  /** Seed of the identity generator; random per run when absent. */
  idSeed?: number;
  stations?: readonly StationSpec[];
  /** Share of riders who opened an entry and exit later. */
  exitShare?: number;
  /** Share of entry taps the gate re-sends with the same tapId. */
  resendShare?: number;
}

export interface Population {
  riders: RiderPlan[];
  stations: readonly StationSpec[];
  identities: IdentityPool;
}

export function buildPopulation(opts: PopulationOptions): Population {
  const stations = opts.stations ?? RUSH_STATIONS;
  const exitShare = opts.exitShare ?? 0.3;
  const resendShare = opts.resendShare ?? 0.05;
  const rng = mulberry32(opts.seed);
  const identities = new IdentityPool(opts.idSeed);
  const riders: RiderPlan[] = [];

  stations.forEach((station, si) => {
    const n =
      Math.floor(opts.riders / stations.length) + (si < opts.riders % stations.length ? 1 : 0);
    const counts = kindCounts(n, station);
    const kinds: RiderKind[] = [];
    for (const k of Object.keys(counts) as RiderKind[])
      for (let i = 0; i < counts[k]; i++) kinds.push(k);
    for (const kind of kinds)
      riders.push(planRider(rng, identities, kind, station, stations, exitShare));
  });

  shuffle(rng, riders);
  riders.forEach((r, i) => {
    r.index = i;
    r.resendEntry = rng() < resendShare;
  });
  // At least one idempotency check in any run big enough to be a rush.
  if (riders.length >= 20 && !riders.some((r) => r.resendEntry)) riders[0].resendEntry = true;
  return { riders, stations, identities };
}

function planRider(
  rng: Rng,
  ids: IdentityPool,
  kind: RiderKind,
  station: StationSpec,
  stations: readonly StationSpec[],
  exitShare: number,
): RiderPlan {
  const rideCode = RIDE_CODE_KINDS.has(kind);
  const plan: RiderPlan = {
    index: 0,
    kind,
    stationId: station.stationId,
    name: pick(rng, SURNAMES) + pick(rng, GIVEN) + (rng() < 0.5 ? pick(rng, GIVEN) : ''),
    identity: rideCode ? ids.next() : null,
    colour: kind === 'yellow' ? 'yellow' : 'green',
    testHoursAgo: null,
    authorize: rideCode && kind !== 'not-authorized',
    temperatureC: round1(floatBetween(rng, 36.0, 37.0)),
    medium: null,
    exitStationId: null,
    resendEntry: false,
  };
  if (rideCode && kind !== 'test-missing') {
    plan.testHoursAgo =
      kind === 'test-expired'
        ? round1(floatBetween(rng, 73, 100))
        : round1(floatBetween(rng, 2, 60));
  }
  if (kind === 'fever') plan.temperatureC = round1(floatBetween(rng, 37.3, 38.5));
  if (kind === 'temp-missing') plan.temperatureC = null;
  switch (kind) {
    case 'single-journey':
      plan.medium = ids.mediumNo('SJ');
      break;
    case 'companion':
      plan.medium = ids.mediumNo('CT');
      break;
    case 'plain-card':
      plan.medium = ids.mediumNo('31');
      break;
    case 'offline-code':
      plan.medium = `SSM-OFFLINE-${ids.mediumNo('')}`;
      break;
    case 'forged-random':
      plan.medium = ids.mediumNo('FAKE');
      break;
    default:
      break;
  }
  const opensEntry = station.oneCodeEnabled && (kind === 'healthy' || NEEDS_OPEN_ENTRY.has(kind));
  // Morning rush: many who entered at one station leave at the other.
  const exits = opensEntry && (NEEDS_OPEN_ENTRY.has(kind) || rng() < exitShare);
  if (exits) plan.exitStationId = pick(rng, stations).stationId;
  return plan;
}
