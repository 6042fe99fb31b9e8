import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AuthorityClock } from '../common/clock';
import { notEligible, personNotFound } from '../common/errors';
import { LOGGER } from '../common/tokens';
import { FaultsService } from '../faults/faults.service';
import { isElderlyOrChild } from '../persons/eligibility';
import { healthStatus, healthSummary } from '../persons/health-view';
import { PersonStore } from '../persons/person-store';
import type {
  ElderlyChildLookupDto,
  ElderlyChildLookupResultDto,
  IdNumberLookupDto,
  IdNumberLookupResultDto,
} from './lookups.dto';

const sameName = (a: string, b: string) => a.normalize('NFC').trim() === b.normalize('NFC').trim();

/**
 * Reads without a consent, for callers with the person in front of them: digital sentinels and
 * staff desks (ID number), and the elderly/child test lookup (老幼核酸助查, ID number and name).
 */
@Injectable()
export class LookupsService {
  constructor(
    private readonly persons: PersonStore,
    private readonly clock: AuthorityClock,
    private readonly faults: FaultsService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async byIdNumber(dto: IdNumberLookupDto): Promise<IdNumberLookupResultDto> {
    await this.faults.beforeRead();
    const person = this.persons.get(dto.idNumber);
    this.log.info({ purpose: dto.purpose }, 'id-number lookup');
    return { found: person !== undefined, health: person ? healthSummary(person) : null };
  }

  /** Name first, then age: who does not know the name learns nothing about the person. */
  async elderlyChild(dto: ElderlyChildLookupDto): Promise<ElderlyChildLookupResultDto> {
    await this.faults.beforeRead();
    const person = this.persons.get(dto.idNumber);
    if (!person || !sameName(person.name, dto.name))
      throw personNotFound('no person with this idNumber and name');
    if (!isElderlyOrChild(person, this.clock.now()))
      throw notEligible('the elderly/child lookup is for persons under 18 or 60 and over');
    return { health: healthStatus(person) };
  }
}
