import { performance } from 'node:perf_hooks';
import { BaseRpcContext, Server, type CustomTransportStrategy } from '@nestjs/microservices';
import type { MessageHandler } from '@nestjs/microservices';
import type { Msg, NatsConnection, Service, Subscription } from 'nats';
import { isObservable, lastValueFrom } from 'rxjs';
import { decodeWireBody, parseProbeSubject, parseSubject, type WireBody } from '@app/protocol';
import type { Logger } from '../common/logger';

/** What a gate handler is given besides the body: where it came from and when it arrived. */
export class GateContext extends BaseRpcContext<[subject: string, arrivedAtMs: number]> {
  /** The subject the message arrived on; its station and device tokens are authoritative. */
  get subject(): string {
    return this.args[0];
  }
  /** `performance.now()` when the message reached this process, before it was parsed. */
  get arrivedAtMs(): number {
    return this.args[1];
  }
}

/** `@MessagePattern(subject, endpoint('tap'))`: served as this nats micro endpoint, queue-grouped. */
export const endpoint = (name: string): { endpoint: string } => ({ endpoint: name });

/**
 * Whether a reply may be published on a request's reply subject. Gates name any reply subject
 * they like, and NATS permissions check only what a client publishes itself: a reply to
 * `metro.gate.S2.G07.cmd` would be a gate command, one to `gateway.events.rules-changed` a
 * broadcast. So only inboxes are answered: `_INBOX.` by default, or with per-device NATS
 * credentials the device's own `_INBOX.<stationId>.<deviceId>.`; never the gateway's own inbox.
 */
export type ReplyPolicy = (requestSubject: string, reply: string) => boolean;

export function inboxReplyPolicy(
  mode: 'any-inbox' | 'device-inbox',
  ownInbox: string,
): ReplyPolicy {
  const own = `${ownInbox}.`;
  return (subject, reply) => {
    if (!reply.startsWith('_INBOX.') || reply.startsWith(own)) return false;
    if (mode === 'any-inbox') return true;
    // Probes come from operators' tools, not devices, and open nothing: any inbox will do.
    if (parseProbeSubject(subject) !== null) return true;
    const addr = parseSubject(subject);
    if (addr === null) return false;
    const device = addr.kind === 'tap' ? addr.gateId : addr.deviceId;
    return reply.startsWith(`_INBOX.${addr.stationId}.${device}.`);
  };
}

export interface GateTransportOptions {
  nc: NatsConnection;
  log: Logger;
  /** The queue group every request endpoint joins: one instance answers each tap. */
  queue: string;
  /** Name and version `nats micro ls` shows. */
  service: { name: string; version: string; description: string };
  replyPolicy: ReplyPolicy;
  /** Called for every reply not sent because its subject is not an inbox. */
  onRefusedReply?: (subject: string, reply: string) => void;
}

const encoder = new TextEncoder();

/**
 * Nest transport strategy for the gate protocol over nats.js. Gates speak plain JSON, not Nest's
 * {id, pattern, data} envelope, so the built-in NATS transport does not fit. Request handlers
 * (`@MessagePattern`) become endpoints of a nats.js Service (so `nats micro ls/info/stats` see
 * them) in the queue group; event handlers (`@EventPattern`, broadcasts) are plain subscriptions
 * without one, so every instance hears them. Replies go only where the reply policy allows.
 */
/** nats.js status events (`disconnect`, `reconnect`, ...), with the status's data. */
type GateTransportEvents = Record<string, (data: unknown) => void>;

export class GateTransport extends Server<GateTransportEvents> implements CustomTransportStrategy {
  private service: Service | null = null;
  private readonly eventSubs: Subscription[] = [];
  private inFlight = 0;
  private idle: (() => void) | null = null;
  private closing: Promise<void> | null = null;
  private readonly listeners = new Map<string, ((data: unknown) => void)[]>();
  /** Replies not sent because their subject was not an inbox. */
  refusedReplies = 0;

  constructor(private readonly opts: GateTransportOptions) {
    super();
  }

  /** Requests being handled now (the drain waits for them). */
  get pending(): number {
    return this.inFlight;
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      const { nc, service, queue } = this.opts;
      const endpoints = [...this.messageHandlers].filter(([, h]) => !h.isEventHandler);
      const events = [...this.messageHandlers].filter(([, h]) => h.isEventHandler);
      this.service = await nc.services.add({
        ...service,
        queue,
        metadata: { protocol: 'gate protocol v1' },
        // `nats micro stats` shows these beside the request counts.
        statsHandler: () =>
          Promise.resolve({ inFlight: this.inFlight, refusedReplies: this.refusedReplies }),
      });
      for (const [pattern, handler] of endpoints) {
        const name =
          (handler.extras?.endpoint as string | undefined) ??
          pattern.replace(/[^A-Za-z0-9_-]/g, '_');
        this.service.addEndpoint(name, {
          subject: pattern,
          queue,
          handler: (err, msg) => {
            if (err === null) this.onRequest(msg, handler);
          },
        });
      }
      for (const [pattern, handler] of events)
        this.eventSubs.push(
          nc.subscribe(pattern, {
            callback: (err, msg) => {
              if (err === null) this.onEvent(msg, handler);
            },
          }),
        );
      // Ready means subscribed: the server has our subscriptions before the app says it is up,
      // so a gate's first request after start finds a responder.
      await nc.flush();
      callback();
    } catch (e) {
      callback(e);
    }
  }

  /**
   * Stops taking requests (the queue group hands new ones to other instances), lets the
   * requests in hand finish and their replies go out, then stops hearing broadcasts.
   */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      await this.service?.stop().catch(() => undefined);
      if (this.inFlight > 0) {
        this.opts.log.info({ inFlight: this.inFlight }, 'draining in-flight taps');
        await new Promise<void>((resolve) => (this.idle = resolve));
      }
      await Promise.all(this.eventSubs.map((s) => s.drain().catch(() => undefined)));
    })());
  }

  on<K extends string, C extends GateTransportEvents[K]>(event: K, callback: C): void {
    // The connection's status is read only once someone listens: one iterator, not one idle.
    if (this.listeners.size === 0) void this.forwardStatus();
    const list = this.listeners.get(event) ?? [];
    list.push(callback);
    this.listeners.set(event, list);
  }

  unwrap<T>(): T {
    return this.opts.nc as T;
  }

  private onRequest(msg: Msg, handler: MessageHandler): void {
    // First, before anything else: every deadline counts from here.
    const arrivedAtMs = performance.now();
    const ctx = new GateContext([msg.subject, arrivedAtMs]);
    this.inFlight++;
    void this.invoke(handler, decodeWireBody(msg.data), ctx)
      .then((out) => {
        if (out !== undefined) this.reply(msg, out);
      })
      .catch((e: unknown) =>
        this.opts.log.error(
          { subject: msg.subject, err: (e as Error).message },
          'gate handler failed',
        ),
      )
      .finally(() => {
        if (--this.inFlight === 0 && this.idle) this.idle();
      });
  }

  private onEvent(msg: Msg, handler: MessageHandler): void {
    const ctx = new GateContext([msg.subject, performance.now()]);
    void this.invoke(handler, decodeWireBody(msg.data), ctx).catch((e: unknown) =>
      this.opts.log.warn(
        { subject: msg.subject, err: (e as Error).message },
        'event handler failed',
      ),
    );
  }

  /** Runs a handler through Nest's pipeline (guards, pipes, interceptors): its one value. */
  private async invoke(
    handler: MessageHandler,
    body: WireBody,
    ctx: GateContext,
  ): Promise<unknown> {
    const result: unknown = await handler(body, ctx);
    return isObservable(result) ? lastValueFrom(result, { defaultValue: undefined }) : result;
  }

  private reply(msg: Msg, out: unknown): void {
    if (!msg.reply) return;
    if (!this.opts.replyPolicy(msg.subject, msg.reply)) {
      this.refusedReplies++;
      this.opts.onRefusedReply?.(msg.subject, msg.reply);
      return;
    }
    msg.respond(encoder.encode(JSON.stringify(out)));
  }

  private async forwardStatus(): Promise<void> {
    for await (const s of this.opts.nc.status())
      for (const cb of this.listeners.get(s.type) ?? []) cb(s.data);
  }
}
