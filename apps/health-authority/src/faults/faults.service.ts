import { HttpStatus, Injectable } from '@nestjs/common';
import { ApiError } from '../common/errors';

export interface Faults {
  delayMs: number;
  unavailable: boolean;
}

/** Injected faults for the consent reads, so gateway fallbacks can be tested against a real server. */
@Injectable()
export class FaultsService {
  private faults: Faults = { delayMs: 0, unavailable: false };

  set(faults: Faults): void {
    this.faults = { ...faults };
  }

  reset(): void {
    this.faults = { delayMs: 0, unavailable: false };
  }

  /** Waits the injected delay, then fails if the service is set unavailable. */
  async beforeRead(): Promise<void> {
    const { delayMs, unavailable } = this.faults;
    // unref: a pending fault delay must not keep a closing process alive.
    if (delayMs > 0) await new Promise<void>((r) => setTimeout(r, delayMs).unref());
    if (unavailable)
      throw new ApiError(
        HttpStatus.SERVICE_UNAVAILABLE,
        'UNAVAILABLE',
        'health-code service unavailable (injected fault)',
      );
  }
}
