import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import {
  UNAVAILABLE,
  decide,
  isUnavailable,
  type CredentialFacts,
  type RuleVersion,
  type Unavailable,
} from '@app/decision';
import {
  parseInstant,
  type CheckpointCredential,
  type GateReply,
  type ScanRequest,
} from '@app/protocol';
import { RiderFactsService } from '../riders/rider-facts.service';
import type { Clock } from '../common/clock';
import type { Logger } from '../common/logger';
import { systemTimer, type Timer } from '../common/timer';
import { CLOCK, CONFIG, LOGGER, TIMER } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { GatePipeline, type Turn } from './gate.pipeline';
import { decisionReply } from './replies';
import { AuthorityClient, toFacts } from '../health-link/authority.client';
import { RideCodeService } from '../ride-code/ride-code.service';
import { hashIdNumber } from '../riders/id-hash';
import { NetworkDirectory } from '../network/network.directory';
import { ClearancesRepository } from '../checkpoint/clearances.repository';

/** Who a passing scan checks in: a rider account, or a person known only by a keyed hash. */
interface ScanPerson {
  riderId: string | null;
  personKey: Buffer | null;
  medium: string | null;
}

interface ScanFacts {
  facts: CredentialFacts;
  person: ScanPerson | null;
}

const NOBODY = { person: null };
const CLEARANCE_KEEP_MS = 24 * 3_600_000;
const MAX_AUTHORITY_CODE = 128;
/** What only a digital sentinel reads (spec: "A checkpoint in digital-sentinel mode"). */
const SENTINEL_KINDS: ReadonlySet<CheckpointCredential['kind']> = new Set([
  'id-card',
  'relative-code',
  'health-code',
]);

/**
 * A security-checkpoint scan: the entry's health checks without consuming the code or
 * touching anti-passback. A pass records the venue check-in (group-committed) and, for a
 * ride code, a clearance that opens the rider's day ticket at this station for a while.
 */
@Injectable()
export class CheckpointService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly gates: GatePipeline,
    private readonly rideCodes: RideCodeService,
    private readonly riders: RiderFactsService,
    private readonly authority: AuthorityClient,
    private readonly clearances: ClearancesRepository,
    private readonly network: NetworkDirectory,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly log: Logger,
    @Optional() @Inject(TIMER) private readonly monotonic: Timer = systemTimer,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.purge(), 10 * 60_000).unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Decided once per (station, device, tapId, request), by the scan's deadline, as a tap is. */
  handle(req: ScanRequest, arrivedAtMs: number): Promise<GateReply> {
    return this.gates.answer(req, arrivedAtMs, (turn) => this.decideScan(req, turn));
  }

  private async decideScan(req: ScanRequest, turn: Turn): Promise<GateReply> {
    const { rules, now, ctx } = turn;
    const sentinel = this.network.isSentinel(req.stationId, req.deviceId);
    const est = await this.establish(req.credential, rules, now, turn.deadlineMs, sentinel);
    if (isUnavailable(est)) return this.gates.done(req, turn, this.gates.unavailable(turn));
    const decision = decide({
      mode: 'entry',
      temperatureC: req.temperatureC,
      credential: est.facts,
      rules,
      now,
    });
    if (decision.outcome !== 'open' || est.person === null)
      return this.gates.done(req, turn, decisionReply(ctx, decision));

    const out = await this.gates.admit(turn, {
      stationId: req.stationId,
      gateId: req.deviceId,
      tapId: req.tapId,
      mode: 'entry',
      traveller: `scan:${req.stationId}/${req.deviceId}/${req.tapId}`,
      riderId: est.person.riderId,
      medium: est.person.medium,
      jti: null,
      jtiExpiresAt: null,
      checkInId: randomUUID(),
      decidedAt: now,
      policyVersion: rules.id,
      policyHash: turn.hash,
      personKey: est.person.personKey,
      venueOnly: true,
      device: 'checkpoint',
      fingerprint: turn.fingerprint,
    });
    if (out.outcome === 'open' && est.person.riderId !== null) {
      try {
        await this.clearances.record({
          stationId: req.stationId,
          deviceId: req.deviceId,
          tapId: req.tapId,
          riderId: est.person.riderId,
          clearedAt: new Date(parseInstant(out.decidedAt) ?? now),
        });
      } catch (e) {
        // The check-in stands; the retry finds its receipt and records the clearance again.
        this.log.warn({ err: (e as Error).message, tapId: req.tapId }, 'clearance not recorded');
        return this.gates.done(req, turn, this.gates.unavailable(turn));
      }
    }
    return this.gates.done(req, turn, out);
  }

  private async establish(
    c: CheckpointCredential,
    rules: RuleVersion,
    now: number,
    deadlineMs: number,
    isSentinel: boolean,
  ): Promise<ScanFacts | Unavailable> {
    // Only a device the operator made a digital sentinel reads a person's own credentials;
    // any other checkpoint sends them to the venue procedure, and asks the authority nothing.
    if (SENTINEL_KINDS.has(c.kind) && !isSentinel)
      return { facts: { kind: 'venue-check' }, ...NOBODY };
    // The authority waits at most the operator's bound, and never past the scan's deadline.
    const budgetMs = Math.min(
      rules.healthServiceFallback.timeoutMs,
      Math.max(1, deadlineMs - this.monotonic.now()),
    );
    switch (c.kind) {
      case 'ride-code': {
        const verified = await this.rideCodes.verify(c.code, now);
        if (verified.status !== 'valid')
          return {
            facts: {
              kind: 'rejected',
              reason: verified.status === 'expired' ? 'CODE_EXPIRED' : 'CODE_INVALID',
            },
            ...NOBODY,
          };
        const riderId = verified.claims.sub;
        const facts = await this.riders.of(riderId, 'entry', rules, deadlineMs);
        if (isUnavailable(facts)) return facts;
        return { facts, person: { riderId, personKey: null, medium: null } };
      }
      case 'offline-code':
        return { facts: { kind: 'offline-code' }, ...NOBODY };
      case 'id-card':
        return this.sentinel(c.idNumber, 'id-card', () =>
          this.authority.lookupIdNumber(c.idNumber, 'digital-sentinel', budgetMs),
        );
      case 'relative-code': {
        // The health-code service issues codes of at most 128 characters.
        if (c.code.length > MAX_AUTHORITY_CODE)
          return { facts: { kind: 'rejected', reason: 'CODE_INVALID' }, ...NOBODY };
        let v;
        try {
          v = await this.authority.verifyRelativeCode(c.code, budgetMs);
        } catch {
          return { facts: { kind: 'sentinel', health: UNAVAILABLE }, ...NOBODY };
        }
        if (v.status !== 'valid' || v.dependantIdNumber === null)
          return { facts: { kind: 'rejected', reason: 'CODE_INVALID' }, ...NOBODY };
        const dependant = v.dependantIdNumber;
        return this.sentinel(dependant, 'relative-code', async () => v.health);
      }
      case 'health-code': {
        // The person's own dynamic 随申码: the authority says whose it is and whether it is live.
        if (c.code.length > MAX_AUTHORITY_CODE)
          return { facts: { kind: 'rejected', reason: 'CODE_INVALID' }, ...NOBODY };
        let v;
        try {
          v = await this.authority.verifyHealthCode(c.code, budgetMs);
        } catch {
          return { facts: { kind: 'sentinel', health: UNAVAILABLE }, ...NOBODY };
        }
        if (v.status === 'expired')
          return { facts: { kind: 'rejected', reason: 'CODE_EXPIRED' }, ...NOBODY };
        if (v.status !== 'valid' || v.idNumber === null || v.health === null)
          return { facts: { kind: 'rejected', reason: 'CODE_INVALID' }, ...NOBODY };
        const health = v.health;
        return this.sentinel(v.idNumber, 'health-code', async () => health);
      }
    }
  }

  /**
   * Digital sentinel: the person's status straight from the authority, checked in by keyed
   * hash. A sentinel is a venue device: it checks wherever it stands, one-code line or not.
   */
  private async sentinel(
    idNumber: string,
    medium: string,
    lookup: () => Promise<{
      colour: 'green' | 'yellow' | 'red';
      latestNegativeSampledAt: string | null;
    } | null>,
  ): Promise<ScanFacts> {
    const person = {
      riderId: null,
      personKey: hashIdNumber(this.config.idHashKey, idNumber),
      medium,
    };
    let health;
    try {
      health = await lookup();
    } catch {
      return { facts: { kind: 'sentinel', health: UNAVAILABLE }, person };
    }
    // Unknown to the health-code service: the venue procedure with staff.
    if (health === null) return { facts: { kind: 'venue-check' }, ...NOBODY };
    return {
      facts: { kind: 'sentinel', health: { kind: 'fresh', facts: toFacts(health) } },
      person,
    };
  }

  private async purge(): Promise<void> {
    try {
      await this.clearances.purgeBefore(new Date(this.clock.now() - CLEARANCE_KEEP_MS));
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'clearance purge failed; will retry');
    }
  }
}
