import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { NotificationsPage } from './notifications.page';

const channel = {
  id: 3,
  clientId: 4,
  name: 'Ops mail',
  type: 'email',
  config: { to: ['ops@plant.example'] },
  minSeverity: 'major',
  on: ['raised', 'cleared'],
  enabled: true,
  createdAt: '2026-11-30T12:00:00.000Z',
  lastDeliveredAt: '2026-11-30T12:05:00.000Z',
  failed: 2,
  pending: 1,
  lastError: 'SMTP: 451 try later',
};
const delivery = {
  id: 7,
  channelId: 3,
  channelName: 'Ops mail',
  eventId: 40,
  kind: 'raised',
  severity: 'critical',
  ruleName: 'Overvoltage',
  deviceName: 'Meter A',
  status: 'failed',
  attempts: 5,
  lastError: 'SMTP: 550 no such user',
  createdAt: '2026-11-30T12:00:00.000Z',
  nextAttemptAt: null,
  deliveredAt: null,
};

describe('NotificationsPage', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    localStorage.setItem('pieng.language', 'en');
    TestBed.configureTestingModule({ imports: [NotificationsPage], providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    TestBed.inject(AuthService).user.set({ id: 1, email: 'admin@plant.test', role: 'admin', clientId: null, mustChangePassword: false } as never);
  });

  async function render() {
    const fixture = TestBed.createComponent(NotificationsPage);
    await fixture.whenStable();
    http.expectOne('/api/clients').flush([{ id: 4, name: 'Plant', externalId: null, createdAt: '' }]);
    http.expectOne('/api/notification-channels').flush([channel]);
    http.expectOne((r) => r.url.startsWith('/api/notifications?')).flush([delivery]);
    await fixture.whenStable();
    return { fixture, el: fixture.nativeElement as HTMLElement };
  }

  it('lists channels with their target, last delivery and failures, and the delivery log', async () => {
    const { el } = await render();
    const row = el.querySelector('[data-testid="channel-row"]');
    expect(row?.textContent).toContain('Ops mail');
    expect(row?.textContent).toContain('ops@plant.example');
    expect(row?.textContent).toContain('major');
    expect(row?.textContent).toContain('1 waiting');
    expect(row?.querySelector('[data-testid="channel-last-error"]')?.textContent).toBe('SMTP: 451 try later');
    const log = el.querySelector('[data-testid="delivery-row"]');
    expect(log?.textContent).toContain('Overvoltage');
    expect(log?.textContent).toContain('failed');
    expect(log?.textContent).toContain('SMTP: 550 no such user');
  });

  it('creates a webhook channel and shows its secret once', async () => {
    const { fixture, el } = await render();
    const set = (selector: string, value: string, event = 'input') => {
      const input = el.querySelector<HTMLInputElement | HTMLSelectElement>(selector);
      if (!input) throw new Error(`${selector} missing`);
      input.value = value;
      input.dispatchEvent(new Event(event));
    };
    set('[name="channelName"]', 'SCADA');
    set('[name="channelType"]', 'webhook', 'change');
    fixture.detectChanges();
    await fixture.whenStable();
    set('[name="url"]', 'https://hooks.example.com/pieng');
    (el.querySelector('[data-testid="save-channel"]') as HTMLButtonElement).click();
    const create = http.expectOne((r) => r.url === '/api/notification-channels' && r.method === 'POST');
    expect(create.request.body).toEqual({
      name: 'SCADA',
      type: 'webhook',
      config: { url: 'https://hooks.example.com/pieng' },
      minSeverity: 'warning',
      on: ['raised', 'cleared'],
      enabled: true,
      clientId: 4,
    });
    create.flush({
      ...channel,
      id: 9,
      name: 'SCADA',
      type: 'webhook',
      config: { url: 'https://hooks.example.com/pieng' },
      secret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYw==',
    });
    http.expectOne('/api/notification-channels').flush([channel]);
    http.expectOne((r) => r.url.startsWith('/api/notifications?')).flush([]);
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="webhook-secret-value"]')?.textContent).toBe('whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYw==');
    expect(el.querySelector('[data-testid="webhook-secret"]')?.textContent).toContain('shown this once');
  });

  it('shows the field the server refused', async () => {
    const { fixture, el } = await render();
    const name = el.querySelector('[name="channelName"]') as HTMLInputElement;
    name.value = 'Bad';
    name.dispatchEvent(new Event('input'));
    const to = el.querySelector('[name="to"]') as HTMLInputElement;
    to.value = 'ok@plant.example, nope';
    to.dispatchEvent(new Event('input'));
    (el.querySelector('[data-testid="save-channel"]') as HTMLButtonElement).click();
    const create = http.expectOne((r) => r.url === '/api/notification-channels' && r.method === 'POST');
    expect(create.request.body.config).toEqual({ to: ['ok@plant.example', 'nope'] });
    create.flush(
      {
        statusCode: 400,
        message: 'config.to[1] is not a valid e-mail address: "nope"',
        errors: [{ field: 'config.to[1]', message: 'config.to[1] is not a valid e-mail address: "nope"' }],
      },
      { status: 400, statusText: 'Bad Request' },
    );
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="field-error-to"]')?.textContent).toContain('"nope"');
  });

  it('tests a channel and says whether it was delivered; deletes only after confirmation', async () => {
    const { fixture, el } = await render();
    (el.querySelector('[data-testid="test-channel"]') as HTMLButtonElement).click();
    http.expectOne((r) => r.url === '/api/notification-channels/3/test' && r.method === 'POST').flush({ delivered: false });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="test-result"]')?.textContent?.trim()).toBe('Not delivered');
    const confirm = jest.spyOn(window, 'confirm').mockReturnValue(false);
    (el.querySelector('[data-testid="delete-channel"]') as HTMLButtonElement).click();
    expect(confirm).toHaveBeenCalledWith(expect.stringContaining('Ops mail'));
    http.expectNone((r) => r.method === 'DELETE');
    confirm.mockReturnValue(true);
    (el.querySelector('[data-testid="delete-channel"]') as HTMLButtonElement).click();
    expect(http.expectOne('/api/notification-channels/3').request.method).toBe('DELETE');
    confirm.mockRestore();
  });
});
