import { ApiProperty } from '@nestjs/swagger';
import { DisplayDto } from '../common/display.dto';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

const OPAQUE = /^[A-Za-z0-9._~-]{16,512}$/;
const OPAQUE_MESSAGE = 'must be 16 to 512 characters of A-Z a-z 0-9 . _ ~ -';

export class StartIdentityProofDto {
  @ApiProperty({
    enum: ['register', 'authorize'],
    description:
      'register: prove who you are (real-name registration); authorize: prove it again and grant the health linkage',
  })
  @IsIn(['register', 'authorize'])
  purpose!: 'register' | 'authorize';
}

export class IdentityProofStartedDto {
  @ApiProperty({ description: "Send the rider's browser here: the health authority's sign-in" })
  authorizeUrl!: string;
  @ApiProperty({ description: 'Comes back with the code; binds the sign-in to this account' })
  state!: string;
}

/** What the authority's sign-in sent the rider back with (`?code=…&state=…`). */
export class IdentityProofDto {
  @ApiProperty({ description: 'The one-time code from the authority' })
  @Matches(OPAQUE, { message: `code ${OPAQUE_MESSAGE}` })
  code!: string;

  @ApiProperty({ description: 'The state the gateway issued with the sign-in' })
  @Matches(OPAQUE, { message: `state ${OPAQUE_MESSAGE}` })
  state!: string;
}

export class RiderCreatedDto {
  @ApiProperty({ description: 'Pseudonymous rider id (the `sub` of ride codes)' }) riderId!: string;
}

export class RideCodeDto {
  @ApiProperty({ description: 'The text of the QR code: a compact JWS, ES256' }) code!: string;
  @ApiProperty({ description: 'Expiry, ISO-8601 with +08:00' }) expiresAt!: string;
}

export class AuthorizedDto {
  @ApiProperty({ enum: [true], description: 'Health linkage is authorized' }) authorized!: true;
}

export class LatestTestDto {
  @ApiProperty({ description: 'Sampling time, ISO-8601 with +08:00' }) sampledAt!: string;
  @ApiProperty({ enum: ['negative', 'positive'] }) result!: 'negative' | 'positive';
}

export class StatusScreenDto {
  @ApiProperty({
    enum: ['linked', 'not-authorized'],
    description:
      'not-authorized: no data yet, the rider has not authorized the linkage (or revoked it); every health field is null',
  })
  linkage!: 'linked' | 'not-authorized';
  @ApiProperty({
    type: DisplayDto,
    nullable: true,
    description: 'What the screen says when there is no data yet, in Chinese and English',
  })
  notice!: DisplayDto | null;
  @ApiProperty({ enum: ['green', 'yellow', 'red'], nullable: true, type: String })
  colour!: string | null;
  @ApiProperty({
    nullable: true,
    type: LatestTestDto,
    description: 'Latest test: sampling time and result',
  })
  latestTest!: LatestTestDto | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Sampling time of the latest negative result',
  })
  latestNegativeSampledAt!: string | null;
  @ApiProperty({ description: 'Test window of the rules in force now, hours' })
  windowHours!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Hours left in the window; 0 when expired',
  })
  hoursLeft!: number | null;
  @ApiProperty({ nullable: true, type: String }) windowEndsAt!: string | null;
  @ApiProperty() policyVersion!: string;
}

export class RiderCheckInDto {
  @ApiProperty() checkInId!: string;
  @ApiProperty({ description: 'ISO-8601 with +08:00' }) checkedInAt!: string;
  @ApiProperty() stationId!: string;
  @ApiProperty() gateId!: string;
  @ApiProperty({ enum: ['ride-code', 'card', 'day-ticket', 'other'] }) via!: string;
}

export class RiderCheckInsDto {
  @ApiProperty({ description: 'Newest first, within the retention period' })
  checkIns!: RiderCheckInDto[];
}

export class RegistrationErasedDto {
  @ApiProperty() consentRevoked!: boolean;
  @ApiProperty() cardsUnlinked!: number;
  @ApiProperty({
    description: 'Check-ins stay until retention ends (contact tracing), then are purged',
  })
  checkInsKeptUntilRetention!: boolean;
}

export class RiderCheckInsQueryDto {
  @ApiProperty({ required: false, minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
