import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

const ID_NUMBER = /^[0-9]{17}[0-9Xx]$/;

export class RegisterRiderDto {
  @ApiProperty({ example: '张三', description: 'Real name as on the ID card' })
  @IsString()
  @Length(1, 64)
  name!: string;

  @ApiProperty({
    example: '310101199001011234',
    description: '18-character resident ID number; stored only as a keyed hash',
  })
  @IsString()
  @Matches(ID_NUMBER, { message: 'idNumber must be an 18-character ID number' })
  idNumber!: string;
}

export class AuthorizeDto {
  @ApiProperty({ description: 'The rider re-enters the ID number to confirm the health linkage' })
  @IsString()
  @Matches(ID_NUMBER, { message: 'idNumber must be an 18-character ID number' })
  idNumber!: string;
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
  @ApiProperty({ enum: ['green', 'yellow', 'red'] }) colour!: string;
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
