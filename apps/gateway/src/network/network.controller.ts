import { Body, Controller, Get, Param, Patch, Post, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Principal } from '@app/access-token';
import { CurrentPrincipal, Roles } from '../auth/auth';
import {
  CreateLineDto,
  CreateStationDto,
  DeviceDto,
  DevicesQueryDto,
  LineDto,
  NetworkAuditDto,
  NetworkAuditQueryDto,
  RenameLineDto,
  SetDeviceDto,
  StationDto,
  UnrecordedStationDto,
  UpdateStationDto,
} from './network.dto';
import { NetworkService } from './network.service';

/** The operator's network: lines, stations, checkpoint devices; every change audited. */
@ApiTags('network (operator)')
@ApiBearerAuth()
@Roles('operator')
@Controller('network')
export class NetworkController {
  constructor(private readonly network: NetworkService) {}

  @Get('lines')
  @ApiOkResponse({ type: [LineDto] })
  lines(): Promise<LineDto[]> {
    return this.network.lines();
  }

  @Post('lines')
  @ApiCreatedResponse({ type: LineDto })
  @ApiConflictResponse({ description: 'LINE_EXISTS' })
  createLine(@CurrentPrincipal() p: Principal, @Body() dto: CreateLineDto): Promise<LineDto> {
    return this.network.createLine(p, dto);
  }

  @Patch('lines/:lineId')
  @ApiOkResponse({ type: LineDto })
  renameLine(
    @CurrentPrincipal() p: Principal,
    @Param('lineId') lineId: string,
    @Body() dto: RenameLineDto,
  ): Promise<LineDto> {
    return this.network.renameLine(p, lineId, dto);
  }

  @Get('stations')
  @ApiOkResponse({ type: [StationDto] })
  stations(): Promise<StationDto[]> {
    return this.network.stations();
  }

  @Get('stations/unrecorded')
  @ApiOkResponse({
    type: [UnrecordedStationDto],
    description: 'Stations gates or checkpoints named that the gateway has no record of',
  })
  unrecorded(): Promise<UnrecordedStationDto[]> {
    return this.network.unrecorded();
  }

  @Post('stations')
  @ApiCreatedResponse({ type: StationDto, description: 'In force for the next tap everywhere' })
  @ApiBadRequestResponse({ description: 'NETWORK_REFUSED: a line that does not exist' })
  @ApiConflictResponse({ description: 'STATION_EXISTS' })
  createStation(
    @CurrentPrincipal() p: Principal,
    @Body() dto: CreateStationDto,
  ): Promise<StationDto> {
    return this.network.createStation(p, dto);
  }

  @Patch('stations/:stationId')
  @ApiOkResponse({ type: StationDto, description: 'Rename, or assign to other lines' })
  updateStation(
    @CurrentPrincipal() p: Principal,
    @Param('stationId') stationId: string,
    @Body() dto: UpdateStationDto,
  ): Promise<StationDto> {
    return this.network.updateStation(p, stationId, dto);
  }

  @Get('devices')
  @ApiOkResponse({ type: [DeviceDto] })
  devices(@Query() q: DevicesQueryDto): Promise<DeviceDto[]> {
    return this.network.devices(q.stationId);
  }

  @Put('stations/:stationId/devices/:deviceId')
  @ApiOkResponse({ type: DeviceDto, description: 'Marks a checkpoint device a sentinel, or not' })
  setDevice(
    @CurrentPrincipal() p: Principal,
    @Param('stationId') stationId: string,
    @Param('deviceId') deviceId: string,
    @Body() dto: SetDeviceDto,
  ): Promise<DeviceDto> {
    return this.network.setDevice(p, stationId, deviceId, dto.sentinel);
  }

  @Get('audit')
  @ApiOkResponse({ type: [NetworkAuditDto], description: 'Newest first' })
  audit(@Query() q: NetworkAuditQueryDto): Promise<NetworkAuditDto[]> {
    return this.network.audit(q.limit);
  }
}
