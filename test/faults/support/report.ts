import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Figures } from './gates';

/**
 * Each scenario prints its figures and, when scripts/test-faults.mjs asked for a report, appends
 * them as one JSON line to FAULTS_REPORT_JSONL; `render` turns those lines into Markdown.
 */
export function report(f: Figures): void {
  const line =
    `[faults] ${f.scenario}: sent ${f.sent}, answered ${f.answered}, open ${f.open}, ` +
    `rows ${f.rows}, open without row ${f.openWithoutRow}, orphans ${f.orphans}, ` +
    `duplicates ${f.duplicates}, ` +
    `retried ${f.retried}, longest answer ${f.maxAnswerMs} ms; ${reasonText(f)}` +
    (f.note ? `; ${f.note}` : '');
  process.stdout.write(`${line}\n`);
  const file = process.env.FAULTS_REPORT_JSONL;
  if (file) appendFileSync(file, `${JSON.stringify(f)}\n`);
}

const reasonText = (f: Figures): string =>
  Object.entries(f.reasons)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

export function render(rows: Figures[]): string {
  const head = [
    'scenario',
    'taps sent',
    'answered',
    '`open`',
    'check-in rows',
    'open without row',
    'orphans',
    'duplicates',
    'retried',
    'longest answer',
    'replies',
    'notes',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  const ordered = [...rows].sort((a, b) =>
    a.scenario.localeCompare(b.scenario, 'en', { numeric: true }),
  );
  for (const f of ordered) {
    lines.push(
      `| ${[
        f.scenario,
        f.sent,
        f.answered,
        f.open,
        f.rows,
        f.openWithoutRow,
        f.orphans,
        f.duplicates,
        f.retried,
        `${f.maxAnswerMs} ms`,
        reasonText(f),
        f.note ?? '',
      ].join(' | ')} |`,
    );
  }
  return `# Fault suite report\n\n${lines.join('\n')}\n`;
}

// ts-node test/faults/support/report.ts JSONL OUT.md
if (require.main === module) {
  const [jsonl, out] = process.argv.slice(2);
  const rows = existsSync(jsonl)
    ? readFileSync(jsonl, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Figures)
    : [];
  writeFileSync(out, render(rows));
  process.stdout.write(`fault report: ${rows.length} scenario(s) written to ${out}\n`);
}
