import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { OverviewPage } from './overview.page';

const device = (id: number, clientId: number, status: string) => ({ id, clientId, status, name: `d${id}`, config: {} });

describe('OverviewPage', () => {
  beforeEach(() => {
    localStorage.setItem('pieng.language', 'en');
    TestBed.configureTestingModule({ imports: [OverviewPage], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
  });

  it('shows a card per client with device counts, active alarms, energy today and this month with its cost', async () => {
    TestBed.inject(AuthService).open.set(true);
    const fixture = TestBed.createComponent(OverviewPage);
    await fixture.whenStable();
    const http = TestBed.inject(HttpTestingController);
    http.expectOne('/api/clients').flush([
      { id: 1, name: 'Fazenda Boa Vista', externalId: null, createdAt: '', timezone: 'UTC' },
      { id: 2, name: 'Sítio Esperança', externalId: null, createdAt: '', timezone: 'America/Sao_Paulo' },
    ]);
    http.expectOne('/api/devices').flush([device(10, 1, 'online'), device(11, 1, 'offline'), device(12, 1, 'backoff'), device(20, 2, 'online')]);
    http
      .expectOne((r) => r.url.startsWith('/api/alarms/events'))
      .flush([
        { id: 1, deviceId: 11, active: true },
        { id: 2, deviceId: 11, active: true },
        { id: 3, deviceId: 20, active: true },
      ]);
    // Energy of each client from the energy API: today (interval day) and this month (interval month), the month priced for Boa Vista.
    const totals: Record<string, { kWh: number; cost?: number }> = {
      '1|day': { kWh: 3 },
      '1|month': { kWh: 41.5, cost: 30.25 },
      '2|day': { kWh: 0.25 },
      '2|month': { kWh: 7 },
    };
    for (const [key, total] of Object.entries(totals)) {
      const [clientId, interval] = key.split('|');
      const req = http.expectOne((r) => r.url.startsWith(`/api/energy?clientId=${clientId}&`) && r.url.endsWith(`interval=${interval}`));
      // Today starts at midnight in the client's own time zone (São Paulo: 03:00 UTC).
      if (clientId === '2' && interval === 'day') expect(req.request.url).toMatch(/from=\d{4}-\d\d-\d\dT03%3A00%3A00\.000Z/);
      req.flush({ unit: 'kWh', timezone: 'UTC', interval, intervals: [], total, quality: { resets: 0, rollovers: 0, spikes: 0, interpolatedKWh: 0 } });
    }
    // The month forecast: Boa Vista's, with its past error; Esperança's fails (a 500), and its card simply has none.
    http
      .expectOne('/api/analytics/forecast?clientId=1')
      .flush({ month: { actualKWh: 41.5, remainingKWh: 48.5, forecastKWh: 90, forecastCost: 65.5 }, pastErrorPct: 4.2, pastErrorDays: 12 });
    http.expectOne('/api/analytics/forecast?clientId=2').flush({ message: 'boom' }, { status: 500, statusText: 'Server Error' });
    await fixture.whenStable();
    const cards = Array.from((fixture.nativeElement as HTMLElement).querySelectorAll('[data-testid="client-card"]')).map((c) =>
      c.textContent?.replace(/\s+/g, ' ').trim(),
    );
    // Boa Vista: 3 devices, 1 online, 2 offline (backoff counts as offline), 2 alarms, 3 kWh today, 41.5 kWh and R$ 30.25 this month.
    expect(cards[0]).toBe(
      'Fazenda Boa VistaDevices3Online1Offline2Active alarms2Energy today3 kWhThis month 41.5 kWh · R$30.25Month forecast 90 kWh · R$65.50past error 4.2 % over 12 days Edit Delete',
    );
    // Esperança has no tariff: no cost.
    expect(cards[1]).toBe('Sítio EsperançaDevices1Online1Offline0Active alarms1Energy today0.25 kWhThis month 7 kWh Edit Delete');
  });

  describe('managing clients', () => {
    const boaVista = {
      id: 1,
      name: 'Fazenda Boa Vista',
      externalId: null,
      createdAt: '',
      timezone: 'America/Sao_Paulo',
      language: 'pt-BR',
      retention: {},
      mqttTopicPrefix: null,
    };
    let http: HttpTestingController;

    async function render(role: 'admin' | 'operator' = 'admin') {
      TestBed.inject(AuthService).user.set({ id: 1, email: 'staff@plant.test', role, clientId: null, mustChangePassword: false } as never);
      const fixture = TestBed.createComponent(OverviewPage);
      await fixture.whenStable();
      http = TestBed.inject(HttpTestingController);
      http.expectOne('/api/clients').flush([boaVista]);
      http.expectOne('/api/devices').flush([]);
      http.expectOne((r) => r.url.startsWith('/api/alarms/events')).flush([]);
      // The cards' energy and forecast are not what these tests are about.
      for (const r of http.match((r) => r.url.startsWith('/api/energy') || r.url.startsWith('/api/analytics/forecast')))
        if (!r.cancelled) r.flush({}, { status: 500, statusText: 'Server Error' });
      await fixture.whenStable();
      return { fixture, el: fixture.nativeElement as HTMLElement };
    }

    function click(el: HTMLElement, testid: string): void {
      const button = el.querySelector<HTMLButtonElement>(`[data-testid="${testid}"]`);
      if (!button) throw new Error(`no ${testid}`);
      button.click();
    }

    it('offers edit and delete to platform admins only', async () => {
      const { el } = await render('operator');
      expect(el.querySelector('[data-testid="edit-client"]')).toBeNull();
      expect(el.querySelector('[data-testid="delete-client"]')).toBeNull();
    });

    it('edits a client, sending only what changed, and the card shows the new name', async () => {
      const { fixture, el } = await render();
      click(el, 'edit-client');
      await fixture.whenStable();
      const name = el.querySelector<HTMLInputElement>('[name="editName"]') as HTMLInputElement;
      expect(name.value).toBe('Fazenda Boa Vista');
      expect((el.querySelector('[name="editTimezone"]') as HTMLInputElement).value).toBe('America/Sao_Paulo');
      name.value = 'Fazenda Boa Vista II';
      name.dispatchEvent(new Event('input'));
      const language = el.querySelector<HTMLSelectElement>('[name="editLanguage"]') as HTMLSelectElement;
      language.value = 'en';
      language.dispatchEvent(new Event('change'));
      click(el, 'save-client');
      const patch = http.expectOne('/api/clients/1');
      expect(patch.request.method).toBe('PATCH');
      expect(patch.request.body).toEqual({ name: 'Fazenda Boa Vista II', language: 'en' });
      patch.flush({ ...boaVista, name: 'Fazenda Boa Vista II', language: 'en' });
      await fixture.whenStable();
      expect(el.querySelector('[data-testid="client-edit"]')).toBeNull();
      expect(el.querySelector('[data-testid="client-card"] h2')?.textContent?.trim()).toBe('Fazenda Boa Vista II');
    });

    it('shows a refused time zone once, beside its field', async () => {
      const { fixture, el } = await render();
      click(el, 'edit-client');
      await fixture.whenStable();
      const tz = el.querySelector<HTMLInputElement>('[name="editTimezone"]') as HTMLInputElement;
      tz.value = 'Mars/Olympus';
      tz.dispatchEvent(new Event('input'));
      click(el, 'save-client');
      const message = 'timezone must be an IANA time zone such as America/Sao_Paulo (or null for PLANT_TIMEZONE)';
      http
        .expectOne('/api/clients/1')
        .flush({ statusCode: 400, message, errors: [{ field: 'timezone', message }] }, { status: 400, statusText: 'Bad Request' });
      await fixture.whenStable();
      expect(Array.from(el.querySelectorAll('[data-testid="client-edit"] .error-text')).map((e) => e.textContent)).toEqual([message]);
    });

    it('deletes a client only after a confirmation that names it, and shows the refusal of a client with devices in it', async () => {
      const { fixture, el } = await render();
      click(el, 'delete-client');
      await fixture.whenStable();
      expect(el.querySelector('[data-testid="delete-confirm"]')?.textContent).toContain('Delete the client "Fazenda Boa Vista"?');
      expect(el.querySelector('[data-testid="delete-confirm"]')?.textContent).toContain('while it still has devices, users or API keys in use');
      click(el, 'delete-cancel');
      await fixture.whenStable();
      http.expectNone((r) => r.method === 'DELETE');
      expect(el.querySelector('[data-testid="delete-confirm"]')).toBeNull();

      click(el, 'delete-client');
      await fixture.whenStable();
      click(el, 'delete-confirm-button');
      const refused = http.expectOne('/api/clients/1');
      expect(refused.request.method).toBe('DELETE');
      refused.flush({ statusCode: 409, message: 'Client 1 still has 2 device(s); delete or move them first' }, { status: 409, statusText: 'Conflict' });
      await fixture.whenStable();
      expect(el.querySelector('[data-testid="delete-confirm"] [role="alert"]')?.textContent).toBe('Client 1 still has 2 device(s); delete or move them first');

      click(el, 'delete-confirm-button');
      http.expectOne('/api/clients/1').flush(null, { status: 204, statusText: 'No Content' });
      await fixture.whenStable();
      expect(el.querySelectorAll('[data-testid="client-card"]')).toHaveLength(0);
    });
  });
});
