import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ruleVersionHash } from '../libs/persistence/src/canonical';

const STATIONS: [id: string, zh: string, en: string, lines: string[]][] = [
  ['S0105', '人民广场', "People's Square", ['1', '2', '8']],
  ['S0205', '南京东路', 'East Nanjing Road', ['2', '10']],
  ['S0301', '宝山路', 'Baoshan Road', ['3', '4']],
  ['S0312', '中山公园', 'Zhongshan Park', ['2', '3', '4']],
  ['S0601', '东方体育中心', 'Oriental Sports Center', ['6', '8', '11']],
  ['S1005', '虹桥火车站', 'Hongqiao Railway Station', ['2', '10', '17']],
  ['S1601', '龙阳路', 'Longyang Road', ['2', '7', '16', '18']],
];

const PILOT_LINES = ['3', '6', '10', '16'];

const settings = (testWindowHours: number, oneCodeEnabled: boolean) => ({
  testWindowHours,
  allowedColours: ['green'],
  temperatureThresholdC: 37.3,
  temperatureRequired: true,
  oneCodeEnabled,
  dayTicketClearanceMinutes: 15,
  healthServiceFallback: { mode: 'staff', timeoutMs: 250 },
});

/** The 2022 timeline as the operator decreed it (see the brief). */
export const SEED_RULE_VERSIONS = [
  {
    id: 'rv-20220530-network',
    effectiveFrom: '2022-05-30T00:00:00.000+08:00',
    scope: { kind: 'network' },
    settings: settings(48, false),
    reason: '48 h test window from 2022-05-30',
  },
  {
    id: 'rv-20220530-pilot',
    effectiveFrom: '2022-05-30T00:00:00.000+08:00',
    scope: { kind: 'lines', lines: PILOT_LINES },
    settings: settings(48, true),
    reason: 'One-code pilot on lines 3, 6, 10, 16; 48 h window',
  },
  {
    id: 'rv-20220601-network',
    effectiveFrom: '2022-06-01T00:00:00.000+08:00',
    scope: { kind: 'network' },
    settings: settings(72, false),
    reason: '72 h test window from 2022-06-01',
  },
  {
    id: 'rv-20220601-pilot',
    effectiveFrom: '2022-06-01T00:00:00.000+08:00',
    scope: { kind: 'lines', lines: PILOT_LINES },
    settings: settings(72, true),
    reason: 'One-code pilot on lines 3, 6, 10, 16; 72 h window',
  },
];

export class Seed20221700000000001 implements MigrationInterface {
  name = 'Seed20221700000000001';

  async up(q: QueryRunner): Promise<void> {
    for (const [id, zh, en, lines] of STATIONS) {
      await q.query('INSERT INTO stations (id, name_zh, name_en, lines) VALUES ($1, $2, $3, $4)', [
        id,
        zh,
        en,
        lines,
      ]);
    }
    for (const v of SEED_RULE_VERSIONS) {
      await q.query(
        `INSERT INTO rule_versions (id, effective_from, scope, settings, reason, canonical_hash, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, 'seed')`,
        [
          v.id,
          v.effectiveFrom,
          JSON.stringify(v.scope),
          JSON.stringify(v.settings),
          v.reason,
          ruleVersionHash(v),
        ],
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM rule_versions WHERE created_by = 'seed'`);
    await q.query('DELETE FROM stations WHERE id = ANY($1)', [STATIONS.map(([id]) => id)]);
  }
}
