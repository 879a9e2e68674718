import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { AlarmsPage } from './alarms.page';

const event = { id: 3, ruleId: 1, ruleName: 'Overvoltage', deviceId: 7, metric: 'voltage', value: 250.5, raisedAt: '2026-01-01T10:00:00Z', clearedAt: null, active: true, acknowledged: false, acknowledgedAt: null, details: null };
const rule = { id: 1, clientId: 2, deviceId: null, name: 'Overvoltage', metric: 'voltage', operator: '>', threshold: 242, enabled: true, createdAt: '' };

describe('AlarmsPage', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    localStorage.setItem('pieng.language', 'en');
    TestBed.configureTestingModule({ imports: [AlarmsPage], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    TestBed.inject(AuthService).open.set(true);
  });

  async function render() {
    const fixture = TestBed.createComponent(AlarmsPage);
    await fixture.whenStable();
    http.expectOne('/api/clients').flush([{ id: 2, name: 'Plant', externalId: null, createdAt: '' }]);
    http.expectOne('/api/devices').flush([{ id: 7, clientId: 2, name: 'Feeder', status: 'online', config: {} }]);
    http.expectOne('/api/alarms/rules').flush([rule]);
    http.expectOne((r) => r.url.startsWith('/api/alarms/events')).flush([event]);
    await fixture.whenStable();
    return { fixture, el: fixture.nativeElement as HTMLElement };
  }

  it('lists events and rules, and acknowledges an event', async () => {
    const { fixture, el } = await render();
    expect(el.querySelector('[data-testid="alarm-event"]')?.textContent).toContain('Feeder');
    expect(el.querySelector('[data-testid="alarm-rule"]')?.textContent).toContain('Voltage > 242');
    (el.querySelector('[data-testid="acknowledge"]') as HTMLButtonElement).click();
    http.expectOne('/api/alarms/events/3/ack').flush({ ...event, acknowledged: true });
    http.expectOne('/api/alarms/events?limit=200').flush([{ ...event, acknowledged: true, acknowledgedAt: '2026-01-01T10:05:00Z' }]);
    http.expectOne('/api/alarms/events?active=true&limit=500').flush([]); // the header badge
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="acknowledge"]')).toBeNull();
  });

  it('filters events by state', async () => {
    const { fixture, el } = await render();
    const onlyActive = Array.from(el.querySelectorAll('label.check')).find((l) => l.textContent?.includes('Only active'))?.querySelector('input');
    onlyActive?.click();
    await fixture.whenStable();
    expect(http.expectOne((r) => r.url.startsWith('/api/alarms/events')).request.url).toBe('/api/alarms/events?active=true&limit=200');
  });

  it('disables a rule and creates a new one', async () => {
    const { fixture, el } = await render();
    Array.from(el.querySelectorAll<HTMLButtonElement>('[data-testid="alarm-rule"] button')).find((b) => b.textContent?.trim() === 'Disable')?.click();
    const patch = http.expectOne('/api/alarms/rules/1');
    expect(patch.request.body).toEqual({ enabled: false });
    patch.flush({ ...rule, enabled: false });
    http.expectOne('/api/alarms/rules').flush([{ ...rule, enabled: false }]);

    const name = el.querySelector<HTMLInputElement>('[name="ruleName"]');
    const threshold = el.querySelector<HTMLInputElement>('[name="ruleThreshold"]');
    const operator = el.querySelector<HTMLSelectElement>('[name="ruleOperator"]');
    if (!name || !threshold || !operator) throw new Error('rule form missing');
    name.value = 'Undervoltage';
    name.dispatchEvent(new Event('input'));
    threshold.value = '198';
    threshold.dispatchEvent(new Event('input'));
    operator.value = '<';
    operator.dispatchEvent(new Event('change'));
    (el.querySelector('[data-testid="save-rule"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    const create = http.expectOne((r) => r.url === '/api/alarms/rules' && r.method === 'POST');
    expect(create.request.body).toEqual({ clientId: 2, deviceId: null, name: 'Undervoltage', metric: 'voltage', operator: '<', threshold: 198, enabled: true });
  });
});
