import type { Chart, ChartConfiguration, Plugin } from 'chart.js';
import { SERIES_COLORS } from '../../shared/chart-colors';

export interface Histogram {
  /** Lower edge of the first bin. */
  start: number;
  binWidth: number;
  counts: number[];
}

/** Equal-width bins over [min, max] (Sturges' rule for the count unless given); the maximum falls in the last bin. */
export function histogram(values: number[], bins = Math.max(5, Math.ceil(Math.log2(Math.max(values.length, 1)) + 1))): Histogram {
  if (values.length === 0) return { start: 0, binWidth: 1, counts: [] };
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (min === max) return { start: min - 0.5, binWidth: 1, counts: [values.length] };
  const binWidth = (max - min) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - min) / binWidth))]++;
  return { start: min, binWidth, counts };
}

export interface LimitLine {
  value: number;
  label: string;
  color: string;
}

/**
 * Draws vertical lines at values on a bar chart's category axis. Bars sit at bin centres (index i ↔ start + (i + ½)·width),
 * so a value maps to the fractional index (value − start) / width − ½, which the category scale interpolates.
 */
export function limitLinesPlugin(h: Histogram, lines: () => LimitLine[]): Plugin<'bar'> {
  return {
    id: 'limitLines',
    afterDatasetsDraw(chart: Chart<'bar'>) {
      const x = chart.scales['x'];
      const { top, bottom } = chart.chartArea;
      const ctx = chart.ctx;
      for (const line of lines()) {
        const px = x.getPixelForValue((line.value - h.start) / h.binWidth - 0.5);
        ctx.save();
        ctx.strokeStyle = line.color;
        ctx.fillStyle = line.color;
        ctx.lineWidth = 2;
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        ctx.moveTo(px, top);
        ctx.lineTo(px, bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.font = '12px system-ui, sans-serif';
        ctx.textAlign = 'center';
        ctx.fillText(line.label, px, top + 12);
        ctx.restore();
      }
    },
  };
}

export function histogramChart(h: Histogram, format: (n: number) => string, gridColor: string, textColor: string, countLabel: string): ChartConfiguration<'bar'> {
  return {
    type: 'bar',
    data: {
      labels: h.counts.map((_, i) => format(h.start + (i + 0.5) * h.binWidth)),
      datasets: [{ label: countLabel, data: h.counts, backgroundColor: SERIES_COLORS[0] + 'aa', borderColor: SERIES_COLORS[0], borderWidth: 1, barPercentage: 1, categoryPercentage: 1 }],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: false } },
      layout: { padding: { top: 16 } },
      scales: {
        x: { ticks: { color: textColor, maxRotation: 0, autoSkip: true }, grid: { color: gridColor } },
        y: { beginAtZero: true, ticks: { color: textColor, precision: 0 }, grid: { color: gridColor } },
      },
    },
  };
}

/** Pairs two metrics' raw values that share a timestamp (one reading carries both). */
export function pairByTimestamp(xs: { ts: string; value: number }[], ys: { ts: string; value: number }[]): { x: number; y: number }[] {
  const byTs = new Map(xs.map((p) => [p.ts, p.value]));
  const pairs: { x: number; y: number }[] = [];
  for (const p of ys) {
    const x = byTs.get(p.ts);
    if (x !== undefined) pairs.push({ x, y: p.value });
  }
  return pairs;
}

/** Scatter of the readings and the fitted line y = intercept + slope·x over their x range. */
export function regressionChart(points: { x: number; y: number }[], fit: { slope: number; intercept: number }, labels: { points: string; line: string; x: string; y: string }, gridColor: string, textColor: string, formatX?: (x: number) => string): ChartConfiguration<'scatter'> {
  const xs = points.map((p) => p.x);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return {
    type: 'scatter',
    data: {
      datasets: [
        { label: labels.points, data: points, backgroundColor: SERIES_COLORS[0] + '99', pointRadius: 3 },
        { type: 'line', label: labels.line, data: [{ x: lo, y: fit.intercept + fit.slope * lo }, { x: hi, y: fit.intercept + fit.slope * hi }], borderColor: SERIES_COLORS[1], borderWidth: 2, pointRadius: 0 } as never,
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { labels: { color: textColor } } },
      scales: {
        x: { type: 'linear', title: { display: true, text: labels.x, color: textColor }, ticks: { color: textColor, maxTicksLimit: 6, ...(formatX ? { callback: (v) => formatX(Number(v)) } : {}) }, grid: { color: gridColor } },
        y: { type: 'linear', title: { display: true, text: labels.y, color: textColor }, ticks: { color: textColor }, grid: { color: gridColor } },
      },
    },
  };
}
