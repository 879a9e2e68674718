import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Response } from 'supertest';
import { startTestApp, TestApp } from '../../testing/test-app';

/**
 * The monthly report checked the way a reader sees it: its text extracted with pdftotext (Debian's
 * poppler-utils) and compared with the energy API's figures for the same period, and its first page
 * rendered with pdftoppm (WRITE_DOCS_SCREENSHOT=1 writes it to docs/ for the README).
 */
// A report reads a month of quarters several times over (energy, demand, per device): slow on a loaded machine.
jest.setTimeout(240_000);

const QUARTER = 900_000;
/** October 2026 in São Paulo (UTC−3): 2026-10-01T03:00Z to 2026-11-01T03:00Z. */
const FROM = Date.UTC(2026, 9, 1, 3);
const UNTIL = Date.UTC(2026, 10, 1, 3);
const iso = (ms: number) => new Date(ms).toISOString();

function requirePoppler(): void {
  for (const tool of ['pdftotext', 'pdftoppm']) {
    if (spawnSync(tool, ['-v']).error) throw new Error(`${tool} not found: apt-get install poppler-utils`);
  }
}

const binary = (res: Response, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

describe('monthly report (PDF)', () => {
  let t: TestApp;
  let dir: string;
  let clientId: number;
  let mainId: number;
  let subId: number;

  beforeAll(async () => {
    requirePoppler();
    dir = mkdtempSync(join(tmpdir(), 'pieng-report-'));
    t = await startTestApp({ RETENTION_RAW_DAYS: '36500', RETENTION_1M_DAYS: '36500' });
    clientId = (await t.http.post('/api/clients').send({ name: 'Padaria São João' }).expect(201)).body.id;
    await t.http.patch(`/api/clients/${clientId}`).send({ timezone: 'America/Sao_Paulo' }).expect(200);
    const [site] = (await t.http.get('/api/sites').query({ clientId }).expect(200)).body;
    await t.http
      .patch(`/api/sites/${site.id}`)
      .send({ name: 'Loja Centro', address: 'Rua da Conceição, 10', contractedKW: { foraPonta: 30 } })
      .expect(200);
    await t.http
      .post('/api/tariffs')
      .send({
        siteId: site.id,
        name: 'Verde Cemig 2026',
        modality: 'verde',
        currency: 'BRL',
        validFrom: '2026-01-01',
        energy: { foraPonta: 0.5, ponta: 2 },
        demand: { foraPonta: 30 },
        windows: [{ posto: 'ponta', days: 'weekdays', start: '18:00', end: '21:00' }],
      })
      .expect(201);
    mainId = (await t.http.post('/api/devices').send({ clientId, siteId: site.id, name: 'Quadro geral', deviceType: 'api', pollIntervalSec: 300 }).expect(201))
      .body.id;
    subId = (
      await t.http
        .post('/api/devices')
        .send({ clientId, siteId: site.id, name: 'Forno elétrico', deviceType: 'api', submeter: true, pollIntervalSec: 300 })
        .expect(201)
    ).body.id;
    await t.http.patch(`/api/sites/${site.id}`).send({ mainDeviceId: mainId }).expect(200);
    // A virtual meter of the rest: counted already (main − oven), so it is no line of the Pareto of the sub-meters.
    await t.http
      .post('/api/devices')
      .send({
        clientId,
        name: 'Resto da loja',
        deviceType: 'virtual',
        config: { inputs: { main: mainId, oven: subId }, metrics: { energy: 'main.energy - oven.energy' } },
      })
      .expect(201);
    await t.http.post('/api/alarms/rules').send({ clientId, name: 'Sobretensão', metric: 'voltage', operator: '>', threshold: 240 }).expect(201);
    // A reading every 15 minutes over October: the main meter counts 100 Wh a quarter (400 W) at night and 2,500 Wh
    // (10 kW) from 08:00 to 18:00 local on weekdays; the oven 40 % of the main's. One hour above 240 V on the 14th.
    const readings: unknown[] = [];
    let main = 1_000_000;
    let oven = 500_000;
    for (let q = FROM - QUARTER; q <= UNTIL + QUARTER; q += QUARTER) {
      const local = new Date(q - 3 * 3_600_000);
      const busy = local.getUTCDay() >= 1 && local.getUTCDay() <= 5 && local.getUTCHours() >= 8 && local.getUTCHours() < 18;
      const wh = busy ? 2500 : 100;
      main += wh;
      oven += wh * 0.4;
      const hot = q >= Date.UTC(2026, 9, 14, 13) && q < Date.UTC(2026, 9, 14, 14);
      readings.push({ deviceId: mainId, timestamp: q, metrics: { energy: main, powerFactor: 0.95, voltage: hot ? 250 : 225 } });
      readings.push({ deviceId: subId, timestamp: q, metrics: { energy: oven, powerFactor: 0.85 } });
    }
    for (let i = 0; i < readings.length; i += 2000)
      await t.http
        .post('/api/ingest')
        .send({ readings: readings.slice(i, i + 2000) })
        .expect(200);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const report = (query: Record<string, unknown>) => t.http.get('/api/reports/monthly').query({ clientId, month: '2026-10', ...query });
  const text = (pdf: Buffer, name: string) => {
    writeFileSync(join(dir, `${name}.pdf`), pdf);
    return execFileSync('pdftotext', ['-layout', join(dir, `${name}.pdf`), '-'], { encoding: 'utf8' });
  };
  const fmt = (lang: string, v: number) => new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v);

  it('prints the totals of the energy and demand APIs for the month, in Portuguese with its accents', async () => {
    const res = await report({ lang: 'pt-BR' }).buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="report_client-${clientId}_2026-10_pt-BR.pdf"`);
    const pdf = res.body as Buffer;
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    // The font is embedded (a subset of DejaVu Sans), not a reference to one the reader may lack.
    expect(pdf.toString('latin1')).toMatch(/\/FontFile2/);
    const words = text(pdf, 'pt');
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', '-singlefile', join(dir, 'pt.pdf'), join(dir, 'page1')]);
    const png = readFileSync(join(dir, 'page1.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    if (process.env['WRITE_DOCS_SCREENSHOT'] === '1') copyFileSync(join(dir, 'page1.png'), resolve(__dirname, '../../../../../docs/monthly-report.png'));
    expect(words).toContain('Relatório mensal de energia');
    expect(words).toContain('Padaria São João');
    expect(words).toContain('Rua da Conceição, 10');
    expect(words).toContain('Verde Cemig 2026 (verde), vigente desde 2026-01-01');
    expect(words).toContain('2026-10-01 – 2026-10-31 (mês civil)');

    const energy = (
      await t.http
        .get('/api/energy')
        .query({ clientId, from: iso(FROM), to: iso(UNTIL - 1), interval: 'day' })
        .expect(200)
    ).body;
    // By hand: 22 weekdays × 40 busy quarters × 2.5 kWh + the other quarters (31 × 96 − 880) × 0.1 kWh = 2,200 + 209.6 = 2,409.6 kWh.
    expect(energy.total.kWh).toBeCloseTo(2409.6, 6);
    const line = (label: string) => words.split('\n').find((l) => l.trimStart().startsWith(label)) ?? '';
    expect(line('Energia total')).toContain(fmt('pt-BR', energy.total.kWh));
    expect(line('Energia total')).toContain('2.409,60');
    expect(line('Ponta')).toContain(fmt('pt-BR', energy.total.byPosto.ponta.kWh));
    const demand = (
      await t.http
        .get('/api/energy/demand')
        .query({ clientId, from: iso(FROM), to: iso(UNTIL - 1) })
        .expect(200)
    ).body;
    // 2.5 kWh in 15 minutes = 10 kW, under the 30 kW contract.
    expect(demand.peakByPosto.foraPonta.kW).toBeCloseTo(10, 9);
    expect(words.split('\n').filter((l) => l.includes('Fora ponta'))).toContainEqual(
      expect.stringMatching(/^\s*Fora ponta\s+10,00\s+2026-10-\d\d \d\d:\d\d\s+30\s+não/),
    );
    // The oven: 40 % of the main meter's kWh, a mean power factor of 0.85 (below 0.92).
    const oven = (
      await t.http
        .get('/api/energy')
        .query({ deviceId: subId, from: iso(FROM), to: iso(UNTIL - 1), interval: 'month' })
        .expect(200)
    ).body;
    expect(line('Forno elétrico')).toContain(fmt('pt-BR', oven.total.kWh));
    expect(line('Forno elétrico')).toContain('0,85 (abaixo de 0,92)');
    // The sub-meters only: the oven is the whole of the Pareto; the main meter and the virtual meter are no line of it.
    expect(line('Forno elétrico')).toMatch(/100,0\s*%.*100,0\s*%/);
    expect(line('Quadro geral')).toBe('');
    expect(line('Resto da loja')).toBe('');
    // The rule's severity (major, the default), in Portuguese.
    expect(line('Sobretensão')).toMatch(/maior\s+voltage\s+1\s+1 h 00 min/);
    expect(words).toContain('A conformidade de tensão (PRODIST módulo 8) ainda não faz parte deste relatório.');
  });

  it('writes the same figures in English', async () => {
    const words = text((await report({ lang: 'en' }).buffer(true).parse(binary).expect(200)).body, 'en');
    const energy = (
      await t.http
        .get('/api/energy')
        .query({ clientId, from: iso(FROM), to: iso(UNTIL - 1), interval: 'month' })
        .expect(200)
    ).body;
    expect(words).toContain('Monthly energy report');
    expect(words.split('\n').find((l) => l.trimStart().startsWith('Total energy'))).toContain(fmt('en', energy.total.kWh));
    expect(words).toContain('2,409.60');
  });

  it('answers 400 naming the field for a month to come, a malformed month or an unknown language, and 404 to another client', async () => {
    const refusal = async (query: Record<string, unknown>) => (await report(query).expect(400)).body.errors[0].field;
    expect(await refusal({ month: '2099-01' })).toBe('month');
    expect((await report({ month: '2099-01' }).expect(400)).body.message).toMatch(/2099-01 has not begun yet/);
    expect(await refusal({ month: '2026-13' })).toBe('month');
    expect(await refusal({ lang: 'fr' })).toBe('lang');
    const other = (await t.http.post('/api/clients').send({ name: 'Outro cliente' }).expect(201)).body.id;
    const viewerOfOther = await t.userAgent('viewer', other);
    await viewerOfOther.get('/api/reports/monthly').query({ clientId, month: '2026-10' }).expect(404);
    const viewer = await t.userAgent('viewer', clientId);
    await viewer.get('/api/reports/monthly').query({ clientId, month: '2026-10' }).expect(200);
  });
});
