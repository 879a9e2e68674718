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

/** Draws dashed vertical lines (LSL, USL, mean) at their values on the histogram's linear x axis. */
export function limitLinesPlugin(lines: () => LimitLine[]): Plugin<'bar'> {
  return {
    id: 'limitLines',
    afterDatasetsDraw(chart: Chart<'bar'>) {
      const x = chart.scales['x'];
      const { top, bottom } = chart.chartArea;
      const ctx = chart.ctx;
      for (const line of lines()) {
        const px = x.getPixelForValue(line.value);
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
        ctx.fillText(line.label, px, top - 4);
        ctx.restore();
      }
    },
  };
}

export type HistogramData = { x: number; y: number }[];

/**
 * Bars at bin centres on a linear x axis wide enough to show the limits too: a capable process is a narrow heap
 * well inside LSL and USL, and the picture should say so rather than stretch the heap to the chart's width.
 */
export function histogramChart(
  h: Histogram,
  limits: number[],
  format: (n: number) => string,
  gridColor: string,
  textColor: string,
  countLabel: string,
): ChartConfiguration<'bar', HistogramData> {
  const lo = Math.min(h.start, ...limits);
  const hi = Math.max(h.start + h.binWidth * h.counts.length, ...limits);
  const pad = (hi - lo) * 0.05 || 1;
  return {
    type: 'bar',
    data: {
      datasets: [
        {
          label: countLabel,
          data: h.counts.map((count, i) => ({ x: h.start + (i + 0.5) * h.binWidth, y: count })),
          backgroundColor: SERIES_COLORS[0] + 'aa',
          borderColor: SERIES_COLORS[0],
          borderWidth: 1,
          barPercentage: 1,
          categoryPercentage: 1,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: false } },
      layout: { padding: { top: 18 } },
      scales: {
        x: {
          type: 'linear',
          min: lo - pad,
          max: hi + pad,
          offset: false,
          ticks: { color: textColor, maxTicksLimit: 8, callback: (v) => format(Number(v)) },
          grid: { color: gridColor },
        },
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
export function regressionChart(
  points: { x: number; y: number }[],
  fit: { slope: number; intercept: number },
  labels: { points: string; line: string; x: string; y: string },
  gridColor: string,
  textColor: string,
  formatX?: (x: number) => string,
): ChartConfiguration<'scatter'> {
  const xs = points.map((p) => p.x);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return {
    type: 'scatter',
    data: {
      datasets: [
        { label: labels.points, data: points, backgroundColor: SERIES_COLORS[0] + '99', pointRadius: 3 },
        {
          type: 'line',
          label: labels.line,
          data: [
            { x: lo, y: fit.intercept + fit.slope * lo },
            { x: hi, y: fit.intercept + fit.slope * hi },
          ],
          borderColor: SERIES_COLORS[1],
          borderWidth: 2,
          pointRadius: 0,
        } as never,
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { labels: { color: textColor } } },
      scales: {
        x: {
          type: 'linear',
          title: { display: true, text: labels.x, color: textColor },
          ticks: { color: textColor, maxTicksLimit: 6, ...(formatX ? { callback: (v) => formatX(Number(v)) } : {}) },
          grid: { color: gridColor },
        },
        y: { type: 'linear', title: { display: true, text: labels.y, color: textColor }, ticks: { color: textColor }, grid: { color: gridColor } },
      },
    },
  };
}
