import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { NEVER } from 'rxjs';
import { AuthService } from '../../core/auth.service';
import { LiveReadingsService } from '../../core/live-readings.service';
import { DeviceDetailPage } from './device-detail.page';

const device = {
  id: 7,
  uid: 'u7',
  clientId: 4,
  siteId: 1,
  name: 'Kitchen PZEM',
  deviceType: 'modbus',
  config: { transport: 'tcp', host: '192.168.1.50', port: 502, unitId: 1, driver: 'pzem004t' },
  status: 'online',
  lastSeenAt: null,
  lastError: null,
  active: true,
};

describe('DeviceDetailPage', () => {
  let http: HttpTestingController;
  beforeEach(() => {
    localStorage.setItem('pieng.language', 'en');
    TestBed.configureTestingModule({
      imports: [DeviceDetailPage],
      // The live stream is another spec's business: here it stays open and silent.
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting(), { provide: LiveReadingsService, useValue: { readings: () => NEVER } }],
    });
    http = TestBed.inject(HttpTestingController);
    TestBed.inject(AuthService).user.set({ id: 1, email: 'ops@plant.test', role: 'operator', clientId: null, mustChangePassword: false } as never);
  });

  it("shows why a test read failed (the API's 502 message), and no stale result", async () => {
    const fixture = TestBed.createComponent(DeviceDetailPage);
    fixture.componentRef.setInput('id', '7');
    await fixture.whenStable();
    http.expectOne('/api/devices/7').flush(device);
    http.expectOne((r) => r.url.startsWith('/api/metrics?')).flush({ items: [], nextCursor: null });
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const testRead = () => (el.querySelector('[data-testid="test-read"]') as HTMLButtonElement).click();

    testRead();
    http.expectOne('/api/devices/7/poll').flush({ deviceId: 7, ts: Date.UTC(2026, 10, 30), durationMs: 41, source: 'modbus-tcp', metrics: { voltage: 229.8 } });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="test-read-result"]')).not.toBeNull();

    testRead();
    const message = 'Meter "Kitchen PZEM" (device 7) did not answer: no route to 192.168.1.50:502';
    http.expectOne('/api/devices/7/poll').flush({ statusCode: 502, message }, { status: 502, statusText: 'Bad Gateway' });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="test-read-error"]')?.textContent).toBe(message);
    expect(el.querySelector('[data-testid="test-read-result"]')).toBeNull();
  });
});
