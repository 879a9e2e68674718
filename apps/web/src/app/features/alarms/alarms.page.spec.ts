import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { I18n } from '../../core/i18n.service';
import { AlarmsPage } from './alarms.page';

const event = {
  id: 3,
  ruleId: 1,
  ruleName: 'Overvoltage',
  deviceId: 7,
  metric: 'voltage',
  value: 250.5,
  unit: 'V',
  severity: 'critical',
  raisedAt: '2026-01-01T10:00:00Z',
  clearedAt: null,
  active: true,
  latched: false,
  acknowledged: false,
  acknowledgedAt: null,
  acknowledgedBy: null,
  comment: null,
  shelvedUntil: null,
  shelveReason: null,
  chattering: false,
  details: null,
};
const rule = {
  id: 1,
  clientId: 2,
  deviceId: null,
  name: 'Overvoltage',
  type: 'threshold',
  metric: 'voltage',
  operator: '>',
  threshold: 242,
  enabled: true,
  severity: 'critical',
  deadband: 2,
  onDelaySec: 10,
  offDelaySec: 0,
  latch: false,
  reAlarmSec: null,
  staleAfterSec: null,
  channelIds: [],
  escalationChannelId: null,
  escalateAfterMin: null,
  createdAt: '',
};
const metrics = [
  { metric: 'tankLevel', unit: '', label: 'tankLevel', reported: true },
  { metric: 'voltage', unit: 'V', label: 'Voltage', reported: true },
  { metric: 'current', unit: 'A', label: 'Current', reported: false },
];

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
    for (const req of http.match((r) => r.url.startsWith('/api/alarms/metrics'))) req.flush(metrics);
    await fixture.whenStable();
    return { fixture, el: fixture.nativeElement as HTMLElement };
  }

  const input = (el: HTMLElement, name: string, value: string) => {
    const i = el.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`);
    if (!i) throw new Error(`no field ${name}`);
    i.value = value;
    i.dispatchEvent(new Event(i instanceof HTMLSelectElement ? 'change' : 'input'));
  };

  it('shows severity, the value with its unit and the rule in words; acknowledges with a comment', async () => {
    const { fixture, el } = await render();
    const row = el.querySelector('[data-testid="alarm-event"]') as HTMLElement;
    expect(row.textContent).toContain('Feeder');
    expect(row.querySelector('[data-testid="severity"]')?.className).toContain('critical');
    expect(row.querySelector('[data-testid="event-value"]')?.textContent?.trim()).toBe('Voltage: 250.5 V');
    expect(el.querySelector('[data-testid="alarm-rule"]')?.textContent).toContain('Voltage > 242');
    (el.querySelector('[data-testid="acknowledge"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    input(el, 'ackComment', 'Tap changer checked');
    (el.querySelector('[data-testid="confirm-ack"]') as HTMLButtonElement).click();
    const ack = http.expectOne('/api/alarms/events/3/ack');
    expect(ack.request.body).toEqual({ comment: 'Tap changer checked' });
    ack.flush({ ...event, acknowledged: true });
    http
      .expectOne('/api/alarms/events?limit=200')
      .flush([{ ...event, acknowledged: true, acknowledgedAt: '2026-01-01T10:05:00Z', acknowledgedBy: 'ops@plant.test', comment: 'Tap changer checked' }]);
    http.expectOne('/api/alarms/events/counts').flush({ activeUnacknowledged: 0, activeAcknowledged: 1, shelved: 0 });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="acknowledge"]')).toBeNull();
    expect(el.querySelector('[data-testid="acknowledged-by"]')?.textContent).toContain('by ops@plant.test');
    expect(el.querySelector('[data-testid="ack-comment"]')?.textContent).toContain('Tap changer checked');
    expect(el.querySelector('[data-testid="alarm-counts"]')?.textContent).toContain('0 active not acknowledged · 1 acknowledged');
  });

  it('shelves an event for some hours with a reason', async () => {
    const { fixture, el } = await render();
    (el.querySelector('[data-testid="shelve"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    input(el, 'shelveHours', '2');
    input(el, 'shelveReason', 'Sensor swap');
    const before = Date.now();
    (el.querySelector('[data-testid="confirm-shelve"]') as HTMLButtonElement).click();
    const shelve = http.expectOne('/api/alarms/events/3/shelve');
    expect(shelve.request.body.reason).toBe('Sensor swap');
    const until = Date.parse(shelve.request.body.until);
    expect(until - before).toBeGreaterThanOrEqual(7_200_000);
    expect(until - before).toBeLessThan(7_200_000 + 5_000);
  });

  it('filters events by state', async () => {
    const { fixture, el } = await render();
    const onlyActive = Array.from(el.querySelectorAll('label.check'))
      .find((l) => l.textContent?.includes('Only active'))
      ?.querySelector('input');
    onlyActive?.click();
    await fixture.whenStable();
    expect(http.expectOne((r) => r.url.startsWith('/api/alarms/events')).request.url).toBe('/api/alarms/events?active=true&limit=200');
  });

  it('deleting a rule asks first', async () => {
    const { el } = await render();
    const confirm = jest.spyOn(window, 'confirm').mockReturnValue(false);
    const del = () =>
      Array.from(el.querySelectorAll<HTMLButtonElement>('[data-testid="alarm-rule"] button'))
        .find((b) => b.textContent?.trim() === 'Delete')
        ?.click();
    del();
    expect(confirm).toHaveBeenCalledWith('Delete the rule "Overvoltage" and its events?');
    http.expectNone((r) => r.method === 'DELETE');
    confirm.mockReturnValue(true);
    del();
    http.expectOne((r) => r.method === 'DELETE' && r.url === '/api/alarms/rules/1');
    confirm.mockRestore();
  });

  it('creates a rule on a metric of the device, with severity, delays, deadband, latch and channels', async () => {
    const { fixture, el } = await render();
    input(el, 'ruleName', 'Tank low');
    input(el, 'ruleDevice', '1: 7');
    await fixture.whenStable();
    const metricsReq = http.expectOne('/api/alarms/metrics?deviceId=7');
    metricsReq.flush(metrics);
    await fixture.whenStable();
    const options = Array.from(el.querySelectorAll<HTMLOptionElement>('[name="ruleMetric"] option')).map((o) => o.textContent?.trim());
    expect(options).toEqual(['tankLevel · reported', 'Voltage (V) · reported', 'Current (A)']);
    input(el, 'ruleMetric', 'tankLevel');
    input(el, 'ruleOperator', '<');
    input(el, 'ruleThreshold', '10');
    input(el, 'ruleSeverity', 'minor');
    input(el, 'ruleDeadband', '1.5');
    input(el, 'ruleOnDelaySec', '30');
    input(el, 'ruleOffDelaySec', '60');
    input(el, 'ruleChannelIds', '4, 5');
    (el.querySelector<HTMLInputElement>('[name="ruleLatch"]') as HTMLInputElement).click();
    (el.querySelector('[data-testid="save-rule"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    const create = http.expectOne((r) => r.url === '/api/alarms/rules' && r.method === 'POST');
    expect(create.request.body).toEqual({
      clientId: 2,
      deviceId: 7,
      name: 'Tank low',
      type: 'threshold',
      metric: 'tankLevel',
      operator: '<',
      threshold: 10,
      severity: 'minor',
      deadband: 1.5,
      onDelaySec: 30,
      offDelaySec: 60,
      latch: true,
      reAlarmSec: null,
      channelIds: [4, 5],
      escalationChannelId: null,
      escalateAfterMin: null,
      enabled: true,
    });
  });

  it('offers platform staff a disk space rule: no client, device or metric, the threshold in MB free', async () => {
    const { fixture, el } = await render();
    input(el, 'ruleName', 'Disk low');
    input(el, 'ruleType', 'diskSpace');
    await fixture.whenStable();
    expect(el.querySelector('[name="ruleClient"]')).toBeNull();
    expect(el.querySelector('[name="ruleDevice"]')).toBeNull();
    expect(el.querySelector('[name="ruleMetric"]')).toBeNull();
    expect(el.querySelector('[name="ruleThreshold"]')?.parentElement?.textContent).toContain('MB free');
    input(el, 'ruleThreshold', '2048');
    (el.querySelector('[data-testid="save-rule"]') as HTMLButtonElement).click();
    await fixture.whenStable();
    const create = http.expectOne((r) => r.url === '/api/alarms/rules' && r.method === 'POST');
    expect(create.request.body).toMatchObject({ name: 'Disk low', type: 'diskSpace', threshold: 2048 });
    for (const field of ['clientId', 'deviceId', 'metric', 'operator']) expect(create.request.body).not.toHaveProperty(field);
  });

  it("names a platform event's condition where a device's event names the device", async () => {
    const fixture = TestBed.createComponent(AlarmsPage);
    await fixture.whenStable();
    http.expectOne('/api/clients').flush([]);
    http.expectOne('/api/devices').flush([]);
    http.expectOne('/api/alarms/rules').flush([{ ...rule, clientId: null, type: 'forwardingStuck', metric: null, operator: '>=', threshold: 15 }]);
    http
      .expectOne((r) => r.url.startsWith('/api/alarms/events'))
      .flush([{ ...event, ruleType: 'forwardingStuck', deviceId: null, metric: '', value: 17.5, unit: 'min' }]);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const row = el.querySelector('[data-testid="alarm-event"]') as HTMLElement;
    expect(row.textContent).toContain('Forwarding stuck (platform)');
    expect(row.querySelector('a[href^="/devices"]')).toBeNull();
    expect(row.querySelector('[data-testid="event-value"]')?.textContent?.trim()).toBe('17.5 min');
    expect(el.querySelector('[data-testid="alarm-rule"]')?.textContent).toContain('Platform');
    expect(el.querySelector('[data-testid="alarm-rule"]')?.textContent).toContain('≥ 15 min');
  });

  it('speaks Portuguese', async () => {
    TestBed.inject(I18n).setLanguage('pt-BR');
    const { el } = await render();
    expect(el.querySelector('[data-testid="severity"]')?.textContent?.trim()).toBe('Crítico');
    expect(el.querySelector('[data-testid="shelve"]')?.textContent?.trim()).toBe('Arquivar');
  });
});
