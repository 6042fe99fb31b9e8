import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';

/**
 * Whether the process is shutting down. Readiness answers 503 from the first moment, so a load
 * balancer stops sending requests while taps in hand are still being answered.
 */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  private started = false;

  get draining(): boolean {
    return this.started;
  }

  /** The gateway's close() calls this first; Nest's own shutdown hook is the fallback. */
  begin(): void {
    this.started = true;
  }

  beforeApplicationShutdown(): void {
    this.begin();
  }
}
