import type { Pool } from 'pg';
import { PartitionsRepository } from '../../apps/gateway/src/checkins/partitions.repository';
import { shanghaiDay } from '../../apps/gateway/src/checkins/retention.service';

/**
 * Creates today's and tomorrow's check-in partitions, as a gateway does at boot. A test that
 * records check-ins at the current time without a gateway calls this first: otherwise its rows
 * land in DEFAULT, that day can no longer get a partition, and a later test that locks DEFAULT
 * (rows of long ago live there) would stall every tap of the day.
 */
export async function ensureTodaysPartitions(pool: Pool): Promise<void> {
  const repo = new PartitionsRepository(pool);
  for (const t of [Date.now(), Date.now() + 86_400_000]) await repo.ensure(shanghaiDay(t));
}
