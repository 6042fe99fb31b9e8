import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches } from 'class-validator';
import { ID_NUMBER, ID_NUMBER_MESSAGE } from '../common/validation';

/** Opaque tokens (state, PKCE challenge and verifier, codes): base64url, as RFC 7636 has them. */
const OPAQUE = /^[A-Za-z0-9._~-]{16,512}$/;
const OPAQUE_MESSAGE = 'must be 16 to 512 characters of A-Z a-z 0-9 . _ ~ -';

export const SCOPES = ['identity', 'identity health-status'] as const;
export type Scope = (typeof SCOPES)[number];

/** The query the metro app sends the rider with, as RFC 6749 4.1.1 with PKCE (RFC 7636). */
export class AuthorizeQueryDto {
  @ApiProperty({ example: 'metro' })
  @IsString()
  @Length(1, 64)
  client_id!: string;

  @ApiProperty({ example: 'http://127.0.0.1:3000/console/rider.html' })
  @IsString()
  @Length(1, 512)
  redirect_uri!: string;

  @ApiProperty({ enum: ['code'] })
  @IsIn(['code'])
  response_type!: 'code';

  @ApiProperty({ enum: SCOPES, description: '"identity health-status" also grants a consent' })
  @IsIn(SCOPES)
  scope!: Scope;

  @ApiProperty()
  @Matches(OPAQUE, { message: `state ${OPAQUE_MESSAGE}` })
  state!: string;

  @ApiProperty({ description: 'BASE64URL(SHA-256(code_verifier))' })
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'code_challenge must be 43 base64url characters' })
  code_challenge!: string;

  @ApiProperty({ enum: ['S256'] })
  @IsIn(['S256'])
  code_challenge_method!: 'S256';
}

/** The sign-in form: the same query, plus what the person proves themselves with. */
export class SignInFormDto extends AuthorizeQueryDto {
  @ApiProperty({ example: '310101199001011234' })
  @Matches(ID_NUMBER, { message: ID_NUMBER_MESSAGE })
  idNumber!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 128)
  passcode!: string;
}

/** The metro's server-to-server exchange of a code (RFC 6749 4.1.3), with the PKCE verifier. */
export class TokenRequestDto {
  @ApiProperty({ enum: ['authorization_code'] })
  @IsIn(['authorization_code'])
  grantType!: 'authorization_code';

  @ApiProperty()
  @Matches(OPAQUE, { message: `code ${OPAQUE_MESSAGE}` })
  code!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 512)
  redirectUri!: string;

  @ApiProperty({ example: 'metro' })
  @IsString()
  @Length(1, 64)
  clientId!: string;

  @ApiProperty({ description: 'RFC 7636: 43 to 128 characters' })
  @Matches(/^[A-Za-z0-9._~-]{43,128}$/, { message: 'codeVerifier must be 43 to 128 characters' })
  codeVerifier!: string;
}

export class TokenResponseDto {
  @ApiProperty({
    description: 'The person who signed in; the grantee keeps it only as a keyed hash',
  })
  idNumber!: string;
  @ApiProperty({ enum: SCOPES }) scope!: Scope;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'A consent for health-status reads, when the scope asked for one',
  })
  consentId!: string | null;
}

export class CardHolderDto {
  @ApiProperty() cardNo!: string;
  @ApiProperty({ description: 'The real-name holder of the card' }) holderIdNumber!: string;
}
