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
  const plot = { left: 40, right: 20, top: 34, height: 200 };
  const h = plot.top + plot.height + 40 + 16 * series.length;
  const bottom = plot.top + plot.height;
  const longest = Math.max(...series.map((s) => s.end - s.start));
  const x = (ms: number) => plot.left + ((w - plot.left - plot.right) * ms) / longest;
  const y = (n: number) => bottom - (plot.height * n) / slots;
  const paths = series.map((s) => {
    const steps = 200;
    const occ = occupancy(s.busy, s.start, s.end, steps);
    const points = occ.map(
      (n, i) => `${x(((s.end - s.start) * (i + 0.5)) / steps).toFixed(1)},${y(n).toFixed(1)}`,
    );
    return `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${points.join(' ')}"/>`;
  });
  // A tick every 100 s (or 10 s for short runs) along the time axis.
  const every = longest > 200_000 ? 100_000 : 10_000;
  const ticks = Array.from({ length: Math.floor(longest / every) + 1 }, (_, i) => i * every).map(
    (ms) =>
      `<line x1="${x(ms)}" y1="${bottom}" x2="${x(ms)}" y2="${bottom + 4}" stroke="#333"/>` +
      `<text x="${x(ms)}" y="${bottom + 16}" font-size="10" text-anchor="middle">${ms / 1000}</text>`,
  );
  // The legend sits under the chart, where it cannot hide a line.
  const legend = series.map(
    (s, i) =>
      `<rect x="${plot.left}" y="${bottom + 30 + 16 * i}" width="12" height="3" fill="${s.color}"/>` +
      `<text x="${plot.left + 18}" y="${bottom + 35 + 16 * i}" fill="${s.color}" font-size="12">${s.label}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${plot.left}" y="20" font-size="14">${title}</text>
<line x1="${plot.left}" y1="${y(slots)}" x2="${w - plot.right}" y2="${y(slots)}" stroke="#999" stroke-dasharray="4"/>
<text x="${plot.left - 6}" y="${y(slots) + 4}" font-size="10" text-anchor="end">${slots}</text>
<text x="${plot.left - 6}" y="${bottom + 4}" font-size="10" text-anchor="end">0</text>
<line x1="${plot.left}" y1="${bottom}" x2="${w - plot.right}" y2="${bottom}" stroke="#333"/>
<line x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${bottom}" stroke="#333"/>
<text x="${w - plot.right}" y="${bottom + 16}" font-size="10" text-anchor="end">s</text>
${ticks.join('\n')}
${paths.join('\n')}
${legend.join('\n')}
</svg>
`;
}
