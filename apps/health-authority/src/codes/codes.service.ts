import { Inject, Injectable } from '@nestjs/common';
import { formatShanghai } from '../common/time';
import type { Logger } from 'pino';
import { AuthorityClock } from '../common/clock';
import { notEligible, personNotFound } from '../common/errors';
import { LOGGER } from '../common/tokens';
import { FaultsService } from '../faults/faults.service';
import { offlineCodeEligible, relativeCodeEligible } from '../persons/eligibility';
import { healthSummary } from '../persons/health-view';
import { PersonStore, type Person } from '../persons/person-store';
import {
  HealthCodeStore,
  NucleicAcidCodeStore,
  OfflineCodeStore,
  OnePerPersonCodes,
  RelativeCodeStore,
} from './code-store';
import type {
  HealthCodeIssuedDto,
  HealthCodeVerificationDto,
  NucleicAcidCodeIssuedDto,
  NucleicAcidCodeVerificationDto,
  OfflineCodeIssuedDto,
  OfflineCodeVerificationDto,
  RelativeCodeIssuedDto,
  RelativeCodeVerificationDto,
  VerifyOfflineCodeDto,
} from './codes.dto';

/**
 * Offline, relatives' and nucleic-acid codes. Issuing is the city's own administration;
 * verifying is what scanners call, so verifications honour injected faults like consent reads.
 * Logs name the kind of act only: never a code, an ID number or a health value.
 */
@Injectable()
export class CodesService {
  constructor(
    private readonly persons: PersonStore,
    private readonly offline: OfflineCodeStore,
    private readonly nucleicAcid: NucleicAcidCodeStore,
    private readonly relatives: RelativeCodeStore,
    private readonly health: HealthCodeStore,
    private readonly clock: AuthorityClock,
    private readonly faults: FaultsService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  issueOffline(idNumber: string): OfflineCodeIssuedDto {
    const now = this.clock.now();
    if (!offlineCodeEligible(this.person(idNumber), now))
      throw notEligible('offline codes are for residents under 18, 60 or over, or disabled');
    const issued = this.offline.issue(idNumber, now);
    this.log.info('offline code issued');
    return {
      code: issued.code,
      issuedAt: formatShanghai(issued.issuedAt),
      validUntil: formatShanghai(issued.validUntil),
    };
  }

  reportOfflineLost(idNumber: string): void {
    this.person(idNumber);
    if (this.offline.void(idNumber)) this.log.info('offline code reported lost');
  }

  async verifyOffline(dto: VerifyOfflineCodeDto): Promise<OfflineCodeVerificationDto> {
    await this.faults.beforeRead();
    const issued = this.offline.find(dto.code);
    const status = OnePerPersonCodes.statusOf(issued, this.clock.now());
    const belongsToIdNumber = dto.idNumber === undefined ? null : issued?.idNumber === dto.idNumber;
    const person = issued && this.persons.get(issued.idNumber);
    const health =
      status === 'valid' && belongsToIdNumber !== false && person ? healthSummary(person) : null;
    return { status, belongsToIdNumber, health };
  }

  issueRelative(guardianIdNumber: string, dependantIdNumber: string): RelativeCodeIssuedDto {
    this.person(guardianIdNumber);
    const dependant = this.persons.get(dependantIdNumber);
    if (!dependant) throw personNotFound('no person with this dependantIdNumber');
    if (guardianIdNumber === dependantIdNumber)
      throw notEligible("a guardian cannot hold a relative's code for themselves");
    if (!relativeCodeEligible(dependant, this.clock.now()))
      throw notEligible(
        "relatives' codes are for dependants under 18, 60 or over, disabled, or in a special group",
      );
    const issued = this.relatives.issue(guardianIdNumber, dependantIdNumber);
    this.log.info("relative's code issued");
    return { relativeCode: issued.code };
  }

  /** A dependant who is no longer eligible (e.g. turned 18) makes the code unknown. */
  async verifyRelative(code: string): Promise<RelativeCodeVerificationDto> {
    await this.faults.beforeRead();
    const issued = this.relatives.find(code);
    const dependant = issued && this.persons.get(issued.dependantIdNumber);
    if (!issued || !dependant || !relativeCodeEligible(dependant, this.clock.now()))
      return { status: 'unknown', dependantIdNumber: null, health: null };
    return {
      status: 'valid',
      dependantIdNumber: issued.dependantIdNumber,
      health: healthSummary(dependant),
    };
  }

  issueNucleicAcid(idNumber: string): NucleicAcidCodeIssuedDto {
    this.person(idNumber);
    const issued = this.nucleicAcid.issue(idNumber, this.clock.now());
    this.log.info('nucleic-acid code issued');
    return { code: issued.code, validUntil: formatShanghai(issued.validUntil) };
  }

  async verifyNucleicAcid(code: string): Promise<NucleicAcidCodeVerificationDto> {
    await this.faults.beforeRead();
    return { status: OnePerPersonCodes.statusOf(this.nucleicAcid.find(code), this.clock.now()) };
  }

  /** The person's app asks for a fresh dynamic code; the previous one is superseded. */
  issueHealth(idNumber: string): HealthCodeIssuedDto {
    this.person(idNumber);
    const issued = this.health.issue(idNumber, this.clock.now());
    this.log.info('health code issued');
    return {
      code: issued.code,
      issuedAt: formatShanghai(issued.issuedAt),
      validUntil: formatShanghai(issued.validUntil),
    };
  }

  /** Whose code it is and their status, only while it is the person's current, unexpired code. */
  async verifyHealth(code: string): Promise<HealthCodeVerificationDto> {
    await this.faults.beforeRead();
    const issued = this.health.find(code);
    const status = OnePerPersonCodes.statusOf(issued, this.clock.now());
    const person = issued && this.persons.get(issued.idNumber);
    if (status !== 'valid' || !issued || !person)
      return {
        status: status === 'expired' ? 'expired' : 'invalid',
        idNumber: null,
        health: null,
      };
    return { status: 'valid', idNumber: issued.idNumber, health: healthSummary(person) };
  }

  private person(idNumber: string): Readonly<Person> {
    const person = this.persons.get(idNumber);
    if (!person) throw personNotFound();
    return person;
  }
}
