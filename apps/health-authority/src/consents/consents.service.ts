import { HttpStatus, Injectable } from '@nestjs/common';
import { formatShanghai } from '../common/time';
import { ApiError } from '../common/errors';
import { FaultsService } from '../faults/faults.service';
import { StatusNotifier } from '../notify/status-notifier';
import { PersonStore } from '../persons/person-store';
import { ConsentStore } from './consent-store';
import type { ConsentGrantedDto, GrantConsentDto, HealthStatusDto } from './consents.dto';

/** Consent-scoped access: the only way a grantee (the metro gateway) reads health status. */
@Injectable()
export class ConsentsService {
  constructor(
    private readonly consents: ConsentStore,
    private readonly persons: PersonStore,
    private readonly faults: FaultsService,
    private readonly notifier: StatusNotifier,
  ) {}

  grant(dto: GrantConsentDto): ConsentGrantedDto {
    if (!this.persons.get(dto.idNumber))
      throw new ApiError(HttpStatus.NOT_FOUND, 'PERSON_NOT_FOUND', 'no person with this idNumber');
    return { consentId: this.consents.add(dto.idNumber, dto.grantee, dto.purpose).consentId };
  }

  /** Idempotent. Announced only when something was revoked, so grantee caches drop it. */
  revoke(consentId: string): void {
    if (this.consents.remove(consentId)) this.notifier.consentsChanged([consentId]);
  }

  async status(consentId: string): Promise<HealthStatusDto> {
    await this.faults.beforeRead();
    const status = this.read(consentId);
    if (!status)
      throw new ApiError(
        HttpStatus.NOT_FOUND,
        'CONSENT_NOT_FOUND',
        'no active consent with this consentId',
      );
    return status;
  }

  /** One map lookup per id: the gateway coalesces many taps into one of these. */
  async statuses(consentIds: readonly string[]): Promise<Record<string, HealthStatusDto | null>> {
    await this.faults.beforeRead();
    // fromEntries defines own properties, so an id like "__proto__" stays a plain key.
    return Object.fromEntries(consentIds.map((id) => [id, this.read(id)]));
  }

  private read(consentId: string): HealthStatusDto | null {
    const consent = this.consents.get(consentId);
    const person = consent && this.persons.get(consent.idNumber);
    if (!person) return null;
    const { latestTest, latestNegativeSampledAt } = person;
    return {
      colour: person.colour,
      latestNegativeSampledAt:
        latestNegativeSampledAt === null ? null : formatShanghai(latestNegativeSampledAt),
      latestTest: latestTest && {
        sampledAt: formatShanghai(latestTest.sampledAt),
        result: latestTest.result,
      },
    };
  }
}
