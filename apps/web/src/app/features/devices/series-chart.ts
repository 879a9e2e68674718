import type { ChartConfiguration } from 'chart.js';
import type { ApiResponse } from '@pieng/api-client';
import { SERIES_COLORS } from '../../shared/chart-colors';

type Series = ApiResponse<'getSeries'>;

/**
 * A line chart of several metrics: one y axis per unit (volts and watts differ by orders of magnitude), time on a
 * linear axis in epoch milliseconds (no date adapter to bundle), labels formatted in the user's locale.
 */
export function seriesChart(
  series: Series,
  labelOf: (metric: string) => string,
  locale: string,
  gridColor: string,
  textColor: string,
): ChartConfiguration<'line'> {
  const units = [...new Set(series.series.map((s) => s.unit || '—'))];
  const spanMs = new Date(series.to).getTime() - new Date(series.from).getTime();
  const timeFormat = new Intl.DateTimeFormat(locale, tickFormat(spanMs));
  const scales: NonNullable<ChartConfiguration<'line'>['options']>['scales'] = {
    x: {
      type: 'linear',
      min: new Date(series.from).getTime(),
      max: new Date(series.to).getTime(),
      ticks: { color: textColor, maxTicksLimit: 8, callback: (value) => timeFormat.format(new Date(Number(value))) },
      grid: { color: gridColor },
    },
  };
  units.forEach((unit, i) => {
    scales[`y${i}`] = {
      type: 'linear',
      position: i % 2 === 0 ? 'left' : 'right',
      title: { display: true, text: unit, color: textColor },
      ticks: { color: textColor },
      grid: { color: gridColor, drawOnChartArea: i === 0 },
    };
  });
  return {
    type: 'line',
    data: {
      datasets: series.series.flatMap((s, i) => {
        const color = SERIES_COLORS[i % SERIES_COLORS.length];
        const yAxisID = `y${units.indexOf(s.unit || '—')}`;
        const label = `${labelOf(s.metric)}${s.unit ? ` (${s.unit})` : ''}`;
        return [
          {
            label,
            data: withGaps(s.points, series.bucketMs, (p) => p.avg),
            yAxisID,
            borderColor: color,
            backgroundColor: color,
            pointRadius: s.points.length > 60 ? 0 : 2,
            borderWidth: 2,
            tension: 0.2,
            spanGaps: false,
          },
          // The bucket's min and max as a light band behind the average, so that a peak inside a bucket stays visible.
          {
            label: `${label} max`,
            data: withGaps(s.points, series.bucketMs, (p) => p.max),
            yAxisID,
            borderWidth: 0,
            pointRadius: 0,
            backgroundColor: `${color}33`,
            fill: '+1',
            spanGaps: false,
            band: true,
          },
          {
            label: `${label} min`,
            data: withGaps(s.points, series.bucketMs, (p) => p.min),
            yAxisID,
            borderWidth: 0,
            pointRadius: 0,
            backgroundColor: `${color}33`,
            fill: false,
            spanGaps: false,
            band: true,
          },
        ];
      }),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: {
        legend: { labels: { color: textColor, filter: (item, data) => !(data.datasets[item.datasetIndex ?? 0] as { band?: boolean }).band } },
        tooltip: {
          callbacks: {
            title: (items) =>
              items[0] ? new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(items[0].parsed.x ?? 0)) : '',
          },
        },
      },
      scales,
    },
  };
}

type Point = Series['series'][number]['points'][number];

/**
 * The points as chart data, with a break (y = null) where buckets are missing: a bucket without
 * readings is absent from the answer, and a line across it would draw readings that never were
 * (a meter offline for an hour). Day buckets are 23 to 25 hours long, hence the margin.
 */
export function withGaps(points: Point[], bucketMs: number, y: (p: Point) => number): Array<{ x: number; y: number | null }> {
  const out: Array<{ x: number; y: number | null }> = [];
  let previous: number | null = null;
  for (const p of points) {
    const x = new Date(p.t).getTime();
    if (previous !== null && x - previous > 1.5 * bucketMs) out.push({ x: previous + bucketMs, y: null });
    out.push({ x, y: y(p) });
    previous = x;
  }
  return out;
}

/** Tick labels precise enough to tell the ticks of a span apart: days for weeks, seconds for a few minutes. */
export function tickFormat(spanMs: number): Intl.DateTimeFormatOptions {
  if (spanMs > 36 * 3600_000) return { month: 'short', day: 'numeric', hour: '2-digit' };
  if (spanMs > 15 * 60_000) return { hour: '2-digit', minute: '2-digit' };
  return { hour: '2-digit', minute: '2-digit', second: '2-digit' };
}
