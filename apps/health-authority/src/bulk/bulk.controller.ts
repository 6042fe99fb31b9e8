import { randomBytes } from 'node:crypto';
import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { parseInstant } from '../common/time';
import { ConsentStore } from '../consents/consent-store';
import { PersonStore } from '../persons/person-store';
import { BulkSeedDto, BulkSeededDto } from './bulk.dto';

/**
 * Seeds many persons with a status and a consent each in one call: the benchmark needs 100k
 * distinct riders, which one request per fact would take minutes to create.
 */
@ApiTags('admin')
@ApiSecurity('api-key')
@Controller('v1/admin/bulk-seed')
export class BulkController {
  constructor(
    private readonly persons: PersonStore,
    private readonly consents: ConsentStore,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: BulkSeededDto })
  seed(@Body() dto: BulkSeedDto): BulkSeededDto {
    const consentIds = dto.persons.map((p) => {
      const created = this.persons.create({
        personId: `p_${randomBytes(16).toString('base64url')}`,
        idNumber: p.idNumber,
        name: p.name,
        birthDate: p.birthDate,
        disabled: false,
        specialGroup: false,
      });
      if (!created) return null;
      this.persons.setColour(p.idNumber, p.colour);
      const sampledAt = p.negativeSampledAt ? parseInstant(p.negativeSampledAt) : null;
      if (sampledAt !== null) this.persons.addTest(p.idNumber, { sampledAt, result: 'negative' });
      return this.consents.add(p.idNumber, dto.grantee, dto.purpose).consentId;
    });
    return { consentIds };
  }
}
