import type { RuleVersion } from '@app/decision';
import { formatShanghai } from '@app/protocol';
import type { RuleVersionDto } from './rules.dto';
import type { VersionRecord } from './rules.repository';
import { settingsOf } from './rule-draft';

/** How a version is shown to the operator and kept in the audit: instants in +08:00. */
export function versionView(v: RuleVersion, hash: string): RuleVersionDto {
  return {
    id: v.id,
    effectiveFrom: formatShanghai(v.effectiveFrom),
    scope: v.scope,
    ...settingsOf(v),
    reason: v.reason,
    hash,
  };
}

export function recordView(r: VersionRecord): RuleVersionDto {
  return {
    ...versionView(r.version, r.hash),
    createdBy: r.createdBy,
    createdAt: formatShanghai(r.createdAt),
    cancelledAt: r.cancelledAt === null ? null : formatShanghai(r.cancelledAt),
  };
}
