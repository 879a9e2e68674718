/**
 * @jest-environment node
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ADMIN, apiToken, launchChromium, RunningApi, SCREENSHOTS, startApi } from './e2e-server';

jest.setTimeout(240_000);

const QUARTER = 15 * 60_000;
const ZONE = 'America/Sao_Paulo';

/** Midnight of the 1st of a month in São Paulo (UTC−3 all year since 2019), `monthsBack` months before now's. */
function monthStart(now: Date, monthsBack: number): number {
  const local = new Date(now.getTime() - 3 * 3600_000);
  return Date.UTC(local.getUTCFullYear(), local.getUTCMonth() - monthsBack, 1, 3);
}

/** A bakery's load: 0.5 kW at night, 4 kW from 06:00 to 18:00 local, 6 kW from 18:00 to 20:00 (the ovens for the evening). */
function quarterWh(start: number): number {
  const hour = new Date(start - 3 * 3600_000).getUTCHours();
  const kW = hour >= 18 && hour < 20 ? 6 : hour >= 6 && hour < 18 ? 4 : 0.5;
  return (kW * 1000) / 4;
}

/**
 * The Energy page end to end: a client in São Paulo under tarifa branca, a meter's counter read every 15 minutes
 * since the 1st of last month (sent through the public ingest API as source `api`), and the page showing this month's
 * kWh, cost and postos, the demand, and the comparison with last month, in both languages, both themes and at a
 * phone's width.
 */
describe('Energy page in chromium', () => {
  let api: RunningApi;
  let browser: Browser;
  let page: Page;
  let expectedMonthKWh = 0;
  let clientId = 0;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    api = await startApi();
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${await apiToken(api.base)}` };
    const call = async (method: string, path: string, body: unknown) => {
      const response = await fetch(`${api.base}${path}`, { method, headers, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as { id: number };
    };
    clientId = (await call('POST', '/api/clients', { name: 'Padaria Pão Quente' })).id;
    await call('PATCH', `/api/clients/${clientId}`, { timezone: ZONE });
    const device = await call('POST', '/api/devices', { clientId, name: 'Quadro geral', deviceType: 'api' });
    await call('POST', '/api/tariffs', {
      clientId,
      name: 'Branca',
      modality: 'branca',
      currency: 'BRL',
      validFrom: '2020-01-01',
      energy: { foraPonta: 0.5, intermediario: 0.8, ponta: 1.2 },
      windows: [
        { posto: 'intermediario', days: 'weekdays', start: '16:00', end: '17:00' },
        { posto: 'ponta', days: 'weekdays', start: '17:00', end: '20:00' },
        { posto: 'intermediario', days: 'weekdays', start: '20:00', end: '21:00' },
      ],
      holidays: 'BR',
    });
    const now = new Date();
    const thisMonth = monthStart(now, 0);
    let counter = 1_000_000;
    const readings = [];
    for (let t = monthStart(now, 1); t <= now.getTime() - QUARTER; t += QUARTER) {
      // The reading at t closes the quarter before it.
      if (readings.length) counter += quarterWh(t - QUARTER);
      if (t > thisMonth) expectedMonthKWh += quarterWh(t - QUARTER) / 1000;
      readings.push({ deviceId: device.id, timestamp: new Date(t).toISOString(), metrics: { energy: counter } });
    }
    for (let i = 0; i < readings.length; i += 1000) await call('POST', '/api/ingest', { readings: readings.slice(i, i + 1000) });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
  });

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const kWhText = (kWh: number, locale: string) => new Intl.NumberFormat(locale, { maximumFractionDigits: 3 }).format(kWh);

  it('shows this month’s energy by day with cost and postos beside last month, the demand, and the same figure on the Overview', async () => {
    await page.goto(`${api.base}/login`);
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/overview/);
    // The Overview's "this month" is the energy API's total for the client's calendar month.
    const month = page.getByTestId('energy-month');
    await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="energy-month"]')?.textContent ?? ''));
    expect(await month.textContent()).toContain(`${kWhText(expectedMonthKWh, 'en-GB')} kWh`);
    expect(await month.textContent()).toContain('R$');
    await month.click();
    await page.waitForURL(/\/energy\?clientId=\d+&view=month/);

    const total = page.getByTestId('energy-total');
    await total.waitFor();
    expect(await total.textContent()).toContain(kWhText(expectedMonthKWh, 'en-GB'));
    await page.getByTestId('energy-cost').waitFor();
    expect(await page.getByTestId('energy-cost').textContent()).toMatch(/R\$\s?[\d,]+\.\d\d/);
    // One row per day of the month in São Paulo, and the bars and the demand drawn.
    const local = new Date(Date.now() - 3 * 3600_000);
    const daysInMonth = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 0)).getUTCDate();
    expect(await page.getByTestId('energy-row').count()).toBe(daysInMonth);
    await page.locator('[data-testid="energy-bars"]').waitFor();
    await page.locator('[data-testid="energy-demand"]').waitFor();
    // The peak is the ovens' 6 kW (a 15-minute window of 1.5 kWh).
    expect(await page.getByTestId('energy-peak').textContent()).toBe('6 kW');
    // Weekdays have ponta hours: the postos are shown.
    expect(await page.getByTestId('energy-totals').textContent()).toContain('Ponta');
    await page.waitForTimeout(500);
    await shot('energy-light');

    // Today, by hour: 24 rows, yesterday beside it.
    await page.getByTestId('energy-view-today').click();
    await page.waitForURL(/view=today/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="energy-row"]').length === 24);

    // Portuguese, dark, and a phone's width.
    await page.getByLabel('Language').selectOption('pt-BR');
    await page.getByTestId('energy-view-month').click();
    await page.getByText('Energia consumida').waitFor();
    await page.waitForFunction(
      (text) => document.querySelector('[data-testid="energy-total"]')?.textContent?.includes(text),
      kWhText(expectedMonthKWh, 'pt-BR'),
    );
    await page.getByTestId('theme-toggle').click();
    await page.waitForFunction(() => document.documentElement.dataset['theme'] === 'dark');
    await page.locator('[data-testid="energy-bars"]').waitFor();
    await page.waitForTimeout(500);
    await shot('energy-dark');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(390);
    await shot('energy-phone-dark');
  });
});
