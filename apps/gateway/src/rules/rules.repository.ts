import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import type { RuleSettings, RuleVersion, StationRef } from '@app/decision';
import { LineEntity, RuleAuditEntity, RuleVersionEntity, StationEntity } from '@app/persistence';
import { TIMELINE_LOCK } from '../common/tokens';

export interface StoredVersion {
  version: RuleVersion;
  hash: string;
}

/** A version as the database holds it, cancelled ones included. */
export interface VersionRecord extends StoredVersion {
  createdBy: string;
  createdAt: number;
  cancelledAt: number | null;
}

export interface NewVersion extends StoredVersion {
  createdBy: string;
}

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  actorRole: string;
  action: 'schedule' | 'cancel';
  versionId: string;
  before: object | null;
  after: object | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

const toRecord = (v: RuleVersionEntity): VersionRecord => ({
  version: {
    ...v.settings,
    id: v.id,
    effectiveFrom: v.effectiveFrom.getTime(),
    scope: v.scope,
    reason: v.reason,
  },
  hash: v.canonicalHash,
  createdBy: v.createdBy,
  createdAt: v.createdAt.getTime(),
  cancelledAt: v.cancelledAt?.getTime() ?? null,
});

async function activeVersions(em: EntityManager): Promise<VersionRecord[]> {
  const versions = await em.find(RuleVersionEntity, {
    where: { cancelledAt: IsNull() },
    order: { effectiveFrom: 'ASC', id: 'ASC' },
  });
  return versions.map(toRecord);
}

async function stations(em: EntityManager): Promise<StationRef[]> {
  const rows = await em.find(StationEntity, { select: { id: true, lines: true } });
  return rows.map((row) => ({ stationId: row.id, lines: row.lines }));
}

/** The statements a schedule or cancel runs inside its transaction. */
export class RulesTx {
  constructor(private readonly em: EntityManager) {}

  activeVersions(): Promise<VersionRecord[]> {
    return activeVersions(this.em);
  }

  stations(): Promise<StationRef[]> {
    return stations(this.em);
  }

  async lines(): Promise<string[]> {
    const rows = await this.em.find(LineEntity, { select: { id: true } });
    return rows.map((row) => row.id);
  }

  async versionForUpdate(id: string): Promise<VersionRecord | null> {
    const v = await this.em.findOne(RuleVersionEntity, {
      where: { id },
      lock: { mode: 'pessimistic_write' },
    });
    return v ? toRecord(v) : null;
  }

  async insertVersion(v: NewVersion): Promise<VersionRecord> {
    const { id, effectiveFrom, scope, reason, ...rest } = v.version;
    const settings: RuleSettings = {
      testWindowHours: rest.testWindowHours,
      allowedColours: rest.allowedColours,
      temperatureThresholdC: rest.temperatureThresholdC,
      temperatureRequired: rest.temperatureRequired,
      oneCodeEnabled: rest.oneCodeEnabled,
      dayTicketClearanceMinutes: rest.dayTicketClearanceMinutes,
      healthServiceFallback: rest.healthServiceFallback,
    };
    const row = this.em.create(RuleVersionEntity, {
      id,
      effectiveFrom: new Date(effectiveFrom),
      scope,
      settings,
      reason,
      canonicalHash: v.hash,
      createdBy: v.createdBy,
      cancelledAt: null,
    });
    // The insert fills in what the database set (created_at).
    await this.em.insert(RuleVersionEntity, row);
    return toRecord(row);
  }

  async cancel(id: string, at: number): Promise<VersionRecord> {
    await this.em.update(RuleVersionEntity, { id }, { cancelledAt: new Date(at) });
    return toRecord(await this.em.findOneByOrFail(RuleVersionEntity, { id }));
  }

  async audit(e: NewAuditEntry): Promise<void> {
    await this.em.insert(RuleAuditEntity, {
      at: new Date(e.at),
      actor: e.actor,
      actorRole: e.actorRole,
      action: e.action,
      versionId: e.versionId,
      before: e.before,
      after: e.after,
    });
  }
}

/** The whole timeline as of one revision: what a reload applies, and how new it is. */
export interface TimelineSnapshot<N> {
  revision: bigint;
  versions: StoredVersion[];
  /** What else was read in the same snapshot (the network the timeline is selected against). */
  network: N;
}

@Injectable()
export class RulesRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Active versions, the revision they make up, and what `readNetwork` reads with the same
   * client, all in one snapshot: nothing read is older or newer than the revision says.
   */
  async timeline<N>(readNetwork: (em: EntityManager) => Promise<N>): Promise<TimelineSnapshot<N>> {
    return this.ds.transaction('REPEATABLE READ', async (em) => {
      const [{ revision }] = await em.query<{ revision: string }[]>(
        'SELECT revision::text AS revision FROM rule_timeline_revision',
      );
      const versions = await activeVersions(em);
      const network = await readNetwork(em);
      return { revision: BigInt(revision), versions, network };
    });
  }

  /** The timeline's current revision: one row, read often. */
  async revision(): Promise<bigint> {
    const [{ revision }] = await this.ds.query<{ revision: string }[]>(
      'SELECT revision::text AS revision FROM rule_timeline_revision',
    );
    return BigInt(revision);
  }

  async activeVersions(): Promise<StoredVersion[]> {
    return activeVersions(this.ds.manager);
  }

  stations(): Promise<StationRef[]> {
    return stations(this.ds.manager);
  }

  async version(id: string): Promise<VersionRecord | null> {
    const v = await this.ds.manager.findOneBy(RuleVersionEntity, { id });
    return v ? toRecord(v) : null;
  }

  async auditTrail(versionId: string | null, limit: number): Promise<AuditEntry[]> {
    const rows = await this.ds.manager.find(RuleAuditEntity, {
      where: versionId === null ? {} : { versionId },
      order: { id: 'DESC' },
      take: limit,
    });
    return rows.map((row) => ({
      id: Number(row.id),
      at: row.at.getTime(),
      actor: row.actor,
      actorRole: row.actorRole,
      action: row.action,
      versionId: row.versionId,
      before: row.before,
      after: row.after,
    }));
  }

  /** Runs `fn` in one transaction holding the timeline lock; a throw rolls it all back. */
  inTimelineLock<T>(fn: (tx: RulesTx) => Promise<T>): Promise<T> {
    return this.ds.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock($1)', [TIMELINE_LOCK]);
      return fn(new RulesTx(em));
    });
  }
}
