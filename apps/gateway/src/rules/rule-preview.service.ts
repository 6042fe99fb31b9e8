import { Injectable } from '@nestjs/common';
import { decide, testStanding, type CredentialFacts, type HealthLookup } from '@app/decision';
import { displayFor, formatShanghai, parseInstant } from '@app/protocol';
import { AppError } from '../common/errors';
import type { PreviewDto, PreviewResultDto } from './rules.dto';
import { RulesService } from './rules.service';
import { versionView } from './version-view';

function instant(field: string, text: string): number {
  const t = parseInstant(text);
  if (t === null)
    throw new AppError(
      'VALIDATION_FAILED',
      `${field} must be an ISO-8601 instant with an offset, e.g. 2022-06-01T00:00:00+08:00, got "${text}"`,
    );
  return t;
}

function credentialFacts(dto: PreviewDto): CredentialFacts {
  switch (dto.credentialKind) {
    case 'ride-code':
    case 'linked-card': {
      if (dto.colour === undefined)
        throw new AppError(
          'VALIDATION_FAILED',
          `colour is needed to preview a ${dto.credentialKind}`,
        );
      const sampled = dto.latestNegativeSampledAt;
      const health: HealthLookup =
        dto.healthServiceAvailable === false
          ? { kind: 'unavailable' }
          : {
              kind: 'fresh',
              facts: {
                colour: dto.colour,
                latestNegativeSampledAt:
                  sampled == null ? null : instant('latestNegativeSampledAt', sampled),
              },
            };
      return { kind: 'rider', authorized: dto.authorized ?? true, health };
    }
    case 'guarantee-pass':
      return { kind: 'guarantee-pass' };
    case 'day-ticket':
      return dto.cleared ? { kind: 'cleared' } : { kind: 'venue-check' };
    case 'card':
    case 'companion-ticket':
    case 'single-journey':
      return { kind: 'venue-check' };
    case 'offline-code':
      return { kind: 'offline-code' };
  }
}

/** The sampling instant a preview's facts carry, if any. */
function sampledAt(c: CredentialFacts): number | null {
  if (c.kind !== 'rider' || c.health === null || c.health.kind === 'unavailable') return null;
  return c.health.facts.latestNegativeSampledAt;
}

/** What the rules in force at an instant say for given facts. Pure: stores and fetches nothing. */
@Injectable()
export class RulePreviewService {
  constructor(private readonly rules: RulesService) {}

  preview(dto: PreviewDto): PreviewResultDto {
    const at = instant('at', dto.at);
    const credential = credentialFacts(dto);
    const { rules, hash } = this.rules.governing(dto.stationId, at);
    const d = decide({
      mode: dto.mode ?? 'entry',
      temperatureC: dto.temperatureC ?? null,
      credential,
      rules,
      now: at,
    });
    const sampled = sampledAt(credential);
    return {
      outcome: d.outcome,
      reasons: d.reasons,
      display: displayFor(d.reasons),
      at: formatShanghai(at),
      version: versionView(rules, hash),
      hash,
      ...(sampled === null
        ? {}
        : { testStanding: testStanding(sampled, rules.testWindowHours, at) }),
    };
  }
}
