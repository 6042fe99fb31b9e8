import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { displayFor, formatShanghai, type GateReply } from '@app/protocol';
import { CONFIG } from '../common/tokens';
import type { GatewayConfig } from '../config';

/**
 * What a reply is rebuilt from. The tap id is in the key and the display follows from the
 * reasons, so neither is kept, and the reasons and policy version are shared with the decision:
 * a remembered tap costs little more than its key and check-in id.
 */
interface Entry {
  /** The request this reply answered: another request with the same tapId never gets it. */
  fingerprint: string;
  outcome: GateReply['outcome'];
  reasons: GateReply['reasons'];
  checkInId: string | null;
  policyVersion: string | null;
  policyHash: string | null;
  decidedAtMs: number;
  expiresAt: number;
}

const MAX_ENTRIES = 100_000;

/** Whose tapIds these are. A checkpoint device whose id equals a gate's id is another device. */
export interface TapDevice {
  kind: 'gate' | 'checkpoint';
  stationId: string;
  id: string;
}

/** What a request asks (credential, mode, reading): the same tapId must always ask the same. */
export function requestFingerprint(r: {
  mode?: 'entry' | 'exit';
  temperatureC: number | null;
  credential: object;
}): string {
  // Parsed requests carry only the fields the protocol knows, so this is their canonical form.
  const c = r.credential as Record<string, unknown>;
  const fields = Object.keys(c)
    .sort()
    .map((k) => [k, c[k]]);
  return createHash('sha256')
    .update(JSON.stringify([r.mode ?? 'entry', r.temperatureC, fields]))
    .digest('base64url')
    .slice(0, 22);
}

/**
 * A string built by concatenation (a template literal, randomUUID) is a tree of its pieces in V8,
 * and a map keeps the whole tree alive: a UUID's tree is about 600 bytes. normalize() returns an
 * ASCII string as one flat copy.
 */
const flat = (s: string): string => s.normalize();

/**
 * Per-instance memory of recent replies, and of taps still being decided, so a gate's retry
 * gets the same reply. Open taps are also recorded durably (tap_receipts), so a retry that
 * lands on another instance still gets its original reply.
 */
@Injectable()
export class IdempotencyCache implements OnModuleDestroy {
  private readonly done = new Map<string, Entry>();
  private readonly running = new Map<string, { fingerprint: string; reply: Promise<GateReply> }>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly windowMs: number;

  constructor(@Inject(CONFIG) config: Pick<GatewayConfig, 'idempotencyWindowMinutes'>) {
    this.windowMs = config.idempotencyWindowMinutes * 60_000;
    this.sweeper = setInterval(() => this.sweep(), 10_000).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  get inFlight(): number {
    return this.running.size;
  }

  get remembered(): number {
    return this.done.size;
  }

  /**
   * The same tap (device, tapId and request) within the window gets the same reply, decided
   * once. The same tapId with another request gets `mismatch()`, never the other's reply.
   */
  async run(
    device: TapDevice,
    tapId: string,
    fingerprint: string,
    decide: () => Promise<GateReply>,
    mismatch: () => GateReply,
  ): Promise<GateReply> {
    const key = `${device.kind}/${device.stationId}/${device.id}/${tapId}`;
    const hit = this.done.get(key);
    if (hit && hit.expiresAt > performance.now())
      return hit.fingerprint === fingerprint ? replyOf(tapId, hit) : mismatch();
    const running = this.running.get(key);
    if (running) return running.fingerprint === fingerprint ? running.reply : mismatch();
    const p = decide();
    this.running.set(key, { fingerprint, reply: p });
    try {
      const reply = await p;
      // A record outage is transient: let the retry try again rather than repeat it. A refused
      // reuse of the tapId must not take the place of the first request's reply.
      if (
        !reply.reasons.includes('RECORD_UNAVAILABLE') &&
        !reply.reasons.includes('MALFORMED_REQUEST')
      )
        this.remember(key, fingerprint, reply);
      return reply;
    } finally {
      this.running.delete(key);
    }
  }

  private remember(key: string, fingerprint: string, r: GateReply): void {
    if (this.done.size >= MAX_ENTRIES) {
      const oldest = this.done.keys().next();
      if (!oldest.done) this.done.delete(oldest.value);
    }
    this.done.set(flat(key), {
      fingerprint: flat(fingerprint),
      outcome: r.outcome,
      reasons: r.reasons,
      checkInId: r.checkInId === null ? null : flat(r.checkInId),
      policyVersion: r.policyVersion,
      policyHash: r.policyHash,
      // Always formatShanghai's output, to the millisecond, so it formats back to the same text.
      decidedAtMs: Date.parse(r.decidedAt),
      expiresAt: performance.now() + this.windowMs,
    });
  }

  private sweep(): void {
    const now = performance.now();
    for (const [k, e] of this.done) {
      if (e.expiresAt > now) break; // insertion order is expiry order
      this.done.delete(k);
    }
  }
}

/** A fresh object each time: a caller may not share, let alone change, a remembered reply. */
function replyOf(tapId: string, e: Entry): GateReply {
  return {
    v: 1,
    tapId,
    outcome: e.outcome,
    reasons: [...e.reasons],
    display: displayFor(e.reasons),
    checkInId: e.checkInId,
    policyVersion: e.policyVersion,
    policyHash: e.policyHash,
    decidedAt: formatShanghai(e.decidedAtMs),
  };
}
