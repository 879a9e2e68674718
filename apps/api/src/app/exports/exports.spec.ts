import { parse } from 'csv-parse/sync';
import * as ExcelJS from 'exceljs';
import type { Response } from 'supertest';
import { seedDevice, startTestApp, TestApp } from '../../testing/test-app';
import { tableStream } from './table-file';

const MIN = 60_000;
/** Monday 2026-11-02, 00:00 UTC: Sunday 21:00 in São Paulo (UTC−3 all year since 2019). */
const T0 = Date.UTC(2026, 10, 2);
const at = (minutes: number) => T0 + minutes * MIN;
const iso = (ms: number) => new Date(ms).toISOString();
/** The same instant written the way the client's clock reads it. */
const saoPaulo = (ms: number) => new Date(ms - 3 * 3_600_000).toISOString().slice(0, 19) + '-03:00';

/** A body read whole as bytes, whatever its type. */
const binary = (res: Response, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

/** A workbook read back with exceljs (its typings name a Buffer of their own). */
async function workbook(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(bytes as unknown as ExcelJS.Buffer);
  return book;
}

describe('exports API', () => {
  let t: TestApp;
  let clientId: number;
  let deviceId: number;
  // Minutes 0..29: voltage 220 + m/4 (quarters are exact in binary), power 1000 + 10m except at minute 7 (voltage only).
  const voltage = (m: number) => 220 + m / 4;
  const power = (m: number) => 1000 + 10 * m;

  beforeAll(async () => {
    t = await startTestApp({ RETENTION_RAW_DAYS: '36500', RETENTION_1M_DAYS: '36500' });
    ({ clientId, deviceId } = await seedDevice(t.http, 'Meter Exports', 'Client Exports'));
    await t.http.patch(`/api/clients/${clientId}`).send({ timezone: 'America/Sao_Paulo' }).expect(200);
    const readings = Array.from({ length: 30 }, (_, m) => ({
      deviceId,
      timestamp: at(m),
      metrics: m === 7 ? { voltage: voltage(m) } : { voltage: voltage(m), power: power(m), ...(m % 15 === 0 && { energy: 1000 + (m / 15) * 250 }) },
    }));
    await t.http.post('/api/ingest').send({ readings }).expect(200);
  });
  afterAll(() => t.close());

  const readingsExport = (query: Record<string, unknown>) =>
    t.http.get('/api/exports/readings').query({ deviceId, metrics: 'voltage,power', from: iso(at(0)), to: iso(at(29)), ...query });

  it('writes raw readings as CSV (en): one row per reading, units in the header, São Paulo time, the source; read back value by value', async () => {
    const res = await readingsExport({ format: 'csv', locale: 'en' }).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="readings_device-${deviceId}_2026-11-01T2100_2026-11-01T2129_raw.csv"`);
    expect(res.text.charCodeAt(0)).not.toBe(0xfeff);
    const rows: string[][] = parse(res.text);
    expect(rows[0]).toEqual(['timestamp (America/Sao_Paulo)', 'voltage (V)', 'power (W)', 'source']);
    expect(rows).toHaveLength(31);
    for (let m = 0; m < 30; m++) {
      expect(rows[m + 1]).toEqual([saoPaulo(at(m)), String(voltage(m)), m === 7 ? '' : String(power(m)), 'api']);
    }
    expect(rows[2]).toEqual(['2026-11-01T21:01:00-03:00', '220.25', '1010', 'api']);
  });

  it('writes pt-BR CSV with a byte-order mark, semicolons and decimal commas; read back value by value', async () => {
    const res = await readingsExport({ format: 'csv', locale: 'pt-BR' }).buffer(true).parse(binary).expect(200);
    const bytes = res.body as Buffer;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows: string[][] = parse(bytes, { delimiter: ';', bom: true });
    expect(rows[0]).toEqual(['timestamp (America/Sao_Paulo)', 'voltage (V)', 'power (W)', 'source']);
    expect(rows).toHaveLength(31);
    for (let m = 0; m < 30; m++) {
      expect(rows[m + 1]).toEqual([saoPaulo(at(m)), String(voltage(m)).replace('.', ','), m === 7 ? '' : String(power(m)), 'api']);
    }
    expect(rows[3][1]).toBe('220,5');
  });

  it('writes 15-minute buckets from the rollups: start, mean, min and max per metric, the sources', async () => {
    const res = await readingsExport({ resolution: '15m', minMax: 'true' }).expect(200);
    expect(res.headers['content-disposition']).toContain('_15m.csv');
    const rows: string[][] = parse(res.text);
    expect(rows[0]).toEqual([
      'timestamp (America/Sao_Paulo)',
      'voltage (V)',
      'voltage min (V)',
      'voltage max (V)',
      'power (W)',
      'power min (W)',
      'power max (W)',
      'sources',
    ]);
    // 00:00-00:15: voltage mean 220 + 7/4 = 221.75 (min 220, max 223.5); power over 14 readings (minute 7 has none):
    // 1000 + 10 × (105 − 7) / 14 = 1070 (min 1000, max 1140). 00:15-00:30: 220 + 22/4 = 225.5 (223.75 .. 227.25); 1000 + 220 = 1220 (1150 .. 1290).
    expect(rows.slice(1)).toEqual([
      ['2026-11-01T21:00:00-03:00', '221.75', '220', '223.5', '1070', '1000', '1140', 'api'],
      ['2026-11-01T21:15:00-03:00', '225.5', '223.75', '227.25', '1220', '1150', '1290', 'api'],
    ]);
  });

  it('writes XLSX that exceljs reads back: numbers as numbers', async () => {
    const res = await readingsExport({ format: 'xlsx', resolution: 'raw' }).buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers['content-disposition']).toContain('_raw.xlsx"');
    const book = await workbook(res.body as Buffer);
    const sheet = book.worksheets[0];
    expect(sheet.rowCount).toBe(31);
    expect(sheet.getRow(1).values).toEqual([undefined, 'timestamp (America/Sao_Paulo)', 'voltage (V)', 'power (W)', 'source']);
    for (let m = 0; m < 30; m++) {
      const row = sheet.getRow(m + 2);
      expect([row.getCell(1).value, row.getCell(2).value, row.getCell(3).value, row.getCell(4).value]).toEqual([
        saoPaulo(at(m)),
        voltage(m),
        m === 7 ? null : power(m),
        'api',
      ]);
    }
  });

  it('starts a new sheet with the header again when a sheet is full', async () => {
    async function* rows() {
      yield [1, 2, 3, 4, 5].map((i) => [i, `r${i}`]);
      yield [6, 7].map((i) => [i, `r${i}`]);
    }
    const chunks: Buffer[] = [];
    for await (const c of tableStream({ format: 'xlsx', locale: 'en', header: ['n', 'label'], rows: rows(), sheetName: 'data', rowsPerSheet: 3 }))
      chunks.push(c as Buffer);
    const book = await workbook(Buffer.concat(chunks));
    expect(book.worksheets.map((s) => s.name)).toEqual(['data', 'data 2', 'data 3']);
    expect(
      book.worksheets.map((s) =>
        s
          .getSheetValues()
          .slice(1)
          .map((r) => (r as unknown[]).slice(1)),
      ),
    ).toEqual([
      [
        ['n', 'label'],
        [1, 'r1'],
        [2, 'r2'],
        [3, 'r3'],
      ],
      [
        ['n', 'label'],
        [4, 'r4'],
        [5, 'r5'],
        [6, 'r6'],
      ],
      [
        ['n', 'label'],
        [7, 'r7'],
      ],
    ]);
  });

  it('exports the energy table with the same figures as GET /api/energy', async () => {
    const query = { deviceId, from: iso(at(0)), to: iso(at(30) - 1), interval: '15m' };
    const api = await t.http.get('/api/energy').query(query).expect(200);
    const res = await t.http
      .get('/api/exports/energy')
      .query({ ...query, locale: 'pt-BR' })
      .expect(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="energy_device-${deviceId}_2026-11-01T2100_2026-11-01T2130_15m.csv"`);
    const rows: string[][] = parse(res.text, { delimiter: ';', bom: true });
    expect(rows[0].slice(0, 3)).toEqual(['start (America/Sao_Paulo)', 'end (America/Sao_Paulo)', 'energy (kWh)']);
    // 1000 → 1250 Wh: 0.25 kWh in the first quarter; no counter reading closes the second (null: an empty cell).
    expect(api.body.intervals.map((i: { kWh: number }) => i.kWh)).toEqual([0.25, null]);
    expect(rows.slice(1).map((r) => r.slice(0, 3))).toEqual([
      ['2026-11-01T21:00:00-03:00', '2026-11-01T21:15:00-03:00', '0,25'],
      ['2026-11-01T21:15:00-03:00', '2026-11-01T21:30:00-03:00', ''],
    ]);
    const xlsx = await t.http
      .get('/api/exports/energy')
      .query({ ...query, format: 'xlsx' })
      .buffer(true)
      .parse(binary)
      .expect(200);
    const book = await workbook(xlsx.body as Buffer);
    expect([book.worksheets[0].getCell('C2').value, book.worksheets[0].getCell('C3').value]).toEqual([0.25, null]);
  });

  it('answers 400 naming the field: format, locale, resolution, metrics, a raw range over 400 days (suggesting a rollup)', async () => {
    const refusal = async (query: Record<string, unknown>) => {
      const body = (await readingsExport(query).expect(400)).body as { message: string; errors: Array<{ field: string }> };
      return { field: body.errors.map((e) => e.field).join(','), message: body.message };
    };
    expect(await refusal({ format: 'pdf' })).toEqual({ field: 'format', message: expect.stringMatching(/format must be one of csv, xlsx/) });
    expect(await refusal({ locale: 'fr' })).toEqual({ field: 'locale', message: expect.stringMatching(/locale must be one of en, pt-BR/) });
    expect(await refusal({ resolution: '5m' })).toEqual({ field: 'resolution', message: expect.stringMatching(/resolution must be one of raw, 1m, 15m, 1h/) });
    expect(await refusal({ metrics: 'volt age' })).toEqual({ field: 'metrics', message: expect.stringMatching(/metrics must be metric names/) });
    const long = await refusal({ from: '2025-01-01T00:00:00Z', to: '2026-02-06T00:00:00Z' });
    expect(long).toEqual({ field: 'resolution', message: expect.stringMatching(/raw exports cover at most 400 days; this range is 401.*resolution=1h/) });
    // The same range at an hourly resolution is fine.
    await readingsExport({ from: '2025-01-01T00:00:00Z', to: '2026-02-06T00:00:00Z', resolution: '1h' }).expect(200);
    expect((await t.http.get('/api/exports/energy').query({ deviceId, format: 'ods' }).expect(400)).body.errors[0].field).toBe('format');
  });

  it("answers 404 to another client's user and read key, and lets this client's read key download", async () => {
    const other = await seedDevice(t.http, 'Meter Other', 'Client Other');
    const viewerOfOther = await t.userAgent('viewer', other.clientId);
    await viewerOfOther.get('/api/exports/readings').query({ deviceId, metrics: 'voltage' }).expect(404);
    await viewerOfOther.get('/api/exports/energy').query({ deviceId }).expect(404);
    await viewerOfOther.get('/api/exports/energy').query({ clientId }).expect(404);
    const keyOf = async (c: number) =>
      (
        await t.http
          .post('/api/api-keys')
          .send({ name: `read ${c}`, scope: 'read', clientId: c })
          .expect(201)
      ).body.key as string;
    const otherKey = await keyOf(other.clientId);
    await t.anon.get('/api/exports/readings').set('X-API-Key', otherKey).query({ deviceId, metrics: 'voltage' }).expect(404);
    const ownKey = await keyOf(clientId);
    const own = await t.anon
      .get('/api/exports/readings')
      .set('X-API-Key', ownKey)
      .query({ deviceId, metrics: 'voltage', from: iso(at(0)), to: iso(at(1)) })
      .expect(200);
    expect(parse(own.text)).toEqual([
      ['timestamp (America/Sao_Paulo)', 'voltage (V)', 'source'],
      [saoPaulo(at(0)), '220', 'api'],
      [saoPaulo(at(1)), '220.25', 'api'],
    ]);
    await t.anon.get('/api/exports/readings').query({ deviceId, metrics: 'voltage' }).expect(401);
  });
});
