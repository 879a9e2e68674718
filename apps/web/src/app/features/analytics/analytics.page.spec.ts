import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { AnalyticsPage } from './analytics.page';

const device = {
  id: 3,
  uid: 'u3',
  clientId: 4,
  siteId: 1,
  name: 'Main panel',
  deviceType: 'api',
  config: {},
  status: 'online',
  lastSeenAt: null,
  lastError: null,
  active: true,
};
const summary = {
  count: 10,
  mean: 230,
  std: 1,
  min: 228,
  max: 232,
  sixSigma: { mean: 230, std: 1, lsl: 225, usl: 235, cp: 1.67, cpk: 1.67, defaultLimits: false },
};

describe('AnalyticsPage', () => {
  let http: HttpTestingController;
  beforeEach(() => {
    localStorage.setItem('pieng.language', 'en');
    TestBed.configureTestingModule({ imports: [AnalyticsPage], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    TestBed.inject(AuthService).user.set({ id: 1, email: 'ops@plant.test', role: 'operator', clientId: null, mustChangePassword: false } as never);
  });

  /** Answers every pending query: the summary as given, the regression refused (422), the raw values empty. */
  const answer = (summaryBody: object, status = 200) => {
    const summaries = http.match((r) => r.url.startsWith('/api/metrics/summary'));
    expect(summaries.length).toBeGreaterThan(0);
    for (const r of summaries) r.flush(summaryBody, status === 200 ? undefined : { status, statusText: 'Refused' });
    for (const r of http.match((r) => r.url.startsWith('/api/metrics/linreg')))
      r.flush({ statusCode: 422, message: 'Cannot fit power against time: fewer than 3 values' }, { status: 422, statusText: 'Unprocessable Entity' });
    // forkJoin cancels the other reads of a query that failed.
    for (const r of http.match((r) => r.url.startsWith('/api/metrics?'))) if (!r.cancelled) r.flush({ items: [], nextCursor: null });
  };

  it("offers the device's own metrics; shows a refused query beside its field, clears the old figures, and shows the other refusals at the top", async () => {
    const fixture = TestBed.createComponent(AnalyticsPage);
    await fixture.whenStable();
    http.expectOne('/api/devices').flush([device]);
    await fixture.whenStable();
    // A single-phase meter: only what it reported is offered, in the catalogue's order.
    http.expectOne('/api/alarms/metrics?deviceId=3').flush([
      { metric: 'power', unit: 'W', label: 'Active power', reported: true },
      { metric: 'voltage', unit: 'V', label: 'Voltage', reported: true },
      { metric: 'voltageL1', unit: 'V', label: 'Voltage L1-N', reported: false },
    ]);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const options = (i: number) => Array.from(el.querySelectorAll('form select')[i].querySelectorAll('option')).map((o) => o.value);
    expect(options(1)).toEqual(['voltage', 'power']);
    expect(options(3)).toEqual(['time', 'voltage', 'power']);
    const compute = async () => {
      (el.querySelector('[data-testid="compute"]') as HTMLButtonElement).click();
      await fixture.whenStable();
    };

    await compute();
    answer(summary);
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="summary"]')).not.toBeNull();
    expect(Array.from(el.querySelectorAll('[data-testid="analytics-error"]')).map((e) => e.textContent)).toEqual([
      'Cannot fit power against time: fewer than 3 values',
    ]);

    await compute();
    answer({ statusCode: 400, message: 'lsl: must be below usl', errors: [{ field: 'lsl', message: 'must be below usl' }] }, 400);
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="field-error-lsl"]')?.textContent).toBe('must be below usl');
    expect(el.querySelector('[data-testid="summary"]')).toBeNull();
  });
  it("keeps the metrics of the device chosen last when an earlier device's list answers late", async () => {
    const fixture = TestBed.createComponent(AnalyticsPage);
    await fixture.whenStable();
    http.expectOne('/api/devices').flush([device, { ...device, id: 4, uid: 'u4', name: 'Three-phase SDM' }]);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const first = http.expectOne('/api/alarms/metrics?deviceId=3');
    const select = el.querySelector<HTMLSelectElement>('[data-testid="analytics-device"]') as HTMLSelectElement;
    select.value = '4';
    select.dispatchEvent(new Event('change'));
    await fixture.whenStable();
    http.expectOne('/api/alarms/metrics?deviceId=4').flush([
      { metric: 'voltageL1', unit: 'V', label: 'Voltage L1-N', reported: true },
      { metric: 'voltageL2', unit: 'V', label: 'Voltage L2-N', reported: true },
    ]);
    first.flush([{ metric: 'voltage', unit: 'V', label: 'Voltage', reported: true }]);
    await fixture.whenStable();
    const options = Array.from(el.querySelectorAll('form select')[1].querySelectorAll('option')).map((o) => o.value);
    expect(options).toEqual(['voltageL1', 'voltageL2']);
  });
});
