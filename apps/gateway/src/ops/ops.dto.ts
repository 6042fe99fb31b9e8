import { ApiProperty } from '@nestjs/swagger';

export class ReadinessChecksDto {
  @ApiProperty({ enum: ['up', 'down'] }) postgres!: 'up' | 'down';
  @ApiProperty({ enum: ['up', 'draining', 'down'] }) nats!: 'up' | 'draining' | 'down';
}

export class ConsentDirectoryStateDto {
  @ApiProperty({ description: 'Consent ids are still loading; taps meanwhile query each' })
  loading!: boolean;
  @ApiProperty({ description: 'Riders whose consent id is held in memory' }) riders!: number;
}

export class ReadinessDto {
  @ApiProperty({
    enum: ['ok', 'unavailable', 'draining'],
    description: '`draining` once the process is shutting down: take it out of rotation',
  })
  status!: 'ok' | 'unavailable' | 'draining';
  @ApiProperty({ type: ReadinessChecksDto }) checks!: ReadinessChecksDto;
  @ApiProperty({ type: ConsentDirectoryStateDto }) consentDirectory!: ConsentDirectoryStateDto;
}

export class LivenessDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

/** A public EC key (JWK, RFC 7517) that verifies ride codes. */
export class RideCodeJwkDto {
  @ApiProperty({ enum: ['EC'] }) kty!: string;
  @ApiProperty({ enum: ['P-256'] }) crv!: string;
  @ApiProperty({ description: 'X coordinate, base64url' }) x!: string;
  @ApiProperty({ description: 'Y coordinate, base64url' }) y!: string;
  @ApiProperty({ description: 'Key id, named in each ride code header' }) kid!: string;
  @ApiProperty({ enum: ['ES256'] }) alg!: string;
  @ApiProperty({ enum: ['sig'] }) use!: string;
}

export class JwksDto {
  @ApiProperty({ type: [RideCodeJwkDto] }) keys!: RideCodeJwkDto[];
}
