/**
 * `--schedule-change`: the operator schedules a rule change before the rush, reads its shadow
 * counts after it (how the rush would have fared under the new rules), then cancels it.
 */
import { formatShanghai } from '../../libs/protocol/src';
import { HttpError, type Caller, type GatewayClient } from './clients';

export const DEMO_OPERATOR: Caller = { role: 'operator', sub: 'demo-operator' };
export const CHANGE_STATION = 'S0312';
const LEAD_MS = 10 * 60_000;

interface Version {
  id: string;
  effectiveFrom: string;
}

interface StationShadow {
  stationId: string;
  evaluated: number;
  unchanged: number;
  changed: number;
  outcomeChanged: number;
  notEvaluable: number;
  transitions: {
    from: { outcome: string; reasons: string[] };
    to: { outcome: string; reasons: string[] };
    taps: number;
  }[];
}

/** A 48 h window at S0312, effective 10 minutes from now; null (with a note) when refused. */
export async function scheduleChange(
  gateway: GatewayClient,
  now = Date.now(),
): Promise<Version | null> {
  try {
    const v = await gateway.request<Version>(DEMO_OPERATOR, 'POST', '/rules/versions', {
      effectiveFrom: formatShanghai(now + LEAD_MS),
      scope: { kind: 'stations', stations: [CHANGE_STATION] },
      testWindowHours: 48,
      oneCodeEnabled: true,
      reason: 'demo: what if Zhongshan Park went back to a 48 h window?',
    });
    console.log(
      `Scheduled ${v.id}: 48 h window at ${CHANGE_STATION} from ${v.effectiveFrom} (shadow-evaluated until then)`,
    );
    return v;
  } catch (err) {
    const why = err instanceof HttpError ? err.body : String(err);
    console.log(`note: the demo rule change was not scheduled: ${why}`);
    return null;
  }
}

export function shadowTable(stations: StationShadow[]): string {
  if (stations.length === 0) return '  no entry taps were evaluated';
  const lines: string[] = [];
  for (const s of stations) {
    lines.push(
      `  ${s.stationId}: ${s.evaluated} entries evaluated, ${s.changed} would change (${s.outcomeChanged} a different outcome), ${s.unchanged} unchanged, ${s.notEvaluable} not evaluable`,
    );
    for (const t of s.transitions) {
      const same = t.from.outcome === t.to.outcome && t.from.reasons.join() === t.to.reasons.join();
      if (same) continue;
      const fmt = (x: { outcome: string; reasons: string[] }) =>
        x.reasons.length ? `${x.outcome} [${x.reasons.join(', ')}]` : x.outcome;
      lines.push(`    ${String(t.taps).padStart(5)}  ${fmt(t.from)} -> ${fmt(t.to)}`);
    }
  }
  return lines.join('\n');
}

/** The shadow counts: how the rush would have fared had the version been in force. */
export async function printShadow(gateway: GatewayClient, v: Version): Promise<void> {
  const r = await gateway.request<{ stations: StationShadow[] }>(
    DEMO_OPERATOR,
    'GET',
    `/rules/versions/${encodeURIComponent(v.id)}/shadow`,
  );
  console.log(`\nShadow counts for ${v.id} (had it been in force during the rush):`);
  console.log(shadowTable(r.stations));
}

/** Leaves the rules as the demo found them; a failure here is reported, not fatal. */
export async function cancelChange(gateway: GatewayClient, v: Version): Promise<void> {
  try {
    await gateway.request(DEMO_OPERATOR, 'DELETE', `/rules/versions/${encodeURIComponent(v.id)}`);
    console.log(`Cancelled ${v.id}; the rules are as before.`);
  } catch (err) {
    console.log(`note: could not cancel ${v.id}: ${String(err)}`);
  }
}
