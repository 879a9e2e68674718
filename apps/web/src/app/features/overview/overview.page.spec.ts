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

  it('shows a card per client with device counts, active alarms and energy today', async () => {
    TestBed.inject(AuthService).open.set(true);
    const fixture = TestBed.createComponent(OverviewPage);
    await fixture.whenStable();
    const http = TestBed.inject(HttpTestingController);
    http.expectOne('/api/clients').flush([
      { id: 1, name: 'Fazenda Boa Vista', externalId: null, createdAt: '' },
      { id: 2, name: 'Sítio Esperança', externalId: null, createdAt: '' },
    ]);
    http.expectOne('/api/devices').flush([device(10, 1, 'online'), device(11, 1, 'offline'), device(12, 1, 'backoff'), device(20, 2, 'online')]);
    http.expectOne((r) => r.url.startsWith('/api/alarms/events')).flush([
      { id: 1, deviceId: 11, active: true },
      { id: 2, deviceId: 11, active: true },
      { id: 3, deviceId: 20, active: true },
    ]);
    // Energy today per device: counters at midnight and now (Wh).
    const energy: Record<number, [number, number]> = { 10: [1000, 3500], 11: [0, 0], 12: [200, 700], 20: [5000, 5250] };
    for (const [id, [start, end]] of Object.entries(energy)) {
      const req = http.expectOne((r) => r.url.startsWith('/api/metrics/series') && r.url.includes(`deviceId=${id}&`));
      req.flush({ from: '', to: '', bucketMs: 1000, resolution: 'raw', timezone: 'UTC', series: [{ metric: 'energy', unit: 'Wh', points: [{ t: '', avg: 0, min: start, max: start, count: 1 }, { t: '', avg: 0, min: end, max: end, count: 1 }] }] });
    }
    await fixture.whenStable();
    const cards = Array.from((fixture.nativeElement as HTMLElement).querySelectorAll('[data-testid="client-card"]')).map((c) => c.textContent?.replace(/\s+/g, ' ').trim());
    // Boa Vista: 3 devices, 1 online, 2 offline (backoff counts as offline), 2 alarms, (2500 + 0 + 500) Wh = 3 kWh
    expect(cards[0]).toBe('Fazenda Boa VistaDevices3Online1Offline2Active alarms2Energy today3 kWh');
    expect(cards[1]).toBe('Sítio EsperançaDevices1Online1Offline0Active alarms1Energy today0.25 kWh');
  });
});
