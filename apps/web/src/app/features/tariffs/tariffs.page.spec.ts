import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { TariffsPage } from './tariffs.page';

const fabrica = {
  id: 7,
  clientId: 4,
  name: 'Fábrica Jundiaí',
  address: 'Rod. Anhanguera km 58',
  timezone: null,
  contractedKW: { foraPonta: 300, ponta: 120 },
  readingDay: 12,
  mainDeviceId: 21,
  createdAt: '2026-11-01T00:00:00.000Z',
};
const escritorio = {
  ...fabrica,
  id: 8,
  name: 'Escritório',
  address: null,
  timezone: 'America/Manaus',
  contractedKW: { foraPonta: null, ponta: null },
  readingDay: null,
  mainDeviceId: null,
};
const devices = [
  { id: 21, name: 'Entrada SDM630', clientId: 4, siteId: 7 },
  { id: 22, name: 'Compressor', clientId: 4, siteId: 7 },
  { id: 23, name: 'Ar condicionado', clientId: 4, siteId: 8 },
];
const branca = {
  id: 31,
  clientId: 4,
  siteId: null,
  name: 'Branca 2026',
  modality: 'branca',
  currency: 'BRL',
  validFrom: '2026-01-01',
  energy: { foraPonta: 0.5, intermediario: 0.8, ponta: 1.2 },
  demand: { foraPonta: 0 },
  windows: [
    { posto: 'intermediario', days: 'weekdays', start: '16:00', end: '17:00' },
    { posto: 'ponta', days: 'weekdays', start: '17:00', end: '20:00' },
    { posto: 'intermediario', days: 'weekdays', start: '20:00', end: '21:00' },
  ],
  holidays: 'BR',
  taxes: { icms: 0.18, pis: 0.0165, cofins: 0.076 },
  createdAt: '2026-01-01T00:00:00.000Z',
};
/** Far in the future, so it is never the version in force while these tests run. */
const nextBranca = { ...branca, id: 32, name: 'Branca 2099', validFrom: '2099-01-01' };

function control(el: HTMLElement, name: string): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement {
  const c = el.querySelector<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(`[name="${name}"]`);
  if (!c) throw new Error(`no control ${name}`);
  return c;
}

function set(el: HTMLElement, name: string, value: string): void {
  const c = control(el, name);
  c.value = value;
  c.dispatchEvent(new Event(c instanceof HTMLSelectElement ? 'change' : 'input'));
}

function click(el: HTMLElement, testId: string, index = 0): void {
  const button = el.querySelectorAll<HTMLButtonElement>(`[data-testid="${testId}"]`)[index];
  if (!button) throw new Error(`no button ${testId}`);
  button.click();
}

const text = (el: HTMLElement, testId: string) => el.querySelector(`[data-testid="${testId}"]`)?.textContent?.trim();
const badRequest = (errors: { field: string; message: string }[]) =>
  [
    { statusCode: 400, message: errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors },
    { status: 400, statusText: 'Bad Request' },
  ] as const;

describe('TariffsPage', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    localStorage.setItem('pieng.language', 'en');
    TestBed.configureTestingModule({ imports: [TariffsPage], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  async function render(me: { role: 'admin' | 'operator' | 'viewer'; clientId: number | null } = { role: 'admin', clientId: null }) {
    TestBed.inject(AuthService).user.set({ id: 1, email: 'me@plant.test', role: me.role, clientId: me.clientId, mustChangePassword: false } as never);
    const fixture = TestBed.createComponent(TariffsPage);
    await fixture.whenStable();
    http.expectOne('/api/clients').flush([{ id: 4, name: 'Plant', externalId: null, createdAt: '' }]);
    http.expectOne('/api/sites?clientId=4').flush([fabrica, escritorio]);
    http.expectOne('/api/devices?clientId=4').flush(devices);
    http.expectOne('/api/tariffs?clientId=4').flush([branca, nextBranca]);
    await fixture.whenStable();
    return { fixture, el: fixture.nativeElement as HTMLElement };
  }

  it("lists a client's sites and its tariff versions, each with its day drawn on a strip", async () => {
    const { el } = await render();
    const sites = Array.from(el.querySelectorAll('[data-testid="site-row"]')).map((r) =>
      Array.from(r.querySelectorAll('td')).map((td) => td.textContent?.trim()),
    );
    expect(sites[0].slice(0, 7)).toEqual(['Fábrica Jundiaí', 'Rod. Anhanguera km 58', "The client's", '300 kW', '120 kW', '12', 'Entrada SDM630']);
    expect(sites[1].slice(0, 7)).toEqual(['Escritório', '—', 'America/Manaus', '—', '—', '—', 'None (sum of its devices)']);

    const tariffs = el.querySelectorAll('[data-testid="tariff-row"]');
    expect(tariffs).toHaveLength(2);
    expect(tariffs[0].textContent).toContain('Branca 2026');
    expect(tariffs[0].textContent).toContain('in force');
    expect(tariffs[1].textContent).not.toContain('in force');
    expect(Array.from(tariffs[0].querySelectorAll('[data-testid="tariff-energy"]')).map((d) => d.textContent?.trim())).toEqual([
      'R$ 0.5/kWh',
      'R$ 0.8/kWh',
      'R$ 1.2/kWh',
    ]);
    // fractions back to percent: 0.18 → 18 %, 0.0165 → 1.65 %, 0.076 → 7.6 %
    expect(tariffs[0].textContent).toContain('18 % · 1.65 % · 7.6 %');
    const segments = Array.from(tariffs[0].querySelectorAll<HTMLElement>('[data-posto]'));
    expect(segments.map((s) => s.dataset['posto'])).toEqual(['foraPonta', 'intermediario', 'ponta', 'intermediario', 'foraPonta']);
    // ponta 17:00-20:00 is minutes 1020-1200 of 1440: left 70.83 %, width 12.5 %
    expect(segments[2].style.left).toMatch(/^70\.83/);
    expect(segments[2].style.width).toBe('12.5%');
    expect(tariffs[0].querySelector('[data-testid="tariff-strip"]')?.getAttribute('aria-label')).toContain('Ponta 17:00–20:00');
  });

  it('creates a verde tariff for a site: only the rates verde uses, taxes typed in % sent as fractions', async () => {
    const { fixture, el } = await render();
    click(el, 'site-tariffs', 0);
    http.expectOne('/api/tariffs?siteId=7').flush([]);
    await fixture.whenStable();
    click(el, 'tariff-add');
    await fixture.whenStable();
    set(el, 'modality', 'verde');
    await fixture.whenStable();
    // verde has no intermediário: its windows went, the ponta window stayed; no intermediário rate is asked for
    expect(el.querySelectorAll('[data-testid="tariff-window"]')).toHaveLength(1);
    expect(el.querySelector('[name="energy.intermediario"]')).toBeNull();
    expect(el.querySelector('[name="demand.ponta"]')).toBeNull();
    set(el, 'tariffName', ' A4 verde ');
    set(el, 'validFrom', '2026-07-01');
    set(el, 'energy.foraPonta', '0.38');
    set(el, 'energy.ponta', '2.1');
    set(el, 'demand.foraPonta', '25.3');
    set(el, 'windows[0].start', '17:30');
    set(el, 'windows[0].end', '20:30');
    set(el, 'taxes.icms', '18');
    set(el, 'taxes.pis', '1.65');
    set(el, 'taxes.cofins', '7.6');
    await fixture.whenStable();
    // the form's strip follows the window being typed: 17:30-20:30
    expect(el.querySelector('[data-testid="tariff-form"] [data-testid="tariff-strip"]')?.getAttribute('aria-label')).toBe(
      'Fora de ponta 00:00–17:30, Ponta 17:30–20:30, Fora de ponta 20:30–24:00',
    );
    click(el, 'tariff-save');
    const create = http.expectOne((r) => r.url === '/api/tariffs' && r.method === 'POST');
    expect(create.request.body).toEqual({
      siteId: 7,
      name: 'A4 verde',
      modality: 'verde',
      currency: 'BRL',
      validFrom: '2026-07-01',
      energy: { foraPonta: 0.38, ponta: 2.1 },
      demand: { foraPonta: 25.3 },
      windows: [{ posto: 'ponta', days: 'weekdays', start: '17:30', end: '20:30' }],
      holidays: 'BR',
      // 18 % → 0.18, 1.65 % → 0.0165, 7.6 % → 0.076
      taxes: { icms: 0.18, pis: 0.0165, cofins: 0.076 },
    });
    create.flush({ ...branca, id: 40, siteId: 7, clientId: null });
    http.expectOne('/api/tariffs?siteId=7').flush([]);
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="tariff-form"]')).toBeNull();
  });

  it("shows the API's 400 beside the fields it names, and a 409 beside validFrom", async () => {
    const { fixture, el } = await render();
    click(el, 'tariff-add');
    await fixture.whenStable();
    set(el, 'tariffName', 'Branca 2027');
    click(el, 'tariff-save');
    const create = http.expectOne((r) => r.url === '/api/tariffs' && r.method === 'POST');
    expect(create.request.body.clientId).toBe(4);
    // blank rates go as null, for the server to name
    expect(create.request.body.energy).toEqual({ foraPonta: null, intermediario: null, ponta: null });
    create.flush(
      ...badRequest([
        { field: 'energy.ponta', message: 'ponta must be a number conforming to the specified constraints' },
        { field: 'windows[1]', message: 'overlaps windows[0] (16:00-17:00)' },
        { field: 'taxes', message: 'icms + pis + cofins must be less than 1' },
      ]),
    );
    await fixture.whenStable();
    expect(text(el, 'tariff-field-error-energy.ponta')).toBe('ponta must be a number conforming to the specified constraints');
    expect(text(el, 'tariff-field-error-windows[1]')).toBe('overlaps windows[0] (16:00-17:00)');
    expect(text(el, 'tariff-field-error-taxes')).toBe('icms + pis + cofins must be less than 1');
    // the field errors sit inside the field's own label or window row
    expect(el.querySelector('[data-testid="tariff-field-error-energy.ponta"]')?.closest('label')?.querySelector('[name="energy.ponta"]')).not.toBeNull();
    expect(el.querySelectorAll('[data-testid="tariff-window"]')[1].querySelector('[data-testid="tariff-field-error-windows[1]"]')).not.toBeNull();

    click(el, 'tariff-save');
    http
      .expectOne((r) => r.url === '/api/tariffs' && r.method === 'POST')
      .flush({ statusCode: 409, message: 'Client 4 already has a tariff version from 2026-11-30' }, { status: 409, statusText: 'Conflict' });
    await fixture.whenStable();
    expect(text(el, 'tariff-field-error-validFrom')).toBe('Client 4 already has a tariff version from 2026-11-30');
  });

  it('keeps a tax typed above 100 % from being sent, and says why in percent', async () => {
    const { fixture, el } = await render();
    click(el, 'tariff-add');
    await fixture.whenStable();
    set(el, 'taxes.icms', '150');
    click(el, 'tariff-save');
    await fixture.whenStable();
    http.expectNone((r) => r.method === 'POST');
    expect(text(el, 'tariff-percent-error-icms')).toBe('A percentage from 0 to 100.');
  });

  it('edits a version: the form shows its taxes in %, and the PATCH sends every part whole', async () => {
    const { fixture, el } = await render();
    click(el, 'tariff-edit', 0);
    await fixture.whenStable();
    expect(control(el, 'taxes.pis').value).toBe('1.65');
    expect(control(el, 'windows[1].start').value).toBe('17:00');
    set(el, 'energy.ponta', '1.25');
    set(el, 'holidaysMode', 'list');
    await fixture.whenStable();
    set(el, 'holidayList', '2026-12-24\n2026-12-31, 2026-12-25');
    click(el, 'tariff-save');
    const patch = http.expectOne('/api/tariffs/31');
    expect(patch.request.method).toBe('PATCH');
    expect(patch.request.body).toEqual({
      name: 'Branca 2026',
      modality: 'branca',
      currency: 'BRL',
      validFrom: '2026-01-01',
      energy: { foraPonta: 0.5, intermediario: 0.8, ponta: 1.25 },
      demand: { foraPonta: 0 },
      windows: branca.windows,
      holidays: ['2026-12-24', '2026-12-31', '2026-12-25'],
      taxes: { icms: 0.18, pis: 0.0165, cofins: 0.076 },
    });
    patch.flush(branca);
    http.expectOne('/api/tariffs?clientId=4').flush([branca]);
  });

  it('deletes a version after asking', async () => {
    const { el } = await render();
    jest.spyOn(window, 'confirm').mockReturnValue(true);
    click(el, 'tariff-delete', 1);
    const del = http.expectOne('/api/tariffs/32');
    expect(del.request.method).toBe('DELETE');
    del.flush(null, { status: 204, statusText: 'No Content' });
    http.expectOne('/api/tariffs?clientId=4').flush([branca]);
  });

  it('adds and edits a site, with a 400 shown beside its field; the main meter is chosen among its own devices', async () => {
    const { fixture, el } = await render();
    click(el, 'site-add');
    await fixture.whenStable();
    expect(el.querySelector('[name="mainDeviceId"]')).toBeNull();
    set(el, 'siteName', 'Galpão 2');
    set(el, 'siteTimezone', 'America/Sao_Paul');
    set(el, 'contractedForaPonta', '75');
    click(el, 'site-save');
    const create = http.expectOne((r) => r.url === '/api/sites' && r.method === 'POST');
    expect(create.request.body).toEqual({
      clientId: 4,
      name: 'Galpão 2',
      address: null,
      timezone: 'America/Sao_Paul',
      contractedKW: { foraPonta: 75, ponta: null },
      readingDay: null,
    });
    create.flush(...badRequest([{ field: 'timezone', message: 'timezone must be an IANA time zone such as America/Sao_Paulo' }]));
    await fixture.whenStable();
    expect(text(el, 'site-field-error-timezone')).toBe('timezone must be an IANA time zone such as America/Sao_Paulo');

    click(el, 'site-edit', 0);
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="site-field-error-timezone"]')).toBeNull();
    const meters = Array.from(control(el, 'mainDeviceId').querySelectorAll('option')).map((o) => o.textContent?.trim());
    expect(meters).toEqual(['None (sum of its devices)', 'Entrada SDM630', 'Compressor']);
    set(el, 'readingDay', '15');
    const main = control(el, 'mainDeviceId') as HTMLSelectElement;
    main.selectedIndex = 2; // Compressor
    main.dispatchEvent(new Event('change'));
    click(el, 'site-save');
    const patch = http.expectOne('/api/sites/7');
    expect(patch.request.method).toBe('PATCH');
    expect(patch.request.body).toEqual({
      name: 'Fábrica Jundiaí',
      address: 'Rod. Anhanguera km 58',
      timezone: null,
      contractedKW: { foraPonta: 300, ponta: 120 },
      readingDay: 15,
      mainDeviceId: 22,
    });
    patch.flush({ ...fabrica, readingDay: 15, mainDeviceId: 22 });
    http.expectOne('/api/sites?clientId=4').flush([{ ...fabrica, readingDay: 15, mainDeviceId: 22 }, escritorio]);
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="site-form"]')).toBeNull();
  });

  it("shows a client's admin its own client without a choice, and a viewer nothing to change", async () => {
    const { el } = await render({ role: 'admin', clientId: 4 });
    expect(el.querySelector('[data-testid="tariffs-client"]')).toBeNull();
    expect(el.querySelector('[data-testid="tariff-add"]')).not.toBeNull();
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({ imports: [TariffsPage], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    const viewer = await render({ role: 'viewer', clientId: 4 });
    expect(viewer.el.querySelectorAll('[data-testid="site-row"]')).toHaveLength(2);
    for (const id of ['site-add', 'site-edit', 'site-delete', 'tariff-add', 'tariff-edit', 'tariff-delete'])
      expect(viewer.el.querySelector(`[data-testid="${id}"]`)).toBeNull();
  });
});
