import pino from 'pino';
import { ruleVersion } from '../../../../libs/decision/src/testing/factories';
import type { NetworkDirectory } from '../network/network.directory';
import type { NetworkSnapshot } from '../network/network.repository';
import type { RulesRepository, TimelineSnapshot } from './rules.repository';
import { RulesService } from './rules.service';

/** A repository whose reads are answered when the test says, in any order. */
function controllableRepo() {
  const pending: {
    revision: bigint;
    resolve: (t: TimelineSnapshot<NetworkSnapshot>) => void;
  }[] = [];
  let current = 0n;
  const repo = {
    timeline: () =>
      new Promise<TimelineSnapshot<NetworkSnapshot>>((resolve) =>
        pending.push({ revision: current, resolve }),
      ),
    revision: () => Promise.resolve(current),
  } as unknown as RulesRepository;
  return {
    repo,
    /** The database moves on: later reads see this revision. */
    commit: (revision: bigint) => (current = revision),
    /** Answers the i-th read issued, with a timeline tagged by the revision it read. */
    answer: (i: number) => {
      const { revision, resolve } = pending[i];
      resolve({
        revision,
        versions: [{ version: ruleVersion({ id: `rv-${revision}` }), hash: `h${revision}` }],
        network: { stations: [], sentinels: [] },
      });
    },
  };
}

const silent = pino({ level: 'silent' });
/** The network the rules are selected against: empty here, every station network-governed. */
const network = () =>
  ({
    apply: () => undefined,
    station: (stationId: string) => ({ stationId, lines: [] }),
    stationCount: () => 0,
  }) as unknown as NetworkDirectory;
const held = (s: RulesService) => s.governing('S1', Date.now()).rules.id;

describe('RulesService: reloads are monotonic', () => {
  it('keeps the newer timeline when an older read finishes last', async () => {
    const db = controllableRepo();
    const rules = new RulesService(db.repo, network(), silent);
    db.commit(5n);
    const older = rules.reload(); // reads revision 5
    db.commit(6n);
    const newer = rules.reload(); // reads revision 6
    db.answer(1);
    expect(await newer).toBe(true);
    db.answer(0);
    expect(await older).toBe(false);
    expect(rules.heldRevision).toBe(6n);
    expect(held(rules)).toBe('rv-6');
  });

  it('applies reads in order when they finish in order', async () => {
    const db = controllableRepo();
    const rules = new RulesService(db.repo, network(), silent);
    db.commit(5n);
    const first = rules.reload();
    db.answer(0);
    await first;
    db.commit(6n);
    const second = rules.reload();
    db.answer(1);
    expect(await second).toBe(true);
    expect(held(rules)).toBe('rv-6');
  });

  it('refresh reads the timeline only when the database revision grew', async () => {
    const db = controllableRepo();
    const rules = new RulesService(db.repo, network(), silent);
    db.commit(3n);
    const boot = rules.reload();
    db.answer(0);
    await boot;
    expect(await rules.refresh()).toBe(false); // same revision: no timeline read
    db.commit(4n);
    const r = rules.refresh();
    await new Promise((resolve) => setImmediate(resolve));
    db.answer(1);
    expect(await r).toBe(true);
    expect(held(rules)).toBe('rv-4');
  });
});
