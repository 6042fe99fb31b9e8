import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { runMigrations } from '@app/persistence';
import {
  AdmissionsRepository,
  type Admission,
} from '../../apps/gateway/src/admissions/admissions.repository';
import { testDatabaseUrl, uniqueId } from './db';
import { ensureTodaysPartitions } from './partitions';

/** A ride-code entry of a new rider at `stationId`, decided now: what a gateway would submit. */
export function riderEntry(stationId: string, over: Partial<Admission> = {}): Admission {
  const riderId = randomUUID();
  return {
    stationId,
    gateId: 'G1',
    tapId: uniqueId('tap'),
    mode: 'entry',
    traveller: `rider:${riderId}`,
    riderId,
    medium: null,
    jti: randomUUID(),
    jtiExpiresAt: Date.now() + 60_000,
    checkInId: randomUUID(),
    decidedAt: Date.now(),
    policyVersion: 'sh-2022-01-01',
    policyHash: 'test',
    ...over,
  };
}

/**
 * The admissions repository on the migrated test database, with today's check-in partitions as a
 * gateway makes them at boot (its entries are recorded at the current time).
 */
export async function admissionsOnTestDatabase(): Promise<{
  pool: Pool;
  repo: AdmissionsRepository;
}> {
  await runMigrations(testDatabaseUrl());
  const pool = new Pool({ connectionString: testDatabaseUrl(), max: 2 });
  await ensureTodaysPartitions(pool);
  return { pool, repo: new AdmissionsRepository(pool, pool) };
}
