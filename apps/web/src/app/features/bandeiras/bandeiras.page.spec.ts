import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { BandeirasPage } from './bandeiras.page';

const YEAR = new Date().getFullYear();
/** The year as the API answers it: November amarela, the rest unset (verde). */
function yearOf(year: number, november = { flag: 'amarela', adderPer100kWh: 1.885, set: true }) {
  return Array.from({ length: 12 }, (_, i) => {
    const month = `${year}-${String(i + 1).padStart(2, '0')}`;
    return i === 10 ? { month, ...november } : { month, flag: 'verde', adderPer100kWh: 0, set: false };
  });
}

function set(el: HTMLElement, name: string, value: string): void {
  const c = el.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`);
  if (!c) throw new Error(`no control ${name}`);
  c.value = value;
  c.dispatchEvent(new Event(c instanceof HTMLSelectElement ? 'change' : 'input'));
}

const row = (el: HTMLElement, month: string) => el.querySelector<HTMLElement>(`[data-testid="bandeira-row"][data-month="${month}"]`) as HTMLElement;

describe('BandeirasPage', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    localStorage.setItem('pieng.language', 'en');
    TestBed.configureTestingModule({ imports: [BandeirasPage], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  async function render(clientId: number | null = null) {
    TestBed.inject(AuthService).user.set({ id: 1, email: 'staff@plant.test', role: 'admin', clientId, mustChangePassword: false } as never);
    const fixture = TestBed.createComponent(BandeirasPage);
    await fixture.whenStable();
    http.expectOne(`/api/bandeiras?from=${YEAR}-01&to=${YEAR}-12`).flush(yearOf(YEAR));
    await fixture.whenStable();
    return { fixture, el: fixture.nativeElement as HTMLElement };
  }

  it('lists the twelve months of the year, unset ones as verde, and moves to the next year', async () => {
    const { fixture, el } = await render();
    const rows = el.querySelectorAll('[data-testid="bandeira-row"]');
    expect(rows).toHaveLength(12);
    expect(rows[0].textContent).toContain('January');
    expect(rows[0].querySelector('[data-testid="bandeira-unset"]')?.textContent).toBe('(not set: verde)');
    expect(row(el, `${YEAR}-01`).querySelector<HTMLSelectElement>('select')?.value).toBe('verde');
    expect(row(el, `${YEAR}-11`).querySelector<HTMLSelectElement>('select')?.value).toBe('amarela');
    expect(row(el, `${YEAR}-11`).querySelector<HTMLInputElement>('input')?.value).toBe('1.885');
    expect(row(el, `${YEAR}-11`).querySelector('[data-testid="bandeira-unset"]')).toBeNull();
    // only a month that is set can be cleared
    expect(el.querySelectorAll('[data-testid="bandeira-clear"]')).toHaveLength(1);

    (el.querySelector('[data-testid="bandeiras-next"]') as HTMLButtonElement).click();
    http.expectOne(`/api/bandeiras?from=${YEAR + 1}-01&to=${YEAR + 1}-12`).flush(yearOf(YEAR + 1, { flag: 'verde', adderPer100kWh: 0, set: false }));
    await fixture.whenStable();
    expect(el.querySelectorAll('[data-testid="bandeira-clear"]')).toHaveLength(0);
  });

  it('sets a month, and shows a 400 beside the field it names', async () => {
    const { fixture, el } = await render();
    const december = `${YEAR}-12`;
    set(el, `flag-${december}`, 'vermelha1');
    set(el, `adder-${december}`, '4.463');
    (row(el, december).querySelector('[data-testid="bandeira-save"]') as HTMLButtonElement).click();
    const put = http.expectOne(`/api/bandeiras/${december}`);
    expect(put.request.method).toBe('PUT');
    expect(put.request.body).toEqual({ flag: 'vermelha1', adderPer100kWh: 4.463 });
    put.flush({ month: december, flag: 'vermelha1', adderPer100kWh: 4.463, set: true });
    http.expectOne(`/api/bandeiras?from=${YEAR}-01&to=${YEAR}-12`).flush(yearOf(YEAR));
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="bandeiras-done"]')?.textContent).toContain(`December ${YEAR}`);

    set(el, `adder-${december}`, '-1');
    (row(el, december).querySelector('[data-testid="bandeira-save"]') as HTMLButtonElement).click();
    http.expectOne(`/api/bandeiras/${december}`).flush(
      {
        statusCode: 400,
        message: 'adderPer100kWh must not be less than 0',
        errors: [{ field: 'adderPer100kWh', message: 'adderPer100kWh must not be less than 0' }],
      },
      { status: 400, statusText: 'Bad Request' },
    );
    await fixture.whenStable();
    expect(row(el, december).querySelector('[data-testid="field-error-adderPer100kWh"]')?.textContent).toBe('adderPer100kWh must not be less than 0');
    expect(row(el, `${YEAR}-11`).querySelector('[data-testid="field-error-adderPer100kWh"]')).toBeNull();
  });

  it('clears a month after asking', async () => {
    const { el } = await render();
    jest.spyOn(window, 'confirm').mockReturnValue(true);
    (el.querySelector('[data-testid="bandeira-clear"]') as HTMLButtonElement).click();
    const del = http.expectOne(`/api/bandeiras/${YEAR}-11`);
    expect(del.request.method).toBe('DELETE');
    del.flush(null, { status: 204, statusText: 'No Content' });
    http.expectOne(`/api/bandeiras?from=${YEAR}-01&to=${YEAR}-12`).flush(yearOf(YEAR, { flag: 'verde', adderPer100kWh: 0, set: false }));
  });

  it("shows a client's user the months read only", async () => {
    const { el } = await render(4);
    expect(el.querySelector('[data-testid="bandeira-save"]')).toBeNull();
    expect(row(el, `${YEAR}-11`).textContent).toContain('Amarela');
  });
});
