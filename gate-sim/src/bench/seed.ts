import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { formatShanghai } from '../../../libs/protocol/src';
import { hashIdNumber } from '../../../apps/gateway/src/riders/id-hash';

const HOUR = 3_600_000;

export type Profile = 'healthy' | 'expired' | 'yellow' | 'no-test' | 'not-authorized' | 'fever';

export interface BenchRider {
  riderId: string;
  idNumber: string;
  profile: Profile;
}

/** A realistic morning: most riders pass; a few of every staff reason. */
const MIX: [Profile, number][] = [
  ['expired', 0.04],
  ['yellow', 0.02],
  ['no-test', 0.02],
  ['not-authorized', 0.02],
  ['fever', 0.02],
];

export function profileOf(i: number): Profile {
  // Deterministic spread: the share of each profile holds in every slice of riders.
  const x = ((i * 2654435761) % 1000) / 1000;
  let acc = 0;
  for (const [p, share] of MIX) if (x < (acc += share)) return p;
  return 'healthy';
}

/** Unique, well-formed ID numbers: birth dates walk from 1950-01-01, 1000 riders a day. */
export function benchIdNumber(i: number): string {
  const birth = new Date(Date.UTC(1950, 0, 1) + Math.floor(i / 1000) * 86_400_000)
    .toISOString()
    .slice(0, 10)
    .replace(/-/g, '');
  const body = `310101${birth}${String(i % 1000).padStart(3, '0')}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((a, d, k) => a + Number(d) * w[k], 0);
  return body + '10X98765432'[sum % 11];
}

/** Persons and consents at the authority (bulk), riders and links in the gateway's database. */
export async function seedRiders(
  n: number,
  opts: {
    authorityUrl: string;
    apiKey: string;
    pool: Pool;
    idHashKey: string;
    now: number;
    onProgress?: (done: number) => void;
  },
): Promise<BenchRider[]> {
  const riders: BenchRider[] = Array.from({ length: n }, (_, i) => ({
    riderId: randomUUID(),
    idNumber: benchIdNumber(i),
    profile: profileOf(i),
  }));
  const chunk = 400;
  for (let start = 0; start < n; start += chunk) {
    const slice = riders.slice(start, start + chunk);
    const res = await fetch(`${opts.authorityUrl}/v1/admin/bulk-seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': opts.apiKey },
      body: JSON.stringify({
        grantee: 'metro',
        purpose: 'metro-ride',
        persons: slice.map((r) => ({
          idNumber: r.idNumber,
          name: 'bench',
          birthDate: `${r.idNumber.slice(6, 10)}-${r.idNumber.slice(10, 12)}-${r.idNumber.slice(12, 14)}`,
          colour: r.profile === 'yellow' ? 'yellow' : 'green',
          negativeSampledAt:
            r.profile === 'no-test'
              ? null
              : formatShanghai(opts.now - (r.profile === 'expired' ? 80 : 5) * HOUR),
        })),
      }),
    });
    if (!res.ok) throw new Error(`authority bulk seed: ${res.status} ${await res.text()}`);
    const { consentIds } = (await res.json()) as { consentIds: (string | null)[] };
    await opts.pool.query(
      'INSERT INTO riders (id, name, id_hash) SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[])',
      [
        slice.map((r) => r.riderId),
        slice.map(() => 'bench'),
        slice.map((r) => hashIdNumber(opts.idHashKey, r.idNumber)),
      ],
    );
    const linked = slice
      .map((r, k) => ({ r, c: consentIds[k] }))
      .filter((x) => x.c !== null && x.r.profile !== 'not-authorized');
    await opts.pool.query(
      'INSERT INTO health_links (rider_id, consent_id) SELECT * FROM unnest($1::uuid[], $2::text[])',
      [linked.map((x) => x.r.riderId), linked.map((x) => x.c)],
    );
    opts.onProgress?.(Math.min(n, start + chunk));
  }
  return riders;
}
