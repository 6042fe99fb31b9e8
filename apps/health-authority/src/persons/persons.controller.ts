import { Body, Controller, HttpCode, Param, Post, Put } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorDto } from '../common/dto';
import { CardNoPipe, IdNumberPipe } from '../common/id-number.pipe';
import { AddTestDto, CreatePersonDto, PersonCreatedDto, SetColourDto } from './persons.dto';
import { PersonsService } from './persons.service';

@ApiTags('persons')
@ApiSecurity('api-key')
@Controller('v1/persons')
export class PersonsController {
  constructor(private readonly persons: PersonsService) {}

  @Post()
  @ApiCreatedResponse({ type: PersonCreatedDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'PERSON_EXISTS' })
  create(@Body() dto: CreatePersonDto): PersonCreatedDto {
    return this.persons.create(dto);
  }

  @Put(':idNumber/colour')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorDto, description: 'PERSON_NOT_FOUND' })
  setColour(@Param('idNumber', IdNumberPipe) idNumber: string, @Body() dto: SetColourDto): void {
    this.persons.setColour(idNumber, dto.colour);
  }

  @Put(':idNumber/cards/:cardNo')
  @HttpCode(204)
  @ApiNoContentResponse({ description: "The card registry's real-name record of this card" })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'PERSON_NOT_FOUND' })
  registerCard(
    @Param('idNumber', IdNumberPipe) idNumber: string,
    @Param('cardNo', CardNoPipe) cardNo: string,
  ): void {
    this.persons.registerCard(idNumber, cardNo);
  }

  @Post(':idNumber/tests')
  @ApiCreatedResponse()
  @ApiNotFoundResponse({ type: ErrorDto, description: 'PERSON_NOT_FOUND' })
  addTest(@Param('idNumber', IdNumberPipe) idNumber: string, @Body() dto: AddTestDto): void {
    this.persons.addTest(idNumber, dto);
  }
}
