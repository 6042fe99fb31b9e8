import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { GateReply } from '@app/protocol';
import { CONFIG } from '../common/tokens';
import type { GatewayConfig } from '../config';

interface Entry {
  /** The reply as JSON: one flat string is a fraction of the object graph's memory. */
  reply: string;
  expiresAt: number;
}

const MAX_ENTRIES = 100_000;

/**
 * Per-instance memory of recent replies, and of taps still being decided, so a gate's retry
 * gets the same reply. Open taps are also recorded durably (tap_receipts), so a retry that
 * lands on another instance still gets its original reply.
 */
@Injectable()
export class IdempotencyCache implements OnModuleDestroy {
  private readonly done = new Map<string, Entry>();
  private readonly running = new Map<string, Promise<GateReply>>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly windowMs: number;

  constructor(@Inject(CONFIG) config: GatewayConfig) {
    this.windowMs = config.idempotencyWindowMinutes * 60_000;
    this.sweeper = setInterval(() => this.sweep(), 10_000).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  get inFlight(): number {
    return this.running.size;
  }

  async run(key: string, decide: () => Promise<GateReply>): Promise<GateReply> {
    const hit = this.done.get(key);
    if (hit && hit.expiresAt > performance.now()) return JSON.parse(hit.reply) as GateReply;
    const running = this.running.get(key);
    if (running) return running;
    const p = decide();
    this.running.set(key, p);
    try {
      const reply = await p;
      // A record outage is transient: let the retry try again rather than repeat it.
      if (!reply.reasons.includes('RECORD_UNAVAILABLE')) this.remember(key, reply);
      return reply;
    } finally {
      this.running.delete(key);
    }
  }

  private remember(key: string, reply: GateReply): void {
    if (this.done.size >= MAX_ENTRIES) {
      const oldest = this.done.keys().next();
      if (!oldest.done) this.done.delete(oldest.value);
    }
    this.done.set(key, {
      reply: JSON.stringify(reply),
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
