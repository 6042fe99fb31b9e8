import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { pgPool, runMigrations, type GatewayDataSource } from '@app/persistence';
import { ConsentDirectory } from '../../apps/gateway/src/riders/consent-directory';
import { RidersRepository } from '../../apps/gateway/src/riders/riders.repository';
import { createLogger } from '../../apps/gateway/src/common/logger';
import type { GatewayConfig } from '../../apps/gateway/src/config';
import { testDataSource } from '../support/data-source';
import { testDatabaseUrl, uniqueId } from '../support/db';

/** Consent ids in memory, against the real database: loaded, missed, evicted, bounded. */
describe('ConsentDirectory', () => {
  let ds: GatewayDataSource;
  let pool: Pool;
  const directories: ConsentDirectory[] = [];

  beforeAll(async () => {
    await runMigrations(testDatabaseUrl());
    ds = await testDataSource();
    pool = pgPool(ds);
  });

  afterAll(async () => {
    for (const d of directories) d.onModuleDestroy();
    await ds.destroy();
  });

  async function linkedRider(): Promise<{ riderId: string; consentId: string }> {
    const riderId = randomUUID();
    const consentId = `c_${uniqueId('dir')}`;
    await pool.query(`INSERT INTO riders (id, name, id_hash) VALUES ($1, 'dir', $2)`, [
      riderId,
      Buffer.from(randomUUID()),
    ]);
    await pool.query('INSERT INTO health_links (rider_id, consent_id) VALUES ($1, $2)', [
      riderId,
      consentId,
    ]);
    return { riderId, consentId };
  }

  const unlink = (riderId: string) =>
    pool.query('DELETE FROM health_links WHERE rider_id = $1', [riderId]);

  function directory(repo = new RidersRepository(ds), consentCacheMax = 10_000_000) {
    const d = new ConsentDirectory(
      repo,
      { consentCacheMax } as GatewayConfig,
      createLogger('silent'),
    );
    directories.push(d);
    return d;
  }

  async function loaded(d: ConsentDirectory): Promise<void> {
    while (d.isLoading) await new Promise((r) => setTimeout(r, 10));
  }

  it('serves links loaded at boot from memory, until the consent is evicted', async () => {
    const r = await linkedRider();
    const d = directory();
    d.reload();
    await loaded(d);
    // Gone from the database, still known here: the answer came from memory.
    await unlink(r.riderId);
    await expect(d.consentOf(r.riderId)).resolves.toBe(r.consentId);
    d.evictConsent(r.consentId);
    await expect(d.consentOf(r.riderId)).resolves.toBeNull();
  });

  it('finds a link made elsewhere after boot on first use, and keeps it', async () => {
    const d = directory();
    d.reload();
    await loaded(d);
    const r = await linkedRider();
    const before = d.size;
    await expect(d.consentOf(r.riderId)).resolves.toBe(r.consentId);
    expect(d.size).toBe(before + 1);
    await unlink(r.riderId);
    await expect(d.consentOf(r.riderId)).resolves.toBe(r.consentId);
  });

  it('does not cache a rider without a link', async () => {
    const d = directory();
    const riderId = randomUUID();
    await expect(d.consentOf(riderId)).resolves.toBeNull();
    expect(d.size).toBe(0);
  });

  it('a read that started before a revocation does not bring the consent back', async () => {
    const r = await linkedRider();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const reading = new Promise<void>((resolve) => (started = resolve));
    // The real repository, held at the start of its query so the revocation lands meanwhile.
    class HeldRepository extends RidersRepository {
      override async consentsOf(ids: string[]) {
        const read = super.consentsOf(ids);
        started();
        await held;
        return read;
      }
    }
    const d = directory(new HeldRepository(ds));
    const pending = d.consentOf(r.riderId);
    await reading;
    d.evictConsent(r.consentId);
    release();
    await expect(pending).resolves.toBe(r.consentId);
    expect(d.size).toBe(0);
  });

  it('a link made here is known at once; a replaced consent gives way to the new one', async () => {
    const d = directory();
    const riderId = randomUUID();
    d.linked(riderId, 'c_first');
    await expect(d.consentOf(riderId)).resolves.toBe('c_first');
    d.linked(riderId, 'c_second');
    d.evictConsent('c_first');
    await expect(d.consentOf(riderId)).resolves.toBe('c_second');
  });

  it('clear() forgets what it held (broadcasts may have been missed) and loads afresh', async () => {
    const kept = await linkedRider();
    const gone = await linkedRider();
    const d = directory();
    d.reload();
    await loaded(d);
    await unlink(gone.riderId);
    d.clear();
    await loaded(d);
    await expect(d.consentOf(gone.riderId)).resolves.toBeNull();
    await expect(d.consentOf(kept.riderId)).resolves.toBe(kept.consentId);
  });

  it('holds at most CONSENT_CACHE_MAX riders, dropping the longest held', async () => {
    const d = directory(new RidersRepository(ds), 2);
    const [r1, r2, r3] = [randomUUID(), randomUUID(), randomUUID()];
    d.linked(r1, 'c1');
    d.linked(r2, 'c2');
    d.linked(r3, 'c3');
    expect(d.size).toBe(2);
    // r1 went: its next tap asks the database, which has no link for it.
    await expect(d.consentOf(r1)).resolves.toBeNull();
    await expect(d.consentOf(r3)).resolves.toBe('c3');
  });
});
