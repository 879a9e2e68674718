import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { provideCharts, withDefaultRegisterables } from 'ng2-charts';
import { AuthService } from '../../core/auth.service';
import { EnergyPage } from './energy.page';

const quality = { resets: 0, rollovers: 0, spikes: 0, interpolatedKWh: 0 };
const split = (fp: number, i: number, p: number) => ({
  foraPonta: { kWh: fp, cost: fp * 0.5 },
  intermediario: { kWh: i, cost: i * 0.8 },
  ponta: { kWh: p, cost: p * 1.2 },
});

describe('EnergyPage', () => {
  beforeEach(() => {
    localStorage.setItem('pieng.language', 'en');
    TestBed.configureTestingModule({
      imports: [EnergyPage],
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting(), provideCharts(withDefaultRegisterables())],
    });
    TestBed.inject(AuthService).open.set(true);
  });

  async function open(view: string) {
    const fixture = TestBed.createComponent(EnergyPage);
    fixture.componentRef.setInput('clientId', '1');
    fixture.componentRef.setInput('view', view);
    await fixture.whenStable();
    const http = TestBed.inject(HttpTestingController);
    http.expectOne('/api/clients').flush([{ id: 1, name: 'Padaria', externalId: null, createdAt: '', timezone: 'America/Sao_Paulo' }]);
    http.expectOne('/api/devices').flush([{ id: 7, clientId: 1, name: 'Quadro geral', status: 'online', config: {} }]);
    await fixture.whenStable();
    return { fixture, http, text: () => (fixture.nativeElement as HTMLElement).textContent?.replace(/\s+/g, ' ') ?? '' };
  }

  it('shows this month by day in the client’s calendar, priced by posto, beside last month, with demand, overrun and the flags where they happened', async () => {
    const { fixture, http, text } = await open('month');
    // This month and last month by day, and this month's demand, all from midnight in São Paulo (03:00 UTC) on the 1st.
    const energyCalls = http.match((r) => r.url.startsWith('/api/energy?'));
    expect(energyCalls).toHaveLength(2);
    expect(energyCalls.every((r) => /clientId=1&from=\d{4}-\d\d-01T03%3A00%3A00\.000Z&to=.*T02%3A59%3A59\.999Z&interval=day$/.test(r.request.url))).toBe(true);
    const [current, previous] = energyCalls;
    current.flush({
      unit: 'kWh',
      timezone: 'America/Sao_Paulo',
      interval: 'day',
      intervals: [
        { start: '2026-11-01T03:00:00.000Z', end: '2026-11-02T03:00:00.000Z', kWh: 24, cost: 12, byPosto: split(24, 0, 0) },
        {
          start: '2026-11-02T03:00:00.000Z',
          end: '2026-11-03T03:00:00.000Z',
          kWh: 24,
          cost: 14.7,
          byPosto: split(19, 2, 3),
          quality: { resets: 1, rollovers: 0, spikes: 0, interpolatedKWh: 0.25 },
        },
        { start: '2026-11-03T03:00:00.000Z', end: '2026-11-04T03:00:00.000Z', kWh: null, cost: null, byPosto: split(0, 0, 0) },
      ],
      total: { kWh: 48, cost: 26.7, byPosto: split(43, 2, 3), unpricedKWh: 0 },
      quality: { resets: 1, rollovers: 0, spikes: 0, interpolatedKWh: 0.25 },
    });
    previous.flush({ unit: 'kWh', timezone: 'America/Sao_Paulo', interval: 'day', intervals: [], total: { kWh: 40 }, quality });
    http
      .expectOne((r) => r.url.startsWith('/api/energy/demand?clientId=1&'))
      .flush({
        intervalMinutes: 15,
        points: [{ start: '2026-11-02T20:00:00.000Z', kW: 6 }],
        peak: { kW: 6, at: '2026-11-02T20:00:00.000Z' },
        peakByPosto: { foraPonta: null, ponta: { kW: 6, at: '2026-11-02T20:00:00.000Z' } },
        contractedKW: { foraPonta: null, ponta: 5 },
        overrun: true,
      });
    await fixture.whenStable();
    const page = text();
    // 48 kWh against 40 last month: +20 %.
    expect(page).toContain('Energy used48 kWh');
    expect(page).toContain('R$26.70');
    expect(page).toContain('Last month40 kWh+20 %');
    expect(page).toContain('Fora de ponta43 kWhIntermediário2 kWhPonta3 kWh');
    expect(page).toContain('Peak demand: 6 kW');
    expect((fixture.nativeElement as HTMLElement).querySelector('[data-testid="energy-overrun"]')).not.toBeNull();
    const rows = Array.from((fixture.nativeElement as HTMLElement).querySelectorAll('[data-testid="energy-row"]')).map((r) =>
      Array.from(r.querySelectorAll('td'))
        .map((td) => td.textContent?.trim())
        .join(' | '),
    );
    // Days labelled in São Paulo (Nov 1 is a Sunday there); the day without readings shows a dash, not 0.
    expect(rows).toEqual(['Sun 1 | 24 | R$12.00 | ', 'Mon 2 | 24 | R$14.70 | Counter resets 1 · Spread over gaps 0.25 kWh', 'Tue 3 | — | — | ']);
    expect((fixture.nativeElement as HTMLElement).querySelector('[data-testid="energy-bars"]')).not.toBeNull();
    expect((fixture.nativeElement as HTMLElement).querySelector('[data-testid="energy-demand"]')).not.toBeNull();
  });

  it('says why a device has no energy, and shows the API’s error instead of a blank page', async () => {
    const { fixture, http, text } = await open('today');
    const [current, previous] = http.match((r) => r.url.startsWith('/api/energy?'));
    expect(current.request.url).toMatch(/interval=hour$/);
    current.flush({
      unit: 'kWh',
      timezone: 'America/Sao_Paulo',
      interval: 'hour',
      intervals: [],
      total: { kWh: 0 },
      quality,
      reason: 'No device of client 1 counted in its total reports an energy counter or power',
    });
    previous.flush({ unit: 'kWh', timezone: 'America/Sao_Paulo', interval: 'hour', intervals: [], total: { kWh: 0 }, quality });
    http
      .expectOne((r) => r.url.startsWith('/api/energy/demand'))
      .flush({ intervalMinutes: 15, points: [], peak: null, peakByPosto: { foraPonta: null, ponta: null }, contractedKW: null, overrun: false });
    await fixture.whenStable();
    expect(text()).toContain('reports an energy counter or power');

    fixture.componentRef.setInput('view', 'week');
    await fixture.whenStable();
    const [failed] = http.match((r) => r.url.startsWith('/api/energy?'));
    failed.flush({ statusCode: 400, message: 'from must be after 2000-01-01' }, { status: 400, statusText: 'Bad Request' });
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).querySelector('[data-testid="energy-error"]')?.textContent).toContain('from must be after 2000-01-01');
  });

  it('shows one site’s total in the site’s own time zone when a site is picked', async () => {
    const fixture = TestBed.createComponent(EnergyPage);
    fixture.componentRef.setInput('clientId', '1');
    fixture.componentRef.setInput('siteId', '5');
    fixture.componentRef.setInput('view', 'today');
    await fixture.whenStable();
    const http = TestBed.inject(HttpTestingController);
    http.expectOne('/api/clients').flush([{ id: 1, name: 'Rede', externalId: null, createdAt: '', timezone: 'America/Sao_Paulo' }]);
    http.expectOne('/api/devices').flush([
      { id: 7, clientId: 1, siteId: 4, name: 'Loja Centro', status: 'online', config: {} },
      { id: 8, clientId: 1, siteId: 5, name: 'Loja Manaus', status: 'online', config: {} },
    ]);
    http.expectOne('/api/sites').flush([
      { id: 4, clientId: 1, name: 'Centro', timezone: null },
      { id: 5, clientId: 1, name: 'Manaus', timezone: 'America/Manaus' },
    ]);
    await fixture.whenStable();
    const [current] = http.match((r) => r.url.startsWith('/api/energy?'));
    // Manaus is UTC−4: its day starts at 04:00 UTC.
    expect(current.request.url).toMatch(/^\/api\/energy\?siteId=5&from=\d{4}-\d\d-\d\dT04%3A00%3A00\.000Z&.*interval=hour$/);
    // Only the site's devices are offered.
    const options = Array.from((fixture.nativeElement as HTMLElement).querySelectorAll('[data-testid="energy-device"] option')).map((o) =>
      o.textContent?.trim(),
    );
    expect(options).toEqual(['Whole site (main meter)', 'Loja Manaus']);
  });
});
