import { randomBytes } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Colour } from '../common/vocabulary';
import { parseInstant } from '../common/time';
import type { Logger } from 'pino';
import { ApiError } from '../common/errors';
import { LOGGER } from '../common/tokens';
import { ConsentStore } from '../consents/consent-store';
import { StatusNotifier } from '../notify/status-notifier';
import type { AddTestDto, CreatePersonDto } from './persons.dto';
import { PersonStore } from './person-store';

const notFound = () =>
  new ApiError(HttpStatus.NOT_FOUND, 'PERSON_NOT_FOUND', 'no person with this idNumber');

/** The city's own administration of residents; every health change is announced per consent. */
@Injectable()
export class PersonsService {
  constructor(
    private readonly persons: PersonStore,
    private readonly consents: ConsentStore,
    private readonly notifier: StatusNotifier,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  create(dto: CreatePersonDto): { personId: string; passcode: string } {
    const personId = `p_${randomBytes(16).toString('base64url')}`;
    const passcode = dto.passcode ?? randomBytes(12).toString('base64url');
    const created = this.persons.create({
      personId,
      idNumber: dto.idNumber,
      name: dto.name,
      birthDate: dto.birthDate,
      disabled: dto.disabled ?? false,
      specialGroup: dto.specialGroup ?? false,
      passcode,
    });
    if (!created)
      throw new ApiError(
        HttpStatus.CONFLICT,
        'PERSON_EXISTS',
        'a person with this idNumber already exists',
      );
    this.log.info({ personId }, 'person created');
    return { personId, passcode };
  }

  setColour(idNumber: string, colour: Colour): void {
    const outcome = this.persons.setColour(idNumber, colour);
    if (outcome === 'not-found') throw notFound();
    if (outcome === 'changed') this.announce(idNumber);
  }

  addTest(idNumber: string, dto: AddTestDto): void {
    // The DTO already checked the instant; parse again to get the number.
    const sampledAt = parseInstant(dto.sampledAt) as number;
    if (!this.persons.addTest(idNumber, { sampledAt, result: dto.result })) throw notFound();
    this.announce(idNumber);
  }

  /** The card registry's real-name record: this card is held by this person. */
  registerCard(idNumber: string, cardNo: string): void {
    if (!this.persons.registerCard(idNumber, cardNo)) throw notFound();
  }

  /** After the store changed, so a subscriber that re-reads sees the new state. */
  private announce(idNumber: string): void {
    this.notifier.consentsChanged(this.consents.activeFor(idNumber));
  }
}
