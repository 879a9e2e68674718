import type { ChartConfiguration } from 'chart.js';

/** What the page asks the energy API for: a calendar period in the client's time zone, cut into bars. */
export const ENERGY_VIEWS = ['today', 'week', 'month', 'year'] as const;
export type EnergyView = (typeof ENERGY_VIEWS)[number];
export type EnergyInterval = 'hour' | 'day' | 'month';
export const POSTOS = ['foraPonta', 'intermediario', 'ponta'] as const;
export type Posto = (typeof POSTOS)[number];

/** One bar of the energy API's answer, as the page uses it. */
export interface EnergyBar {
  start: string;
  kWh: number | null;
  cost?: number | null;
  byPosto?: Partial<Record<Posto, { kWh: number; cost?: number | null }>> | null;
  quality?: { resets?: number; rollovers?: number; spikes?: number; interpolatedKWh?: number } | null;
}

export interface CalendarPeriod {
  from: Date;
  to: Date;
  interval: EnergyInterval;
}

/** The UTC offset (ms) of a time zone at an instant, from the browser's own time-zone data. */
export function zoneOffset(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant a wall-clock time (year, month 0-11, day) begins in a time zone; twice corrected for a DST change. */
export function zonedMidnight(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month, day);
  let ms = wall - zoneOffset(wall, timeZone);
  ms = wall - zoneOffset(ms, timeZone);
  return ms;
}

/** The calendar date (year, month 0-11, day, weekday 0 = Sunday) of an instant in a time zone. */
export function zonedDate(ms: number, timeZone: string): { year: number; month: number; day: number; weekday: number } {
  const local = new Date(ms + zoneOffset(ms, timeZone));
  return { year: local.getUTCFullYear(), month: local.getUTCMonth(), day: local.getUTCDate(), weekday: local.getUTCDay() };
}

/**
 * The period a view shows and the one before it (yesterday, last week, last month, last year), in the client's time
 * zone: "this month" on a plant in São Paulo starts at 03:00 UTC on the 1st, whatever zone the browser is in.
 * Weeks start on Monday.
 */
export function calendarPeriods(view: EnergyView, now: Date, timeZone: string): { current: CalendarPeriod; previous: CalendarPeriod } {
  const d = zonedDate(now.getTime(), timeZone);
  const at = (y: number, m: number, day: number) => new Date(zonedMidnight(y, m, day, timeZone));
  switch (view) {
    case 'today':
      return {
        current: { from: at(d.year, d.month, d.day), to: at(d.year, d.month, d.day + 1), interval: 'hour' },
        previous: { from: at(d.year, d.month, d.day - 1), to: at(d.year, d.month, d.day), interval: 'hour' },
      };
    case 'week': {
      const monday = d.day - ((d.weekday + 6) % 7);
      return {
        current: { from: at(d.year, d.month, monday), to: at(d.year, d.month, monday + 7), interval: 'day' },
        previous: { from: at(d.year, d.month, monday - 7), to: at(d.year, d.month, monday), interval: 'day' },
      };
    }
    case 'month':
      return {
        current: { from: at(d.year, d.month, 1), to: at(d.year, d.month + 1, 1), interval: 'day' },
        previous: { from: at(d.year, d.month - 1, 1), to: at(d.year, d.month, 1), interval: 'day' },
      };
    case 'year':
      return {
        current: { from: at(d.year, 0, 1), to: at(d.year + 1, 0, 1), interval: 'month' },
        previous: { from: at(d.year - 1, 0, 1), to: at(d.year, 0, 1), interval: 'month' },
      };
  }
}

/** A bar's label in the user's language and the client's time zone: 14h, Mon 3, 3, Nov. */
export function barLabel(start: string, interval: EnergyInterval, locale: string, timeZone: string): string {
  const options: Intl.DateTimeFormatOptions =
    interval === 'hour' ? { hour: '2-digit', minute: '2-digit' } : interval === 'day' ? { weekday: 'short', day: 'numeric' } : { month: 'short' };
  return new Intl.DateTimeFormat(locale, { ...options, timeZone }).format(new Date(start));
}

export interface BarColors {
  posto: Record<Posto, string>;
  total: string;
  previous: string;
  grid: string;
  text: string;
}

export interface BarWords {
  posto: Record<Posto, string>;
  total: string;
  previous: string;
  kWh: string;
}

/**
 * kWh bars: stacked by posto when a tariff splits them, one bar per interval otherwise, with the previous period's
 * bars beside them (same position: the 3rd day of this month beside the 3rd of last month). An interval without
 * readings stays empty (null), never a zero bar that would claim the plant used nothing.
 */
export function energyBarsChart(current: EnergyBar[], previous: EnergyBar[], labels: string[], colors: BarColors, words: BarWords): ChartConfiguration<'bar'> {
  const split = current.some((b) => b.byPosto && Object.keys(b.byPosto).length > 0);
  const datasets: ChartConfiguration<'bar'>['data']['datasets'] = split
    ? POSTOS.filter((p) => current.some((b) => (b.byPosto?.[p]?.kWh ?? 0) > 0)).map((p) => ({
        label: words.posto[p],
        data: current.map((b) => (b.kWh === null ? null : (b.byPosto?.[p]?.kWh ?? 0))) as number[],
        backgroundColor: colors.posto[p],
        stack: 'current',
      }))
    : [{ label: words.total, data: current.map((b) => b.kWh) as number[], backgroundColor: colors.total, stack: 'current' }];
  if (previous.length) {
    datasets.push({
      label: words.previous,
      data: labels.map((_, i) => previous[i]?.kWh ?? null) as number[],
      backgroundColor: colors.previous,
      stack: 'previous',
    });
  }
  return {
    type: 'bar',
    data: { labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { labels: { color: colors.text } } },
      scales: {
        x: { stacked: true, ticks: { color: colors.text, autoSkip: true, maxRotation: 0 }, grid: { display: false } },
        y: {
          stacked: true,
          beginAtZero: true,
          title: { display: true, text: words.kWh, color: colors.text },
          ticks: { color: colors.text },
          grid: { color: colors.grid },
        },
      },
    },
  };
}

export interface DemandPoint {
  start: string;
  kW: number | null;
}

/**
 * The 15-minute demand curve with its peak marked and the contracted demand drawn as a level line, so an overrun is
 * seen at a glance. Missing windows break the line (a meter offline is not a demand of zero).
 */
export function demandChart(
  points: DemandPoint[],
  peak: { kW: number; at: string } | null,
  contracted: { label: string; kW: number }[],
  colors: { line: string; peak: string; contracted: string; grid: string; text: string },
  words: { demand: string; peak: string },
  locale: string,
  timeZone: string,
): ChartConfiguration<'line'> {
  const quarter = 15 * 60_000;
  const data: { x: number; y: number | null }[] = [];
  let previous: number | null = null;
  for (const p of points) {
    const x = new Date(p.start).getTime();
    if (previous !== null && x - previous > quarter) data.push({ x: previous + quarter, y: null });
    data.push({ x, y: p.kW });
    previous = x;
  }
  const xs = data.map((d) => d.x);
  const min = xs.length ? Math.min(...xs) : 0;
  const max = xs.length ? Math.max(...xs) + quarter : 1;
  const spanMs = max - min;
  const tick = new Intl.DateTimeFormat(
    locale,
    spanMs > 36 * 3600_000 ? { day: 'numeric', month: 'short', timeZone } : { hour: '2-digit', minute: '2-digit', timeZone },
  );
  const datasets: ChartConfiguration<'line'>['data']['datasets'] = [
    { label: words.demand, data, borderColor: colors.line, backgroundColor: colors.line, pointRadius: 0, borderWidth: 1.5, spanGaps: false },
  ];
  if (peak)
    datasets.push({
      label: `${words.peak} ${peak.kW.toFixed(2)} kW`,
      data: [{ x: new Date(peak.at).getTime(), y: peak.kW }],
      borderColor: colors.peak,
      backgroundColor: colors.peak,
      pointRadius: 5,
      showLine: false,
    });
  for (const c of contracted) {
    datasets.push({
      label: `${c.label} ${c.kW} kW`,
      data: [
        { x: min, y: c.kW },
        { x: max, y: c.kW },
      ],
      borderColor: colors.contracted,
      borderDash: [6, 4],
      pointRadius: 0,
      borderWidth: 1.5,
    });
  }
  return {
    type: 'line',
    data: { datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { labels: { color: colors.text } } },
      scales: {
        x: {
          type: 'linear',
          min,
          max,
          ticks: { color: colors.text, maxTicksLimit: 8, callback: (v) => tick.format(new Date(Number(v))) },
          grid: { color: colors.grid },
        },
        y: { beginAtZero: true, title: { display: true, text: 'kW', color: colors.text }, ticks: { color: colors.text }, grid: { color: colors.grid } },
      },
    },
  };
}

/** The change from the previous period in per cent, or null when there is nothing to compare with. */
export function changeFromPrevious(current: number | null | undefined, previous: number | null | undefined): number | null {
  if (current === null || current === undefined || !previous) return null;
  return ((current - previous) / previous) * 100;
}
