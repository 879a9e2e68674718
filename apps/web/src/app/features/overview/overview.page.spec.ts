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
      'Fazenda Boa VistaDevices3Online1Offline2Active alarms2Energy today3 kWhThis month 41.5 kWh · R$30.25Month forecast 90 kWh · R$65.50past error 4.2 % over 12 days',
    );
    // Esperança has no tariff: no cost.
    expect(cards[1]).toBe('Sítio EsperançaDevices1Online1Offline0Active alarms1Energy today0.25 kWhThis month 7 kWh');
  });
});
