import { Injectable } from '@nestjs/common';
import {
  decide,
  selectRules,
  testStanding,
  type CredentialFacts,
  type HealthLookup,
  type RuleVersion,
  type StationRef,
  UNAVAILABLE,
} from '@app/decision';
import { ruleVersionHash } from '@app/persistence';
import { displayFor, formatShanghai, parseInstant } from '@app/protocol';
import { AppError } from '../common/errors';
import type { PreviewDto, PreviewResultDto } from './rules.dto';
import { checkDraft, type ScheduleInput } from './rule-draft';
import { RulesService, type GoverningRules } from './rules.service';
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
          ? UNAVAILABLE
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

/** The id an unsaved draft goes by in a preview; never a stored version's id. */
export const DRAFT_ID = 'draft';

/**
 * What the rules say for given facts at an instant: the rules in force, or those in force had
 * an unsaved draft been scheduled too. Pure: stores and fetches nothing.
 */
@Injectable()
export class RulePreviewService {
  constructor(private readonly rules: RulesService) {}

  preview(dto: PreviewDto): PreviewResultDto {
    const at = instant('at', dto.at);
    const credential = credentialFacts(dto);
    const { rules, hash } =
      dto.draft === undefined
        ? this.rules.governing(dto.stationId, at)
        : this.withDraft(dto.draft, this.rules.station(dto.stationId), at);
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
      ...(dto.draft === undefined ? {} : { governedByDraft: rules.id === DRAFT_ID }),
      ...(sampled === null
        ? {}
        : { testStanding: testStanding(sampled, rules.testWindowHours, at) }),
    };
  }

  /**
   * The version that would govern the station at `at` with the draft added to the timeline.
   * The draft passes the same checks as a schedule would, except that its instant may be past:
   * the operator may ask how a rule would have decided.
   */
  private withDraft(input: ScheduleInput, station: StationRef, at: number): GoverningRules {
    const { stations, lines } = this.rules.network();
    const active = this.rules.versions();
    const checked = checkDraft(input, { now: -Infinity, stations, lines, active });
    if (!checked.ok)
      throw new AppError('RULE_REFUSED', checked.refusals.join('; '), {
        refusals: checked.refusals,
      });
    const { effectiveFrom, scope, settings, reason } = checked.draft;
    const draft: RuleVersion = { ...settings, id: DRAFT_ID, effectiveFrom, scope, reason };
    const chosen = selectRules([...active, draft], station, at);
    if (chosen?.id !== DRAFT_ID) return this.rules.governing(station.stationId, at);
    return {
      rules: draft,
      hash: ruleVersionHash({ id: DRAFT_ID, effectiveFrom, scope, settings, reason }),
    };
  }
}
