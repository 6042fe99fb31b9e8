import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { STATUS_CHANGED_SUBJECT } from '../common/vocabulary';
import { connect, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { AuthorityConfig } from '../config';
import { AUTHORITY_CONFIG, LOGGER } from '../common/tokens';

const RETRY_MS = 1000;

/**
 * Publishes `authority.status-changed` with `{"consentId": ...}` only: subscribers re-read the
 * status through the consent, so no health value ever travels on NATS. Publishing never blocks
 * or throws into a request: while NATS is reconnecting nats.js buffers, and before the first
 * connection messages are dropped with a warning.
 */
@Injectable()
export class StatusNotifier implements OnApplicationShutdown {
  private nc: NatsConnection | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  private onConnected: () => void = () => undefined;
  private readonly connected = new Promise<void>((resolve) => (this.onConnected = resolve));

  constructor(
    @Inject(AUTHORITY_CONFIG) private readonly config: AuthorityConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Starts connecting; resolves once connected or after waitMs, so a down NATS never stops the HTTP API. */
  async start(waitMs: number): Promise<void> {
    this.attempt();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.connected, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
  }

  consentsChanged(consentIds: readonly string[]): void {
    for (const consentId of consentIds) {
      if (!this.nc) {
        this.log.warn('NATS not connected yet; status-changed notification dropped');
        continue;
      }
      try {
        this.nc.publish(STATUS_CHANGED_SUBJECT, JSON.stringify({ consentId }));
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'status-changed publish failed');
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const nc = this.nc;
    this.nc = null;
    await nc?.drain().catch(() => nc.close());
  }

  private attempt(): void {
    const servers = this.config.natsUrl.split(',').map((s) => s.trim());
    // After the first connect nats.js reconnects forever (-1); the first connect is retried here.
    connect({
      servers,
      name: 'health-authority',
      maxReconnectAttempts: -1,
      reconnectTimeWait: RETRY_MS,
      timeout: 2000,
    }).then(
      (nc) => {
        if (this.closed) return void nc.close();
        this.nc = nc;
        this.log.info({ server: nc.getServer() }, 'NATS connected');
        this.onConnected();
        void this.watch(nc);
      },
      (err: unknown) => {
        if (this.closed) return;
        // Warn on the first failure and then every minute or so, not once a second.
        if (this.failures++ % 60 === 0)
          this.log.warn(
            { err: (err as Error).message, failures: this.failures },
            'NATS not reachable; retrying',
          );
        this.retry = setTimeout(() => this.attempt(), RETRY_MS);
      },
    );
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect')
        this.log.warn({ event: s.type }, 'NATS connection state');
    }
  }
}
