import type { BenchMeta } from './report';
import type { ContentionResult } from './scenarios/contention';

const WIDTH = 720;
const HEIGHT = 420;
const MARGIN = { top: 48, right: 150, bottom: 56, left: 72 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

interface Series {
  readonly label: string;
  readonly color: string;
  readonly dashed?: boolean;
  readonly values: readonly number[];
}

/** A round step for axis ticks: 1, 2 or 5 times a power of ten. */
const niceStep = (range: number, ticks: number): number => {
  const raw = range / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const steps = [1, 2, 5, 10].map((m) => m * power);
  return steps.find((step) => step >= raw) ?? 10 * power;
};

const round1 = (value: number): number => Math.round(value * 10) / 10;

const xmlText = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Wait time against concurrency as a self-contained SVG: p50, p99 and max
 * measured, and the wait a perfect queue would impose. The x axis is
 * logarithmic, since the levels double.
 */
export const waitChart = (c: ContentionResult, meta: BenchMeta): string => {
  const levels = c.levels;
  const series: Series[] = [
    { label: 'max', color: '#d62728', values: levels.map((l) => l.waitMs.max) },
    { label: 'p99', color: '#ff7f0e', values: levels.map((l) => l.waitMs.p99) },
    { label: 'p50', color: '#1f77b4', values: levels.map((l) => l.waitMs.p50) },
    {
      label: 'ideal queue',
      color: '#555555',
      dashed: true,
      values: levels.map((l) => l.idealWaitMs),
    },
  ];
  const workers = levels.map((l) => l.workers);
  const lo = Math.log(Math.min(...workers));
  const hi = Math.log(Math.max(...workers));
  const x = (w: number) =>
    round1(
      MARGIN.left + (hi === lo ? 0 : ((Math.log(w) - lo) / (hi - lo)) * PLOT_W),
    );
  const top = Math.max(c.deadlineMs, ...series.flatMap((s) => s.values));
  const step = niceStep(top, 6);
  const yMax = Math.ceil(top / step) * step;
  const y = (ms: number) => round1(MARGIN.top + PLOT_H - (ms / yMax) * PLOT_H);

  const parts: string[] = [];
  for (let tick = 0; tick <= yMax + step / 2; tick += step) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 8}" y="${y(tick) + 4}" text-anchor="end">${tick}</text>`,
    );
  }
  for (const w of workers) {
    parts.push(
      `<line x1="${x(w)}" x2="${x(w)}" y1="${MARGIN.top + PLOT_H}" y2="${MARGIN.top + PLOT_H + 5}" stroke="#333"/>`,
      `<text x="${x(w)}" y="${MARGIN.top + PLOT_H + 20}" text-anchor="middle">${w}</text>`,
    );
  }
  // Past this line a consumer's job gives up (a 429 it cannot wait out).
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${y(c.deadlineMs)}" y2="${y(c.deadlineMs)}" stroke="#999" stroke-dasharray="2 3"/>`,
    `<text x="${MARGIN.left + 6}" y="${y(c.deadlineMs) - 5}" fill="#666">consumer deadline ${c.deadlineMs / 1000} s</text>`,
  );
  series.forEach((s, i) => {
    const points = s.values
      .map((v, j) => `${x(workers[j] ?? 1)},${y(v)}`)
      .join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(
      `<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`,
      ...s.values.map(
        (v, j) =>
          `<circle cx="${x(workers[j] ?? 1)}" cy="${y(v)}" r="3" fill="${s.color}"/>`,
      ),
    );
    const ly = MARGIN.top + 12 + i * 22;
    const lx = MARGIN.left + PLOT_W + 20;
    parts.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 30}" y="${ly + 4}">${xmlText(s.label)}</text>`,
    );
  });

  const title =
    `Check-out wait vs concurrency: cap ${c.cap}, ${c.jobMs} ms jobs, ` +
    `${c.durationMs / 1000} s per level`;
  const note = `${meta.command} · ${meta.cores} cores · ${meta.date.slice(0, 10)}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12" fill="#222">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="14" font-weight="bold">${xmlText(title)}</text>`,
    `<text x="${MARGIN.left}" y="38" fill="#666">${xmlText(note)}</text>`,
    ...parts,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + PLOT_H}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${MARGIN.top + PLOT_H}" y2="${MARGIN.top + PLOT_H}" stroke="#333"/>`,
    `<text x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 14}" text-anchor="middle">concurrent workers (log scale)</text>`,
    `<text transform="translate(18 ${MARGIN.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">wait for a lease (ms)</text>`,
    '</svg>',
    '',
  ].join('\n');
};
