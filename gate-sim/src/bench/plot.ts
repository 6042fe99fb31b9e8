/** A latency-percentile chart as plain SVG: no plotting dependency for one chart. */
export interface Series {
  label: string;
  /** [percentile, latency ms] pairs, percentiles ascending in 0..100. */
  points: [number, number][];
  dashed?: boolean;
}

const COLOURS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
];
export const PERCENTILES = [50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99];

export function percentileSvg(title: string, series: Series[]): string {
  const W = 860;
  const H = 420;
  const m = { l: 70, r: 270, t: 40, b: 50 };
  // x: "nines" scale, so 90, 99 and 99.9 are evenly spaced.
  const xOf = (p: number) =>
    m.l + (Math.log10(100 / (100 - p)) / Math.log10(100 / (100 - 99.99))) * (W - m.l - m.r);
  const all = series.flatMap((s) => s.points.map(([, v]) => v)).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all))));
  const yOf = (v: number) =>
    H -
    m.b -
    ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) *
      (H - m.t - m.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="22" font-size="15">${escape(title)}</text>`,
  ];
  for (let d = lo; d <= hi; d *= 10) {
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${yOf(d)}" y2="${yOf(d)}" stroke="#ddd"/>`);
    out.push(
      `<text x="${m.l - 8}" y="${yOf(d) + 4}" text-anchor="end">${d >= 1 ? d : d.toPrecision(1)} ms</text>`,
    );
  }
  for (const p of [50, 90, 99, 99.9, 99.99]) {
    out.push(`<line x1="${xOf(p)}" x2="${xOf(p)}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/>`);
    out.push(`<text x="${xOf(p)}" y="${H - m.b + 18}" text-anchor="middle">p${p}</text>`);
  }
  out.push(
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">percentile (as the gate saw it)</text>`,
  );
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length];
    const pts = s.points.map(([p, v]) => `${xOf(p).toFixed(1)},${yOf(v).toFixed(1)}`).join(' ');
    out.push(
      `<polyline fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''} points="${pts}"/>`,
    );
    const ly = m.t + 10 + i * 20;
    out.push(
      `<line x1="${W - m.r + 12}" x2="${W - m.r + 40}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`,
    );
    out.push(`<text x="${W - m.r + 46}" y="${ly + 4}">${escape(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

const escape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
