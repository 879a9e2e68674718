/**
 * @jest-environment node
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startSimulator, type RunningSimulator } from '@pieng/simulator';
import { ADMIN, apiToken, freePort, launchChromium, RunningApi, SCREENSHOTS, startApi } from './e2e-server';

/**
 * The console end to end: the built API (serving the built console) on a temporary database, the simulator as a
 * Modbus TCP meter, and Debian's chromium clicking through what a new user does on the first day.
 * Builds nothing: CI runs `npm run build` first.
 */

jest.setTimeout(240_000);

/**
 * An hour of past readings for a device, so charts and analytics have a history to draw in a fresh database (the
 * screenshots). Sent through the public ingest endpoint, so they are stored as source `api`, never as meter data.
 * Energy runs up to the simulator's present counter, so "energy today" and the counter stay consistent.
 */
async function backfillHour(base: string, deviceId: number, now: { energy?: number; power?: number; voltage?: number }): Promise<void> {
  const accessToken = await apiToken(base);
  const nowMs = Date.now();
  const readings = [];
  let energy = now.energy ?? 0;
  const basePower = now.power ?? 150;
  const baseVoltage = now.voltage ?? 227;
  for (let minute = 1; minute <= 60; minute++) {
    const power = basePower * (1 + 0.25 * Math.sin(minute / 9));
    const voltage = baseVoltage + 3 * Math.sin(minute / 7) + 0.5 * Math.cos(minute * 1.3);
    energy -= power / 60;
    readings.push({
      deviceId,
      timestamp: new Date(nowMs - minute * 60_000).toISOString(),
      metrics: {
        voltage,
        power,
        current: power / voltage / 0.92,
        energy: Math.max(0, Math.round(energy)),
        frequency: 50 + 0.05 * Math.sin(minute),
        powerFactor: 0.92,
      },
    });
  }
  const response = await fetch(`${base}/api/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ readings }),
  });
  if (!response.ok) throw new Error(`backfill failed: ${response.status} ${await response.text()}`);
}

/** A second client with a device that pushes its own readings (type api), so the overview shows more than one card. */
async function seedSecondClient(base: string): Promise<void> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${await apiToken(base)}` };
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id: number };
  };
  const client = await post('/api/clients', { name: 'Sítio Esperança' });
  const device = await post('/api/devices', { clientId: client.id, name: 'Irrigation pump', deviceType: 'api', config: {} });
  const nowMs = Date.now();
  const readings = Array.from({ length: 30 }, (_, i) => ({
    deviceId: device.id,
    timestamp: new Date(nowMs - (30 - i) * 60_000).toISOString(),
    metrics: { voltage: 219 + Math.sin(i / 4), power: 1450 + 30 * Math.cos(i / 3), energy: 82_000 + i * 24 },
  }));
  await post('/api/ingest', { readings });
}

/** Controls a screen reader cannot name: inputs and selects without a label or aria-label, buttons without text. */
function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('input, select, textarea, button'))
      .filter((el) => {
        if (el instanceof HTMLInputElement && el.type === 'hidden') return false;
        const named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
        if (el instanceof HTMLButtonElement) return !named && !el.textContent?.trim();
        return !named && (el as HTMLInputElement).labels?.length === 0;
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}

describe('web console in chromium', () => {
  let api: RunningApi;
  let sim: RunningSimulator;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // Drifting values (not deterministic), so the live values visibly change.
    sim = await startSimulator({ tcpPort: 0, meters: [{ model: 'pzem004t', slaveId: 1 }] });
    api = await startApi({ ENABLE_POLLING: 'true' });
    base = api.base;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US', colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await sim?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  it('logs in, adds the simulator, watches it live, charts it, raises and acknowledges an alarm, switches language and theme, logs out', async () => {
    // A deep link before login lands on the login page, and comes back after it (the server answers index.html for it).
    await page.goto(`${base}/devices`);
    await page.waitForURL(/\/login/);
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('login-error').waitFor();
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/devices$/);

    // A client, from the overview.
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByLabel('Client name').fill('Fazenda Boa Vista');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const card = page.getByTestId('client-card').filter({ hasText: 'Fazenda Boa Vista' });
    await card.waitFor();

    // The simulator as a Modbus TCP device; "Test read" shows the decoded values before anything is saved.
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('link', { name: 'Add device' }).click();
    await page.getByLabel('Client').selectOption({ label: 'Fazenda Boa Vista' });
    await page.getByLabel('Name', { exact: true }).fill('Main panel PZEM');
    await page.getByLabel('Poll interval (s)').fill('1');
    await page.getByLabel('Connection').selectOption('tcp');
    await page.getByLabel('Meter model').selectOption('pzem004t');
    await page.getByLabel('Host').fill('127.0.0.1');
    await page.getByLabel('Unit id').fill('1');
    await page.getByLabel(/Simulated meter/).check();
    // A wrong port first: the meter's error, naming host and port, is shown as is and nothing is saved.
    const deadPort = await freePort();
    await page.getByLabel('Port', { exact: true }).fill(String(deadPort));
    await page.getByRole('button', { name: 'Test read' }).click();
    const readError = page.getByTestId('test-read-error');
    await readError.waitFor();
    expect(await readError.textContent()).toContain(`127.0.0.1:${deadPort}`);
    await shot('device-test-read-error-light');
    await page.getByLabel('Port', { exact: true }).fill(String(sim.tcpPort));
    await page.getByRole('button', { name: 'Test read' }).click();
    await readError.waitFor({ state: 'detached' });
    const voltage = page.locator('[data-testid="test-read-value"][data-metric="voltage"]');
    await voltage.waitFor();
    // The simulator's PZEM-004T serves a mains voltage (drifting around 230 V), decoded from 0.1 V steps.
    const decoded = /Voltage\s*([\d.,]+)\s*V/.exec((await voltage.textContent()) ?? '');
    expect(decoded).not.toBeNull();
    expect(Number(decoded?.[1].replace(',', ''))).toBeGreaterThan(180);
    expect(Number(decoded?.[1].replace(',', ''))).toBeLessThan(260);
    await shot('device-test-read-light');
    // Nothing was saved by the test read.
    expect(await (await fetch(`${base}/api/devices`, { headers: { authorization: `Bearer ${await apiToken(base)}` } })).json()).toEqual([]);

    // Saved: the device page, where live values arrive over SSE and change without a reload.
    await page.getByTestId('save-device').click();
    await page.waitForURL(/\/devices\/\d+$/);
    const deviceId = Number(new URL(page.url()).pathname.split('/').pop());
    await backfillHour(base, deviceId, sim.getValues(1));
    await seedSecondClient(base);
    const live = page.getByTestId('live-values');
    await live.waitFor();
    const first = await live.textContent();
    await page.waitForFunction((before) => document.querySelector('[data-testid="live-values"]')?.textContent !== before, first, { timeout: 20_000 });

    // A chart over a chosen period.
    await page.getByTestId('period').selectOption('today');
    await page.locator('[data-testid="series-chart"] canvas').waitFor();
    await page.waitForTimeout(2500); // a few more points on the chart for the screenshot
    await page.getByTestId('period').selectOption('hour');
    await page.locator('[data-testid="series-chart"] canvas').waitFor();
    expect(await page.getByText('No readings in this period.').count()).toBe(0);
    // The last hour in at most 120 points: 30 s buckets would be 121 (both ends count), so 1-minute ones, read from
    // the 1-minute rollups, and the chart says so.
    await page.waitForFunction(
      () => /average of 1 min.*1-minute rollups/.test(document.querySelector('[data-testid="series-buckets"]')?.textContent ?? ''),
      undefined,
      { timeout: 10_000 },
    );

    // A rule that holds for any mains voltage: its alarm is raised by the next poll.
    await page.getByRole('link', { name: /^Alarms/ }).click();
    await page.getByLabel('Name', { exact: true }).fill('Voltage present');
    // The metric is picked from the device's own metrics (a select, with units).
    await page.locator('select[name="ruleMetric"]').selectOption('voltage');
    await page.getByLabel('Condition').selectOption('>');
    await page.locator('input[name="ruleThreshold"]').fill('100');
    await page.getByTestId('save-rule').click();
    await page.getByTestId('alarm-rule').filter({ hasText: 'Voltage present' }).waitFor();
    // Reloading a client-side route keeps the session and the page.
    let acknowledge = page.getByTestId('acknowledge').first();
    for (let i = 0; i < 20 && (await acknowledge.count()) === 0; i++) {
      await page.waitForTimeout(1000);
      await page.reload();
      await page.getByTestId('alarm-rule').first().waitFor();
      acknowledge = page.getByTestId('acknowledge').first();
    }
    await acknowledge.waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="active-alarm-count"]')?.textContent) >= 1, undefined, { timeout: 20_000 });
    await acknowledge.click();
    // Acknowledging asks for an optional comment, then records who did it.
    await page.getByTestId('confirm-ack').click();
    await page.getByTestId('acknowledged-by').first().waitFor();

    // Users: an operator for the new client.
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByTestId('user-row').first().waitFor();
    await page.locator('[name="email"]').fill('operador@fazenda.test');
    await page.locator('[name="password"]').fill('operador-senha-123');
    await page.getByLabel('Role').selectOption('operator');
    await page.locator('[name="clientId"]').selectOption({ label: 'Fazenda Boa Vista' });
    await page.getByTestId('create-user').click();
    await page.getByTestId('user-row').filter({ hasText: 'operador@fazenda.test' }).filter({ hasText: 'Fazenda Boa Vista' }).waitFor();

    // API keys: the key is shown once, with a warning and a copy button.
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.locator('[name="keyName"]').fill('Slave at the head office');
    await page.locator('[name="keyScope"]').selectOption('forward');
    await page.locator('[name="keyClient"]').selectOption({ label: 'Fazenda Boa Vista' });
    await page.getByTestId('create-key').click();
    const newKey = page.getByTestId('new-key-value');
    await newKey.waitFor();
    const secret = ((await newKey.textContent()) ?? '').trim();
    expect(secret.length).toBeGreaterThan(20);
    await page.getByTestId('copy-key').waitFor();
    expect(await page.getByTestId('new-key').textContent()).toContain('shown this once');
    await page.getByTestId('api-key-row').filter({ hasText: 'Slave at the head office' }).waitFor();
    // The key works: it may push a reading for its client's device.
    const pushed = await fetch(`${base}/api/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': secret },
      body: JSON.stringify({ readings: [{ deviceId, metrics: { voltage: 231 } }] }),
    });
    expect(pushed.status).toBe(200);

    // Forwarding: this instance has no target, and says so.
    await page.getByRole('link', { name: 'Forwarding' }).click();
    await page.getByTestId('forwarding-status').waitFor();
    await page.getByTestId('forwarding-off').waitFor();
    expect(await page.getByTestId('forwarding-pending').textContent()).toMatch(/^\d/);

    // Tariffs: a tarifa branca for the first client (the form starts with the branca windows); its day on a strip.
    await page.getByRole('link', { name: 'Sites & tariffs' }).click();
    await page.getByTestId('site-row').first().waitFor();
    await page.getByTestId('tariff-add').click();
    await page.locator('[name="tariffName"]').fill('Branca 2026');
    await page.locator('[name="energy.foraPonta"]').fill('0.5');
    await page.locator('[name="energy.intermediario"]').fill('0.8');
    await page.locator('[name="energy.ponta"]').fill('1.2');
    await page.locator('[name="taxes.icms"]').fill('18');
    await page.getByTestId('tariff-save').click();
    const tariff = page.getByTestId('tariff-row').filter({ hasText: 'Branca 2026' });
    await tariff.waitFor();
    expect(await tariff.locator('[data-posto]').evaluateAll((els) => els.map((el) => el.getAttribute('data-posto')))).toEqual([
      'foraPonta',
      'intermediario',
      'ponta',
      'intermediario',
      'foraPonta',
    ]);
    // Bandeiras (platform staff): November amarela.
    const november = `${new Date().getFullYear()}-11`;
    await page.getByRole('link', { name: 'Bandeiras' }).click();
    const novemberRow = page.locator(`[data-testid="bandeira-row"][data-month="${november}"]`);
    await novemberRow.locator('select').selectOption('amarela');
    await novemberRow.locator('input').fill('1.885');
    await novemberRow.getByTestId('bandeira-save').click();
    await novemberRow.getByTestId('bandeira-clear').waitFor();

    // Screenshots of the main pages, light then dark.
    const deviceUrl = `/devices/${deviceId}`;
    for (const theme of ['light', 'dark'] as const) {
      if ((await page.evaluate(() => document.documentElement.dataset['theme'])) !== theme) await page.getByTestId('theme-toggle').click();
      await page.goto(`${base}/overview`);
      await page.getByTestId('client-card').first().waitFor();
      await page.waitForTimeout(500);
      await shot(`overview-${theme}`);
      expect(await unlabelledControls(page)).toEqual([]);
      await page.goto(`${base}${deviceUrl}`);
      await page.getByTestId('live-values').waitFor();
      await page.locator('[data-testid="series-chart"] canvas').waitFor();
      await page.waitForTimeout(800);
      await shot(`device-${theme}`);
      expect(await unlabelledControls(page)).toEqual([]);
      await page.goto(`${base}/alarms`);
      await page.getByTestId('alarm-event').first().waitFor();
      await shot(`alarms-${theme}`);
      expect(await unlabelledControls(page)).toEqual([]);
      await page.goto(`${base}/analytics`);
      await page.getByTestId('lsl').fill('200');
      await page.getByTestId('usl').fill('240');
      await page.getByTestId('compute').click();
      await page.locator('[data-testid="histogram"] canvas').waitFor();
      await page.getByTestId('r2').waitFor();
      await page.waitForTimeout(800);
      await shot(`analytics-${theme}`);
      expect(await unlabelledControls(page)).toEqual([]);
      for (const [path, ready] of [
        ['/users', 'user-row'],
        ['/api-keys', 'api-key-row'],
        ['/forwarding', 'forwarding-status'],
        ['/tariffs', 'tariff-strip'],
        ['/bandeiras', 'bandeira-row'],
      ] as const) {
        await page.goto(`${base}${path}`);
        await page.getByTestId(ready).first().waitFor();
        await page.waitForTimeout(300);
        await shot(`${path.slice(1)}-${theme}`);
        expect(await unlabelledControls(page)).toEqual([]);
      }
    }
    expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe('dark');

    // At a phone's width the pages still fit: navigation wraps, forms stack, wide tables scroll inside their card.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of [
      '/overview',
      '/devices',
      '/alarms',
      '/analytics',
      '/users',
      '/api-keys',
      '/forwarding',
      '/tariffs',
      '/bandeiras',
      '/devices/new',
      deviceUrl,
    ]) {
      await page.goto(`${base}${path}`);
      await page.locator('h1').first().waitFor();
      await page.waitForTimeout(300);
      expect({ path, width: await page.evaluate(() => document.documentElement.scrollWidth) }).toEqual({ path, width: 390 });
    }
    await page.getByTestId('live-values').waitFor();
    await page.locator('[data-testid="series-chart"] canvas').waitFor();
    await page.waitForTimeout(800);
    await shot('device-phone-dark');
    await page.setViewportSize({ width: 1280, height: 860 });

    // Portuguese, remembered across a reload.
    await page.getByLabel('Language').selectOption('pt-BR');
    await page.getByRole('link', { name: 'Dispositivos' }).waitFor();
    await page.reload();
    await page.getByRole('link', { name: 'Dispositivos' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('pt-BR');
    await page.getByTestId('theme-toggle').click();
    await page.waitForFunction(() => document.documentElement.dataset['theme'] === 'light');

    // Log out: back to the login page, and the pages are closed again.
    await page.getByTestId('logout').click();
    await page.waitForURL(/\/login/);
    await page.getByRole('button', { name: 'Entrar' }).waitFor();
    await page.goto(`${base}/alarms`);
    await page.waitForURL(/\/login/);
  });
});
