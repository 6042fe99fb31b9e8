import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Principal } from '@app/access-token';
import { CallerThrottlerGuard, CurrentPrincipal, Roles } from '../auth/auth';
import {
  AuthorizedDto,
  IdentityProofDto,
  IdentityProofStartedDto,
  RegistrationErasedDto,
  RideCodeDto,
  RiderCheckInsDto,
  RiderCheckInsQueryDto,
  RiderCreatedDto,
  StartIdentityProofDto,
  StatusScreenDto,
} from './riders.dto';
import { RidersService } from './riders.service';

/** The metro app's calls, as the rider: the token's subject is the rider id. */
@ApiTags('riders')
@ApiBearerAuth()
@Roles('rider')
@UseGuards(CallerThrottlerGuard)
@Controller('riders')
export class RidersController {
  constructor(private readonly riders: RidersService) {}

  @Post(':riderId/identity-proofs')
  @ApiCreatedResponse({
    type: IdentityProofStartedDto,
    description: 'Where to send the rider to sign in at the health authority',
  })
  startProof(
    @Param('riderId', ParseUUIDPipe) riderId: string,
    @Body() dto: StartIdentityProofDto,
  ): IdentityProofStartedDto {
    return this.riders.startProof(riderId, dto.purpose);
  }

  @Post()
  @ApiCreatedResponse({
    type: RiderCreatedDto,
    description: 'Registered as the person who signed in at the authority (never a typed number)',
  })
  async register(
    @CurrentPrincipal() p: Principal,
    @Body() dto: IdentityProofDto,
  ): Promise<RiderCreatedDto> {
    return { riderId: await this.riders.register(p.sub, dto.code, dto.state) };
  }

  @Post(':riderId/authorization')
  @ApiCreatedResponse({
    type: AuthorizedDto,
    description: 'Health linkage granted by the registered person at the authority',
  })
  async authorize(
    @Param('riderId', ParseUUIDPipe) riderId: string,
    @Body() dto: IdentityProofDto,
  ): Promise<AuthorizedDto> {
    await this.riders.authorize(riderId, dto.code, dto.state);
    return { authorized: true };
  }

  @Delete(':riderId/authorization')
  @HttpCode(204)
  @ApiNoContentResponse({
    description: 'Linkage revoked and deleted; effective at once on every instance',
  })
  revoke(@Param('riderId', ParseUUIDPipe) riderId: string): Promise<void> {
    return this.riders.revoke(riderId);
  }

  @Get(':riderId/status')
  @ApiOkResponse({
    type: StatusScreenDto,
    description: 'Fetched live from the health-code service, never stored',
  })
  status(@Param('riderId', ParseUUIDPipe) riderId: string): Promise<StatusScreenDto> {
    return this.riders.statusScreen(riderId);
  }

  @Get(':riderId/check-ins')
  @ApiOkResponse({ type: RiderCheckInsDto, description: "The rider's own check-ins, newest first" })
  checkIns(
    @Param('riderId', ParseUUIDPipe) riderId: string,
    @Query() q: RiderCheckInsQueryDto,
  ): Promise<RiderCheckInsDto> {
    return this.riders.checkIns(riderId, q.limit ?? 20);
  }

  @Delete(':riderId')
  @ApiOkResponse({
    type: RegistrationErasedDto,
    description:
      'Registration erased (PIPL Art. 47): consent revoked, card links removed, identity hash erased; check-ins stay until retention',
  })
  erase(@Param('riderId', ParseUUIDPipe) riderId: string): Promise<RegistrationErasedDto> {
    return this.riders.erase(riderId);
  }

  @Post(':riderId/ride-code')
  @ApiCreatedResponse({ type: RideCodeDto })
  rideCode(@Param('riderId', ParseUUIDPipe) riderId: string): Promise<RideCodeDto> {
    return this.riders.rideCode(riderId);
  }
}
