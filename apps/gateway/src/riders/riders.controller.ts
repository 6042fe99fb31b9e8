import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthorizeDto, RegisterRiderDto, RideCodeDto, RiderCreatedDto, StatusScreenDto } from './riders.dto';
import { RidersService } from './riders.service';

@ApiTags('riders')
@Controller('riders')
export class RidersController {
  constructor(private readonly riders: RidersService) {}

  @Post()
  @ApiCreatedResponse({ type: RiderCreatedDto })
  async register(@Body() dto: RegisterRiderDto): Promise<RiderCreatedDto> {
    return { riderId: await this.riders.register(dto.name, dto.idNumber) };
  }

  @Post(':riderId/authorization')
  @ApiCreatedResponse({ description: 'Health linkage authorized' })
  async authorize(@Param('riderId', ParseUUIDPipe) riderId: string, @Body() dto: AuthorizeDto): Promise<{ authorized: true }> {
    await this.riders.authorize(riderId, dto.idNumber);
    return { authorized: true };
  }

  @Delete(':riderId/authorization')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Linkage revoked and deleted; effective at once on every instance' })
  revoke(@Param('riderId', ParseUUIDPipe) riderId: string): Promise<void> {
    return this.riders.revoke(riderId);
  }

  @Get(':riderId/status')
  @ApiOkResponse({ type: StatusScreenDto, description: 'Fetched live from the health-code service, never stored' })
  status(@Param('riderId', ParseUUIDPipe) riderId: string): Promise<StatusScreenDto> {
    return this.riders.statusScreen(riderId);
  }

  @Post(':riderId/ride-code')
  @ApiCreatedResponse({ type: RideCodeDto })
  rideCode(@Param('riderId', ParseUUIDPipe) riderId: string): Promise<RideCodeDto> {
    return this.riders.rideCode(riderId);
  }
}
