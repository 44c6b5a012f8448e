// The benchmark's chart: busy GPU slots over time for each run, as a small self-contained SVG.
import type { BusyInterval } from '../simulator/capacity.js';

export type Series = { label: string; color: string; busy: BusyInterval[]; start: number; end: number };

/** Busy slots at each of `steps` instants between start and end. */
export function occupancy(busy: BusyInterval[], start: number, end: number, steps = 200): number[] {
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = start + ((end - start) * (i + 0.5)) / steps;
    out.push(busy.filter((b) => b.start <= t && b.end > t).length);
  }
  return out;
}

export function slotChart(series: Series[], slots: number, title: string): string {
  const w = 760;
  const h = 260;
  const pad = 40;
  const longest = Math.max(...series.map((s) => s.end - s.start));
  const x = (ms: number) => pad + ((w - 2 * pad) * ms) / longest;
  const y = (n: number) => h - pad - ((h - 2 * pad) * n) / slots;
  const paths = series.map((s) => {
    const steps = 200;
    const occ = occupancy(s.busy, s.start, s.end, steps);
    const points = occ.map(
      (n, i) => `${x(((s.end - s.start) * (i + 0.5)) / steps).toFixed(1)},${y(n).toFixed(1)}`,
    );
    return `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${points.join(' ')}"/>`;
  });
  const legend = series.map(
    (s, i) =>
      `<text x="${pad + 10}" y="${pad + 14 * (i + 1)}" fill="${s.color}" font-size="12">${s.label}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${pad}" y="20" font-size="14">${title}</text>
<line x1="${pad}" y1="${y(slots)}" x2="${w - pad}" y2="${y(slots)}" stroke="#999" stroke-dasharray="4"/>
<text x="${w - pad - 60}" y="${y(slots) - 4}" font-size="11" fill="#666">${slots} slots</text>
<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#333"/>
<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#333"/>
<text x="${w / 2}" y="${h - 10}" font-size="11" text-anchor="middle">time (0 to ${(longest / 1000).toFixed(0)} s)</text>
${paths.join('\n')}
${legend.join('\n')}
</svg>
`;
}
