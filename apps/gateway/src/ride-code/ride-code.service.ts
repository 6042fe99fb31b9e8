import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { RideCodeCodec, type LoadedKeySet, type VerifiedRideCode } from '@app/ride-code';
import type { JWK } from 'jose';
import type { Logger } from '../common/logger';
import type { GatewayConfig } from '../config';
import { CONFIG, LOGGER, RIDE_CODE_KEYS } from '../common/tokens';
import { RideCodeVerifierPool } from './verifier-pool';

@Injectable()
export class RideCodeService implements OnApplicationShutdown {
  private readonly codec: RideCodeCodec;
  private readonly verifiers: RideCodeVerifierPool;

  constructor(
    @Inject(RIDE_CODE_KEYS) private readonly keys: LoadedKeySet,
    @Inject(CONFIG) config: GatewayConfig,
    @Inject(LOGGER) log: Logger,
  ) {
    const options = {
      issuer: config.rideCodeIssuer,
      ttlSeconds: config.rideCodeTtlSeconds,
      leewaySeconds: config.rideCodeLeewaySeconds,
    };
    this.codec = new RideCodeCodec(keys, options);
    this.verifiers = new RideCodeVerifierPool(
      this.codec,
      { jwks: keys.publicJwks, options },
      config.rideCodeVerifyThreads,
      log,
    );
  }

  /** After the gate transport has drained its taps (bootstrap closes it first), not before. */
  async onApplicationShutdown(): Promise<void> {
    await this.verifiers.close();
  }

  mint(riderId: string, now: number): Promise<{ code: string; expiresAt: number }> {
    return this.codec.mint(riderId, now);
  }

  verify(code: string, now: number): Promise<VerifiedRideCode> {
    return this.verifiers.verify(code, now);
  }

  /** The verifying threads' ids in the operating system: their CPU is in /proc/<pid>/task/<id>. */
  get verifyingThreadIds(): number[] {
    return this.verifiers.osThreadIds;
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keys.publicJwks };
  }
}
