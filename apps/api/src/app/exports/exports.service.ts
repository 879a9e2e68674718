import { Injectable } from '@nestjs/common';
import { metricUnit, type Language } from '@pieng/shared';
import type { Readable } from 'node:stream';
import { ClientsService } from '../clients/clients.service';
import type { ClientScope } from '../common/client-scope';
import { InvalidInputError } from '../common/domain-errors';
import { DAY_MS } from '../common/time-zones';
import { Database } from '../database/database.service';
import { DevicesService } from '../devices/devices.service';
import { EnergyService } from '../energy/energy.service';
import type { EnergyIntervalItem } from '../energy/dto/energy.responses';
import { ROLLUP_RESOLUTIONS } from '../rollups/rollup-store';
import { RollupStore } from '../rollups/rollup-store';
import { EnergyExportQuery, ExportFormat, MAX_RAW_EXPORT_DAYS, ReadingsExportQuery } from './dto/export.queries';
import { LocalTimeFormat } from '../common/local-time-format';
import { bucketSources, JoinedRow, joinByInstant, metricPages } from './readings-pages';
import { Cell, CONTENT_TYPES, tableStream } from './table-file';

/** A file ready to be sent: its bytes as they are produced, its type and the name it is saved under. */
export interface ExportFile {
  stream: Readable;
  contentType: string;
  fileName: string;
}

/** A column header with the unit (`voltage (V)`), or the bare name for a metric without one (power factor). */
export const withUnit = (name: string, unit: string | undefined) => (unit ? `${name} (${unit})` : name);

@Injectable()
export class ExportsService {
  constructor(
    private readonly db: Database,
    private readonly devices: DevicesService,
    private readonly clients: ClientsService,
    private readonly rollups: RollupStore,
    private readonly energy: EnergyService,
  ) {}

  /**
   * A device's readings, one row per instant, read page by page as the client downloads (see
   * metricValues): the same bytes whatever the size, and no more memory for ten million rows than for ten.
   * Everything that can be refused (the device, the range) is checked before the first byte goes out.
   */
  async readings(scope: ClientScope, q: ReadingsExportQuery): Promise<ExportFile> {
    const device = await this.devices.get(scope, q.deviceId);
    const to = q.to ?? Date.now();
    const from = q.from ?? to - DAY_MS;
    if (from > to) throw InvalidInputError.forFields([{ field: 'from', message: 'must not be after to' }]);
    const resolution = q.resolution ?? 'raw';
    if (resolution === 'raw' && to - from > MAX_RAW_EXPORT_DAYS * DAY_MS) {
      throw InvalidInputError.forFields([
        {
          field: 'resolution',
          message: `raw exports cover at most ${MAX_RAW_EXPORT_DAYS} days; this range is ${Math.ceil((to - from) / DAY_MS)}: ask for resolution=1h (or 15m, 1m), or a shorter range`,
        },
      ]);
    }
    const metrics = [...new Set(q.metrics)];
    const minMax = resolution !== 'raw' && q.minMax === true;
    const bucketMs = resolution === 'raw' ? null : ROLLUP_RESOLUTIONS.find((r) => r.name === resolution)!.bucketMs;
    if (bucketMs !== null) await this.rollups.flushDevice(device.id);
    const { timezone } = await this.clients.dataSettings(device.clientId);
    const time = new LocalTimeFormat(timezone);
    const format = q.format ?? 'csv';
    const header = [`timestamp (${timezone})`];
    for (const m of metrics) {
      header.push(withUnit(m, metricUnit(m)));
      if (minMax) header.push(withUnit(`${m} min`, metricUnit(m)), withUnit(`${m} max`, metricUnit(m)));
    }
    header.push(resolution === 'raw' ? 'source' : 'sources');
    // A bucket that starts before `from` holds values of the range too: the rows start at the bucket that holds `from`.
    const table = { deviceId: device.id, bucketMs, from: bucketMs === null ? from : from - (from % bucketMs), until: to + 1 };
    const joined = joinByInstant(metrics.map((m) => metricPages(this.db, table, m)));
    const db = this.db;
    async function* rows(): AsyncGenerator<Cell[][]> {
      for await (const group of joined) {
        if (bucketMs === null) {
          yield group.map((r) => [time.format(r.ts), ...r.values.map((v) => v?.value ?? null), sourcesOf(r)]);
          continue;
        }
        // A batch of buckets, and the sources of all of them in one read.
        const sources = await bucketSources(db, device.id, metrics, bucketMs, group[0].ts, group[group.length - 1].ts + bucketMs);
        yield group.map((r) => {
          const cells: Cell[] = [time.format(r.ts)];
          for (const v of r.values) {
            cells.push(v?.value ?? null);
            if (minMax) cells.push(v?.min ?? null, v?.max ?? null);
          }
          cells.push((sources.get(r.ts) ?? []).join(' '));
          return cells;
        });
      }
    }
    const fileName = `readings_device-${device.id}_${time.fileStamp(from)}_${time.fileStamp(to)}_${resolution}.${format}`;
    return this.file(format, { locale: q.locale ?? 'en', header, rows: rows(), sheetName: `device ${device.id}` }, fileName);
  }

  /** The table of GET /api/energy for the same query: the figures are that API's own. */
  async energyTable(scope: ClientScope, q: EnergyExportQuery): Promise<ExportFile> {
    const answer = await this.energy.energy(scope, {
      deviceId: q.deviceId,
      siteId: q.siteId,
      clientId: q.clientId,
      from: q.from,
      to: q.to,
      interval: q.interval,
    });
    const time = new LocalTimeFormat(answer.timezone);
    const format = q.format ?? 'csv';
    const header = [
      `start (${answer.timezone})`,
      `end (${answer.timezone})`,
      'energy (kWh)',
      'export (kWh)',
      'cost (BRL)',
      'fora ponta (kWh)',
      'fora ponta (BRL)',
      'intermediário (kWh)',
      'intermediário (BRL)',
      'ponta (kWh)',
      'ponta (BRL)',
      'reactive excess (kWh)',
      'reactive excess (BRL)',
      'counter resets',
      'rollovers',
      'spikes left out',
      'interpolated (kWh)',
    ];
    const row = (i: EnergyIntervalItem): Cell[] => [
      time.format(Date.parse(i.start)),
      time.format(Date.parse(i.end)),
      i.kWh,
      i.exportKWh ?? null,
      i.cost ?? null,
      i.byPosto?.foraPonta.kWh ?? null,
      i.byPosto?.foraPonta.cost ?? null,
      i.byPosto?.intermediario.kWh ?? null,
      i.byPosto?.intermediario.cost ?? null,
      i.byPosto?.ponta.kWh ?? null,
      i.byPosto?.ponta.cost ?? null,
      i.reactiveExcessKWh ?? null,
      i.reactiveExcessCost ?? null,
      i.quality?.resets ?? 0,
      i.quality?.rollovers ?? 0,
      i.quality?.spikes ?? 0,
      i.quality?.interpolatedKWh ?? 0,
    ];
    async function* rows(): AsyncGenerator<Cell[][]> {
      yield answer.intervals.map(row);
    }
    const who = q.deviceId ? `device-${q.deviceId}` : q.siteId ? `site-${q.siteId}` : `client-${q.clientId}`;
    const first = answer.intervals[0];
    const last = answer.intervals[answer.intervals.length - 1];
    const span = first && last ? `${time.fileStamp(Date.parse(first.start))}_${time.fileStamp(Date.parse(last.end))}` : 'empty';
    const fileName = `energy_${who}_${span}_${answer.interval}.${format}`;
    return this.file(format, { locale: q.locale ?? 'en', header, rows: rows(), sheetName: 'energy' }, fileName);
  }

  private file(
    format: ExportFormat,
    t: { locale: Language; header: string[]; rows: AsyncIterable<Cell[][]>; sheetName: string },
    fileName: string,
  ): ExportFile {
    return { stream: tableStream({ format, ...t }), contentType: CONTENT_TYPES[format], fileName };
  }
}

/** The source of a raw row: the reading's (the metrics of one reading share it), several joined when stored apart. */
function sourcesOf(r: JoinedRow): string {
  let one: string | undefined;
  let all: Set<string> | undefined;
  for (const v of r.values) {
    if (!v?.source) continue;
    if (one === undefined) one = v.source;
    else if (v.source !== one) (all ??= new Set([one])).add(v.source);
  }
  return all ? [...all].sort().join(' ') : (one ?? '');
}
