import { randomBytes, randomUUID } from 'node:crypto';
import { runMigrations, type GatewayDataSource } from '@app/persistence';
import { RidersRepository } from '../../apps/gateway/src/riders/riders.repository';
import { testDataSource } from '../support/data-source';
import { testDatabaseUrl } from '../support/db';

/** Riders and their health links, on the real database. */
describe('RidersRepository', () => {
  let ds: GatewayDataSource;
  let repo: RidersRepository;

  beforeAll(async () => {
    await runMigrations(testDatabaseUrl());
    ds = await testDataSource();
    repo = new RidersRepository(ds);
  });

  afterAll(() => ds.destroy());

  const hash = () => randomBytes(32);

  it('registers a rider once per ID hash', async () => {
    const idHash = hash();
    const id = randomUUID();
    await expect(repo.create(id, '张三', idHash)).resolves.toBe(id);
    await expect(repo.create(randomUUID(), '张三', idHash)).resolves.toBeNull();
    await expect(repo.existsByHash(idHash)).resolves.toBe(true);
    await expect(repo.existsByHash(hash())).resolves.toBe(false);
    await expect(repo.find(id)).resolves.toEqual({ id, idHash });
    await expect(repo.find(randomUUID())).resolves.toBeNull();
  });

  it('re-hashes a rider under a new key', async () => {
    const id = randomUUID();
    const [before, after] = [hash(), hash()];
    await repo.create(id, 'rehash', before);
    await repo.rehash(id, after);
    await expect(repo.find(id)).resolves.toMatchObject({ idHash: after });
    await expect(repo.existsByHash(before)).resolves.toBe(false);
  });

  it('keeps one link per rider: a new one replaces the consent and restarts its clock', async () => {
    const id = randomUUID();
    await repo.create(id, 'link', hash());
    await expect(repo.consentOf(id)).resolves.toBeNull();
    await repo.link(id, 'c-first');
    const at = async () =>
      (
        await ds.query<{ at: Date }[]>(
          'SELECT authorized_at AS at FROM health_links WHERE rider_id = $1',
          [id],
        )
      )[0].at;
    const first = await at();
    await repo.link(id, 'c-second');
    await expect(repo.consentOf(id)).resolves.toBe('c-second');
    // now() is the transaction's start: a later statement's is later.
    expect((await at()).getTime()).toBeGreaterThan(first.getTime());
    await expect(repo.consentsOf([id, randomUUID()])).resolves.toEqual(new Map([[id, 'c-second']]));
    await expect(repo.unlink(id)).resolves.toBe('c-second');
    await expect(repo.unlink(id)).resolves.toBeNull();
    await expect(repo.consentOf(id)).resolves.toBeNull();
  });

  it('pages links in rider-id order', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()].sort();
    for (const id of ids) {
      await repo.create(id, 'page', hash());
      await repo.link(id, `c-${id}`);
    }
    const page = await repo.linksAfter(ids[0], 1_000_000);
    for (const id of ids.slice(1))
      expect(page).toContainEqual({ riderId: id, consentId: `c-${id}` });
    expect(page.map((l) => l.riderId)).not.toContain(ids[0]);
    const ordered = page.map((l) => l.riderId);
    expect(ordered).toEqual([...ordered].sort());
  });
});
