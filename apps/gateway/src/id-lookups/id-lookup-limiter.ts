import { Inject, Injectable } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import type { Clock } from '../common/clock';
import { AppError } from '../common/errors';
import { CLOCK, CONFIG } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { hashIdNumber } from '../riders/id-hash';
import { IdLookupsRepository } from './id-lookups.repository';

/** Who reads a status by ID number: a staff member at a desk, or a checkpoint device. */
export type LookupActor =
  | { kind: 'staff'; staffId: string; stationId: string }
  | { kind: 'device'; deviceId: string; stationId: string };

export type LookupVerdict =
  | { ok: true }
  /** Over the allowance; the lookup may be tried again after this many seconds. */
  | { ok: false; retryAfterSeconds: number };

const WINDOW_MS = 60_000;

/** What an HTTP caller over its allowance gets: 429 with Retry-After. */
export const refusedLookup = (retryAfterSeconds: number): AppError =>
  new AppError(
    'RATE_LIMITED',
    `too many status lookups by ID number: retry after ${retryAfterSeconds} s`,
    { retryAfterSeconds },
  );
const THROTTLER = 'id-lookups';

/**
 * A status read by ID number is an oracle of someone's health, so each is bounded and
 * recorded before it happens: at most ID_LOOKUPS_PER_MINUTE per staff member, and
 * ID_SCANS_PER_MINUTE per checkpoint device (and ID_SCANS_PER_MINUTE_PER_STATION over a
 * station's devices, so device ids made up on the spot gain nothing). Every attempt, refused
 * or not, leaves an `id_lookups` row with the keyed hash of the number, never the number;
 * without that row there is no lookup.
 *
 * The counts live in the throttler's storage: in memory, per instance, unless the throttler
 * is given a shared store.
 */
@Injectable()
export class IdLookupLimiter {
  constructor(
    @Inject(ThrottlerStorage) private readonly storage: ThrottlerStorage,
    private readonly repo: IdLookupsRepository,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Takes one lookup from the actor's allowance and records the attempt; rejects if it cannot. */
  async admit(actor: LookupActor, idNumber: string): Promise<LookupVerdict> {
    const verdict = await this.take(actor);
    await this.repo.append({
      at: new Date(this.clock.now()),
      stationId: actor.stationId,
      actorKind: actor.kind,
      actorId: actor.kind === 'staff' ? actor.staffId : actor.deviceId,
      personKey: hashIdNumber(this.config.idHashKey, idNumber),
      outcome: verdict.ok ? 'admitted' : 'rate-limited',
    });
    return verdict;
  }

  private async take(actor: LookupActor): Promise<LookupVerdict> {
    const limits: [string, number][] =
      actor.kind === 'staff'
        ? [[`staff:${actor.staffId}`, this.config.idLookupsPerMinute]]
        : [
            [`device:${actor.stationId}/${actor.deviceId}`, this.config.idScansPerMinute],
            [`station:${actor.stationId}`, this.config.idScansPerMinutePerStation],
          ];
    for (const [key, limit] of limits) {
      const r = await this.storage.increment(`${THROTTLER}:${key}`, WINDOW_MS, limit, 0, THROTTLER);
      if (r.isBlocked) return { ok: false, retryAfterSeconds: Math.max(1, r.timeToBlockExpire) };
    }
    return { ok: true };
  }
}
