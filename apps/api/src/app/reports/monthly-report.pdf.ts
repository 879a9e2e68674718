import { pdfDocument } from '../common/lazy-libraries';
import { localDayIndex, offsetAt } from '../common/time-zones';
import { severityWord } from '../notifications/notification-message';
import type { MonthlyReportData } from './monthly-report.service';
import { REPORT_TEXTS } from './report-texts';

/**
 * The report's typeface: DejaVu Sans from the npm package @fontsource/dejavu-sans (its Latin subset
 * covers Portuguese accents), embedded in the PDF so that it prints the same everywhere. Resolved
 * through Node's own require at run time: the server bundle keeps node_modules outside it.
 */
declare const __non_webpack_require__: NodeJS.Require | undefined;
const nodeRequire: NodeJS.Require = typeof __non_webpack_require__ === 'function' ? __non_webpack_require__ : require;
const FONT = (weight: 400 | 700) => nodeRequire.resolve(`@fontsource/dejavu-sans/files/dejavu-sans-latin-${weight}-normal.woff`);

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 48;
const WIDTH = A4.width - 2 * MARGIN;
const BLUE = '#1f5fa8';
const ORANGE = '#d9822b';
const GREY = '#6b7280';

/** The file name of a report, the same for the download and the e-mailed attachment. */
export const reportFileName = (clientId: number, month: string, lang: string) => `report_client-${clientId}_${month}_${lang}.pdf`;

/** The monthly report as a PDF, built in Node (pdfkit): text with an embedded font, charts drawn as vector paths. */

export function renderMonthlyReport(data: MonthlyReportData, generatedAt = Date.now()): Promise<Buffer> {
  const t = REPORT_TEXTS[data.lang];
  const num = (v: number, digits = 2) => new Intl.NumberFormat(data.lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
  const money = (v: number) => new Intl.NumberFormat(data.lang, { style: 'currency', currency: 'BRL' }).format(v);
  const pct = (v: number) => `${num(v * 100, 1)} %`;
  const localDay = (ms: number) => new Date(localDayIndex(ms, data.timezone) * 86_400_000).toISOString().slice(0, 10);
  const localTime = (iso: string) => {
    const ms = Date.parse(iso);
    return new Date(ms + offsetAt(ms, data.timezone)).toISOString().slice(0, 16).replace('T', ' ');
  };
  const PDFDocument = pdfDocument();
  const doc = new PDFDocument({ size: 'A4', margin: MARGIN, info: { Title: `${t.title} ${data.month} - ${data.client.name}`, Author: 'Pieng Medidor' } });
  doc.registerFont('body', FONT(400));
  doc.registerFont('bold', FONT(700));
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const heading = (text: string) => {
    if (doc.y > A4.height - 160) doc.addPage();
    doc.moveDown(0.6).font('bold').fontSize(12).fillColor(BLUE).text(text, MARGIN, doc.y).fillColor('black').font('body').fontSize(9).moveDown(0.2);
  };
  /** A table: column widths in points; the first column left-aligned, the others right-aligned. */
  const table = (widths: number[], rows: string[][], header = true) => {
    for (const [r, row] of rows.entries()) {
      if (doc.y > A4.height - MARGIN - 14) doc.addPage();
      const y = doc.y;
      let x = MARGIN;
      doc.font(header && r === 0 ? 'bold' : 'body');
      row.forEach((cell, i) => {
        // A cell keeps to its line: a text wider than its column is set smaller rather than wrapped onto the next row.
        let size = 9;
        while (size > 6 && doc.fontSize(size).widthOfString(cell) > widths[i] - 4) size -= 0.5;
        doc.text(cell, x, y, { width: widths[i] - 4, align: i === 0 ? 'left' : 'right', lineBreak: false });
        x += widths[i];
      });
      doc.fontSize(9);
      doc.y = y + 13;
    }
    doc.font('body');
  };

  // Header
  doc.font('bold').fontSize(18).fillColor(BLUE).text(`${t.title}`, { continued: false });
  doc
    .fontSize(11)
    .fillColor('black')
    .text(`${data.client.name}${data.site ? ` · ${data.site.name}` : ''} · ${data.month}`)
    .moveDown(0.4);
  doc.font('body').fontSize(9);
  const periodKind = data.period.kind === 'billingCycle' ? t.billingCycle.replace('{day}', String(data.site?.readingDay)) : t.calendarMonth;
  const contracted = data.demand.contractedKW;
  table(
    [110, WIDTH - 110].map((w) => w),
    [
      [t.client, data.client.name],
      ...(data.site ? [[t.site, [data.site.name, data.site.address].filter(Boolean).join(', ')]] : []),
      [t.period, `${localDay(data.period.from)} – ${localDay(data.period.until - 1)} (${periodKind})`],
      [t.timezone, data.timezone],
      [t.tariff, data.tariff ? `${data.tariff.name} (${data.tariff.modality}), ${t.validFrom} ${data.tariff.validFrom}` : t.noTariff],
      [
        t.contracted,
        contracted
          ? [
              contracted.foraPonta !== null ? `${t.foraPonta}: ${num(contracted.foraPonta, 0)} kW` : '',
              contracted.ponta !== null ? `${t.ponta}: ${num(contracted.ponta, 0)} kW` : '',
            ]
              .filter(Boolean)
              .join(' · ') || '–'
          : '–',
      ],
    ].map((r) => r.map(String)),
    false,
  );

  // Energy
  const total = data.energy.total;
  heading(t.energy);
  const change = (before: number) => (before > 0 ? `${t.change} ${total.kWh >= before ? '+' : ''}${pct((total.kWh - before) / before)}` : '');
  table(
    [220, 110, WIDTH - 330],
    [
      ['', 'kWh', ''],
      [t.totalEnergy, num(total.kWh), ''],
      ...(total.byPosto
        ? (['foraPonta', 'intermediario', 'ponta'] as const)
            .filter((p) => total.byPosto![p].kWh > 0 || p !== 'intermediario')
            .map((p) => [`  ${t[p]}`, num(total.byPosto![p].kWh), total.kWh > 0 ? pct(total.byPosto![p].kWh / total.kWh) : ''])
        : []),
      [t.previousMonth, num(data.previousMonthKWh), change(data.previousMonthKWh)],
      [t.lastYear, num(data.lastYearKWh), change(data.lastYearKWh)],
    ],
  );
  doc.moveDown(0.5).font('bold').text(t.perDay, MARGIN).font('body');
  const barsTop = doc.y + 8;
  barChart(
    doc,
    data.energy.intervals.map((i) => ({ label: String(Number(localDay(Date.parse(i.start)).slice(8))), value: i.kWh })),
    MARGIN,
    barsTop,
    WIDTH,
    100,
    num,
  );
  // The chart's labels moved the text cursor: the next block starts under the chart.
  doc.y = barsTop + 100 + 14;

  // Load curve and peaks
  heading(t.loadCurve);
  const curveTop = doc.y + 10;
  lineChart(
    doc,
    [
      { name: t.weekday, color: BLUE, values: data.typicalDay.weekday },
      { name: t.weekend, color: ORANGE, values: data.typicalDay.weekend },
    ],
    MARGIN,
    curveTop,
    WIDTH,
    100,
    num,
  );
  doc.y = curveTop + 100 + 14;
  heading(t.demand);
  const peaks = data.demand.peakByPosto;
  const overrunOf = (posto: 'foraPonta' | 'ponta') => data.demand.charge?.lines.find((l) => l.posto === posto)?.overrunKW ?? 0;
  table(
    [120, 80, 110, 90, WIDTH - 400],
    [
      [t.posto, t.peak, t.at, t.contract, t.overrun],
      ...(['foraPonta', 'ponta'] as const).map((p) => [
        t[p],
        peaks[p] ? num(peaks[p]!.kW) : '–',
        peaks[p] ? localTime(peaks[p]!.at) : '–',
        contracted?.[p] !== null && contracted?.[p] !== undefined ? num(contracted[p]!, 0) : '–',
        overrunOf(p) > 0 ? `${num(overrunOf(p))} kW` : data.demand.overrun && p === 'foraPonta' && contracted?.ponta === null ? t.yes : t.no,
      ]),
    ],
  );

  // Cost
  heading(t.cost);
  const costRows: string[][] = [['', 'kWh', 'BRL']];
  if (total.byPosto)
    for (const p of ['foraPonta', 'intermediario', 'ponta'] as const)
      if (total.byPosto[p].kWh > 0 || p !== 'intermediario')
        costRows.push([`${t.energyCost} · ${t[p]}`, num(total.byPosto[p].kWh), money(total.byPosto[p].cost)]);
  for (const l of data.demand.charge?.lines ?? [])
    costRows.push([`${t.demandCharge} · ${t[l.posto]} (${num(l.billedKW)} kW)`, '', money(l.cost + l.overrunCost)]);
  if (total.reactiveExcessCost) costRows.push([t.reactive, num(total.reactiveExcessKWh ?? 0), money(total.reactiveExcessCost)]);
  const totalCost = (total.cost ?? 0) + (data.demand.charge?.cost ?? 0) + (total.reactiveExcessCost ?? 0);
  costRows.push([t.totalCost, '', money(totalCost)]);
  table([300, 90, WIDTH - 390], costRows);
  doc
    .fillColor(GREY)
    .fontSize(8)
    .text(t.costNote, MARGIN, doc.y + 2, { width: WIDTH })
    .fillColor('black')
    .fontSize(9);

  // Devices
  heading(t.devices);
  const sum = data.devices.reduce((s, d) => s + d.kWh, 0);
  let cumulative = 0;
  table(
    [170, 70, 70, 70, WIDTH - 380],
    [
      [t.device, 'kWh', t.share, t.cumulative, t.powerFactor],
      ...data.devices.map((d) => {
        cumulative += d.kWh;
        const pf = d.powerFactor === null ? '–' : `${num(d.powerFactor)}${d.powerFactor < 0.92 ? ` (${t.belowPf})` : ''}`;
        return [d.name, num(d.kWh), sum > 0 ? pct(d.kWh / sum) : '–', sum > 0 ? pct(cumulative / sum) : '–', pf];
      }),
    ],
  );

  // Alarms and data quality
  heading(t.alarms);
  if (data.alarms.length === 0) doc.text(t.noAlarms, MARGIN);
  else {
    const hours = (ms: number) => `${Math.floor(ms / 3_600_000)} h ${String(Math.round((ms % 3_600_000) / 60_000)).padStart(2, '0')} min`;
    table(
      [160, 70, 80, 50, WIDTH - 360],
      [
        [t.rule, t.severity, t.metric, t.count, t.duration],
        ...data.alarms.map((a) => [
          a.rule,
          severityWord(a.severity, data.lang),
          a.metric,
          String(a.count),
          `${hours(a.activeMs)}${a.stillActive ? ` (${a.stillActive} ${t.stillActive})` : ''}`,
        ]),
      ],
    );
  }
  heading(t.quality);
  const q = data.energy.quality;
  table(
    [220, 100],
    [
      [t.resets, String(q.resets)],
      [t.rollovers, String(q.rollovers)],
      [t.spikes, String(q.spikes)],
      [t.interpolated, `${num(q.interpolatedKWh)} kWh`],
      [t.daysWithoutData, String(data.daysWithoutData)],
    ],
    false,
  );
  doc.moveDown(0.8).fillColor(GREY).fontSize(8).text(t.voltageNote, MARGIN, doc.y, { width: WIDTH });
  doc.text(t.generated.replace('{date}', new Date(generatedAt).toISOString().slice(0, 16).replace('T', ' ') + ' UTC'), MARGIN, doc.y, { width: WIDTH });
  doc.end();
  return done;
}

/** Vertical bars (a gap where the value is null), the largest value written above the axis. */
function barChart(
  doc: PDFKit.PDFDocument,
  bars: Array<{ label: string; value: number | null }>,
  x: number,
  y: number,
  w: number,
  h: number,
  num: (v: number, d?: number) => string,
): void {
  const max = Math.max(0, ...bars.map((b) => b.value ?? 0)) || 1;
  const slot = w / Math.max(1, bars.length);
  doc
    .save()
    .lineWidth(0.5)
    .strokeColor(GREY)
    .moveTo(x, y + h)
    .lineTo(x + w, y + h)
    .stroke();
  doc
    .fontSize(6)
    .fillColor(GREY)
    .text(num(max, 1), x, y - 2, { lineBreak: false });
  bars.forEach((b, i) => {
    const bx = x + i * slot + slot * 0.15;
    if (b.value !== null && b.value > 0) {
      const bh = (b.value / max) * (h - 10);
      doc.rect(bx, y + h - bh, slot * 0.7, bh).fill(BLUE);
    }
    if (bars.length <= 31)
      doc
        .fontSize(5.5)
        .fillColor(GREY)
        .text(b.label, x + i * slot, y + h + 2, { width: slot, align: 'center', lineBreak: false });
  });
  doc.restore().fillColor('black').fontSize(9);
}

/** Lines over the 96 quarters of a day (a break where a value is null), hours marked every 3 h, a legend. */
function lineChart(
  doc: PDFKit.PDFDocument,
  series: Array<{ name: string; color: string; values: Array<number | null> }>,
  x: number,
  y: number,
  w: number,
  h: number,
  num: (v: number, d?: number) => string,
): void {
  const max = Math.max(0, ...series.flatMap((s) => s.values.map((v) => v ?? 0))) || 1;
  const step = w / 95;
  doc
    .save()
    .lineWidth(0.5)
    .strokeColor(GREY)
    .moveTo(x, y + h)
    .lineTo(x + w, y + h)
    .stroke();
  doc
    .fontSize(6)
    .fillColor(GREY)
    .text(`${num(max, 1)} kW`, x, y - 2, { lineBreak: false });
  for (let hour = 0; hour <= 24; hour += 3)
    doc.text(`${String(hour).padStart(2, '0')}h`, x + Math.min(hour * 4, 95) * step - 8, y + h + 2, { width: 16, align: 'center', lineBreak: false });
  series.forEach((s, k) => {
    doc.lineWidth(1.2).strokeColor(s.color);
    let drawing = false;
    s.values.forEach((v, i) => {
      if (v === null) return void (drawing = false);
      const px = x + i * step;
      const py = y + h - (v / max) * (h - 10);
      if (drawing) doc.lineTo(px, py);
      else doc.moveTo(px, py);
      drawing = true;
    });
    doc.stroke();
    doc.rect(x + w - 150 + k * 75, y - 4, 8, 3).fill(s.color);
    doc
      .fillColor(GREY)
      .fontSize(7)
      .text(s.name, x + w - 138 + k * 75, y - 7, { lineBreak: false });
  });
  doc.restore().fillColor('black').fontSize(9);
}
