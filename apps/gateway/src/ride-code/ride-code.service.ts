import { Inject, Injectable } from '@nestjs/common';
import { RideCodeCodec, type LoadedKeySet, type VerifiedRideCode } from '@app/ride-code';
import type { GatewayConfig } from '../config';
import { CONFIG, RIDE_CODE_KEYS } from '../common/tokens';
import type { JWK } from 'jose';

@Injectable()
export class RideCodeService {
  private readonly codec: RideCodeCodec;

  constructor(
    @Inject(RIDE_CODE_KEYS) private readonly keys: LoadedKeySet,
    @Inject(CONFIG) config: GatewayConfig,
  ) {
    this.codec = new RideCodeCodec(keys, {
      issuer: config.rideCodeIssuer,
      ttlSeconds: config.rideCodeTtlSeconds,
      leewaySeconds: config.rideCodeLeewaySeconds,
    });
  }

  mint(riderId: string, now: number): Promise<{ code: string; expiresAt: number }> {
    return this.codec.mint(riderId, now);
  }

  verify(code: string, now: number): Promise<VerifiedRideCode> {
    return this.codec.verify(code, now);
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keys.publicJwks };
  }
}
